"""The collector: the one long-lived process per tmux server.

It runs the sources on their own intervals (slow `gt` calls and Agent Mail in worker threads,
cheap file and tmux reads in the main loop), merges them into a Snapshot, writes the cache and
pushes changed status strings into tmux in one batched call, at most once a second. It exits when
its tmux server dies and re-executes itself when the installed plugin's version changes.
Nothing heavy is imported here: no rich, no libtmux, no psutil.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import fields, replace
from pathlib import Path

from gt_mcp_tmux import PACKAGE_DIR, __version__
from gt_mcp_tmux.bridge import link
from gt_mcp_tmux.collector.alerts import (
    AlertTracker,
    acks_path,
    load_tracker,
    save_tracker,
    take_ack_requests,
)
from gt_mcp_tmux.collector.announce import (
    MessageGate,
    announce_batch,
    run_hooks_in_background,
    tell_clients,
)
from gt_mcp_tmux.collector.budget import MOST_GAP, CycleBudget
from gt_mcp_tmux.collector.cache import cache_content, snapshot_path, write_snapshot
from gt_mcp_tmux.collector.cache_text import CacheText
from gt_mcp_tmux.collector.control import (
    forget_server,
    log_path,
    read_state,
    state_path,
    take_lock,
    take_over_stale,
)
from gt_mcp_tmux.collector.frames_trigger import FrameTrigger
from gt_mcp_tmux.collector.gastown_server_status import append_to_sessions
from gt_mcp_tmux.collector.looking import joined, looked_at, watched_elsewhere
from gt_mcp_tmux.collector.push import OptionPusher
from gt_mcp_tmux.collector.queue import (
    QueueKept,
    load_state,
    queue_items,
    requests_path,
    save_state,
    take_into,
    take_requests,
)
from gt_mcp_tmux.collector.reserved import ReservationWarner
from gt_mcp_tmux.config import Settings, load_settings, read_tmux_options
from gt_mcp_tmux.model import (
    AgentMail,
    Alert,
    Bridge,
    GasCity,
    GasTown,
    Queue,
    Snapshot,
    SourceHealth,
)
from gt_mcp_tmux.private_files import REWRITE_EVERY, write_private
from gt_mcp_tmux.proc import stop_all_children
from gt_mcp_tmux.render.status_line import escape_for_message, render_status, stale_marker
from gt_mcp_tmux.sources.agent_mail.reader import read_agent_mail
from gt_mcp_tmux.sources.gascity.city import CityLocation, find_city
from gt_mcp_tmux.sources.gascity.reader import GasCityReader
from gt_mcp_tmux.sources.gastown.reader import GasTownReader
from gt_mcp_tmux.sources.gastown.town import (
    SocketScan,
    TownLocation,
    find_town,
    live_socket_name,
    logical_cwd,
)
from gt_mcp_tmux.sources.orchestrator import OrchestratorReader
from gt_mcp_tmux.sources.tmux import control
from gt_mcp_tmux.sources.tmux.runner import run_tmux

VERSION_FILE = Path(PACKAGE_DIR) / "__init__.py"
LOG_LIMIT = 256 * 1024
#: One Agent Mail refresh may take this long: it runs in its own thread, never holding the bar,
#: and a 200-agent fleet over HTTP needs ~2.5 s (the SQLite fast path ~25 ms).
MAIL_BUDGET = 15.0
#: The cycle at which the collector looks once whether the status line has room for the bar.
ROOM_CHECK_CYCLE = 5


def installed_version() -> str | None:
    """The version of the package files on disk now (changes when the plugin is updated)."""
    try:
        match = re.search(r'__version__ = "([^"]+)"', VERSION_FILE.read_text(encoding="utf-8"))
    except OSError:
        return None
    return match.group(1) if match else None


class Collector:
    def __init__(self, socket_path: str, server_pid: int | None) -> None:
        self.socket_path = socket_path
        self.server_pid = server_pid
        self.server_args = ["-S", socket_path]
        self.stop = threading.Event()
        self.wake = threading.Event()
        #: Set by a user's request (SIGUSR1): the next cycle runs without waiting on the budget.
        self.urgent = threading.Event()
        self.folder_seen: int | None = None  # the town folder's mtime as the last cycle began
        self.cycle_every = 1  # seconds between cycles, as the budget sets them (whole seconds)
        self.cpu_before = time.process_time()  # the process's CPU when the last cycle ended
        #: Bumped when the town is (re)found, so the slow workers run again at once.
        self.town_generation = 0
        self.town_changed = threading.Condition()
        self.lock = threading.Lock()
        self.settings, self.config_errors = self._load_settings()
        self.town: TownLocation | None = None
        self.reader: OrchestratorReader[GasTown] = GasTownReader(self.settings, None)
        self.city: CityLocation | None = None
        self.city_reader: OrchestratorReader[GasCity] = GasCityReader(self.settings, None)
        self.next_city_search = 0.0
        self.mail: AgentMail | None = None
        self.mail_health = SourceHealth("agent_mail", interval=self.settings.mail_interval)
        self.pusher = OptionPusher(self.server_args)
        self.frames = FrameTrigger(socket_path)
        self.last_error: str | None = None
        self.last_cache_content: tuple[object, ...] | None = None
        self.last_cache_write = 0.0
        self.cache_text = CacheText()  # unchanged records' texts, kept between writes
        self._last_bridge: tuple[tuple[object, ...], Bridge] | None = None
        self.bridges_linked = 0  # times the bridge was made again (tests count them)
        self.last_heartbeat = 0.0
        self.next_town_search = 0.0
        self.town_scan = SocketScan()  # the sockets asked before: a stale one costs no fork
        self._environment: tuple[float, dict[str, str]] | None = None
        self.next_settings_read = time.monotonic() + 10
        self.next_version_check = time.monotonic() + 5
        self.cycles = 0
        self.room_checks = 0
        self.started = 0.0
        self.next_append = 0.0
        self.tracker = AlertTracker(hold=self.settings.alert_hold)
        load_tracker(self.tracker, socket_path)  # what a previous collector left: open, acked
        self.queue_state = load_state(socket_path)  # snoozes and acks outlive the collector
        self.queue_kept = QueueKept()  # last cycle's items: unchanged ones are not made again
        self.warner = ReservationWarner(self.server_args)  # your pane in a reserved folder
        self.saved_queue = ""
        self.gate = MessageGate()
        self.saved_alerts = ""
        #: Conditions already true when the collector starts fire quietly (no message, no hook).
        self.quiet_cycles = self.settings.alert_hold + 1

    # --- settings and town --------------------------------------------------------------
    def _load_settings(self) -> tuple[Settings, list[str]]:
        return load_settings(tmux_values=read_tmux_options(self.server_args), strict=False)

    def _find_town(self, now: float) -> None:
        if self.town is not None or now < self.next_town_search:
            return
        self.next_town_search = now + 10  # cheap: a file walk, one tmux call, a connect per socket
        # The server's global environment is fresher than ours (`tmux set-environment -g`).
        environ = {**os.environ, **self._server_environment(now, "GT_TOWN_ROOT", "GT_ROOT")}
        found = find_town(
            logical_cwd(),
            environ,
            configured=self.settings.town_root or None,
            scan=self.town_scan,
        )
        if found is not None:
            self.town = found
            with self.lock:
                self.reader = GasTownReader(self.settings, found, share=True)
            with self.town_changed:
                self.town_generation += 1
                self.town_changed.notify_all()
            self.wake.set()

    def _find_city(self, now: float) -> None:
        """The files and the registry (cheap, in the main loop, every 10 s until found)."""
        if self.city is not None or now < self.next_city_search or not self.settings.gascity:
            return
        self.next_city_search = now + 10
        self._take_city(self._search_city(now, ask_tmux=False))

    def _city_scan_job(self) -> None:
        """Without a city found, the running tmux servers once a minute, off the main loop: a
        tmux call per live server must never hold the bar (nor a stop)."""
        if self.city is None and self.settings.gascity:
            self._take_city(self._search_city(time.monotonic(), ask_tmux=True))

    def _search_city(self, now: float, ask_tmux: bool) -> CityLocation | None:
        names = ("GC_CITY", "GC_CITY_PATH", "GC_HOME")
        environ = {**os.environ, **self._server_environment(now, *names)}  # the town's read
        configured = self.settings.city_root or None
        return find_city(logical_cwd(), environ, configured=configured, ask_tmux=ask_tmux)

    def _take_city(self, found: CityLocation | None) -> None:
        with self.lock:
            if found is None or self.city is not None:
                return
            self.city = found
            self.city_reader = GasCityReader(self.settings, found)
        with self.town_changed:
            self.town_generation += 1
            self.town_changed.notify_all()
        self.wake.set()

    def _server_environment(self, now: float, *names: str) -> dict[str, str]:
        """These variables of the server's global environment: one `tmux` call serves the town's
        and the city's searches of the same second."""
        if self._environment is None or abs(now - self._environment[0]) >= 1:
            done = run_tmux([*self.server_args, "show-environment", "-g"])
            pairs = (line.partition("=") for line in (done.stdout if done else "").splitlines())
            ok = done is not None and done.returncode == 0
            self._environment = (now, {n: v for n, sep, v in pairs if ok and sep and v})
        return {name: value for name, value in self._environment[1].items() if name in names}

    # --- worker threads for the slow sources -------------------------------------------
    def _every(self, name: str, interval: Callable[[], float], job: Callable[[], None]) -> None:
        def loop() -> None:
            while not self.stop.is_set():
                generation = self.town_generation

                def woken(seen: int = generation) -> bool:
                    return self.stop.is_set() or self.town_generation != seen

                try:
                    job()
                except Exception as err:  # a source must never take the collector down
                    self._note_error(f"{name}: {type(err).__name__}: {err}")
                with self.town_changed:
                    self.town_changed.wait_for(woken, timeout=interval())

        threading.Thread(target=loop, name=name, daemon=True).start()

    def _gt_status_job(self) -> None:
        """Fast status every status_interval; every full_status_interval a full one instead."""
        full_every = max(
            1, round(self.settings.full_status_interval / self.settings.status_interval)
        )
        self.cycles += 1
        fast = (self.cycles - 1) % full_every != 0 and not self.reader.wants_full_status
        self.reader.refresh_status(fast=fast)
        self.wake.set()

    def _convoy_job(self) -> None:
        self.reader.refresh_convoys()
        self.city_reader.refresh_convoys()
        self.wake.set()

    def _city_job(self) -> None:
        """The city's supervisor API (cheap GETs; `gc` itself only when it is down)."""
        self.city_reader.refresh_status(fast=True)
        self.wake.set()

    def _mail_job(self) -> None:
        if not self.settings.agent_mail:
            self.mail = AgentMail(url=self.settings.agent_mail_url, state="off")
            return
        started = time.time()
        mail = read_agent_mail(self.settings, timeout=MAIL_BUDGET)
        self.mail = mail
        healthy = mail.state == "ok"
        self.mail_health = SourceHealth(
            "agent_mail",
            last_ok=started if healthy else self.mail_health.last_ok,
            last_run=started,
            last_error=None if healthy else (mail.error or mail.state),
            interval=self.settings.mail_interval,
        )
        self.wake.set()

    # --- one cycle ------------------------------------------------------------------------
    def server_alive(self) -> bool:
        if not os.path.exists(self.socket_path):
            return False
        if self.server_pid is None:
            return True
        try:
            os.kill(self.server_pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True

    def build_snapshot(self, now: float) -> Snapshot:
        with self.lock:
            reader, city_reader = self.reader, self.city_reader
        reader.refresh_cheap(now)
        city_reader.refresh_cheap(now)
        town = reader.view(now)
        city = city_reader.view(now)
        mail = self.mail
        bridge = self._bridge(town, mail, city)
        snapshot = Snapshot(
            collected_at=now,
            version=__version__,
            gastown=town,
            agent_mail=mail,
            bridge=bridge,
            sources=[*reader.health(), *city_reader.health(), self.mail_health],
            gascity=city,
        )
        events = reader.take_new_events() + city_reader.take_new_events()
        fired = self.tracker.update(snapshot, events)
        self._acknowledge_requests()
        current = self.tracker.current()
        still_open = {alert.id for alert in current}  # by id: 1,800 alerts fire at once at start
        self._announce([a for a in fired if a.id in still_open], snapshot)
        # a client on the agent's session (the town's or the city's) has seen it
        self.tracker.acknowledge(looked_at(current, town) + looked_at(current, city))
        self._save_alerts()
        snapshot = replace(snapshot, alerts=self.tracker.current())
        return replace(snapshot, queue=self._queue(snapshot, now))

    def _queue(self, snapshot: Snapshot, now: float) -> Queue:
        """The queue of what needs the person, with their snoozes and acknowledgements."""
        items = queue_items(snapshot, snapshot.alerts, self.queue_state.first_seen, self.queue_kept)
        mail = snapshot.agent_mail
        # Agent Mail not answering: what was said of its items is kept for when it is back
        keep = ("mail_urgent:", "mail_ack:") if mail is None or mail.state != "ok" else ()
        queue = self.queue_state.apply(items, now, keep)
        state = json.dumps(self.queue_state.to_data(), sort_keys=True)
        if state != self.saved_queue:
            with contextlib.suppress(OSError):
                save_state(self.queue_state, self.socket_path)
            self.saved_queue = state
        return queue

    def _bridge(self, town: GasTown, mail: AgentMail | None, city: GasCity) -> Bridge | None:
        """The bridge made again only when what it joins changed (Agent Mail is read every few
        seconds, the agents and rigs mostly stay the same objects): joining 2,000 reservations'
        projects to 1,000 agents every second was a third of the collector's time."""
        if mail is None or mail.state == "off":
            return None
        key = (
            town.root,
            [(rig.name, rig.path, rig.repo) for rig in town.rigs],
            [(a.address, a.rig, a.name, a.role) for a in town.agents],
            mail,
            city.root,
            [(rig.name, rig.path, rig.repo) for rig in city.rigs],
            [(a.address, a.rig, a.name, a.role, a.session) for a in city.agents],
        )  # what `link` reads: not the agents' states and activity, which move every second
        if self._last_bridge is not None and self._last_bridge[0] == key:
            return self._last_bridge[1]
        bridge = link(town, mail, city)
        self.bridges_linked += 1
        self._last_bridge = (key, bridge)
        return bridge

    def _save_alerts(self) -> None:
        """Keep what is open and acknowledged on disk when it changed (a restart forgets none)."""
        state = repr(
            (
                sorted(self.tracker.active),
                sorted(self.tracker.event_alerts),
                sorted(self.tracker.acked),
            )
        )
        if state != self.saved_alerts:
            with contextlib.suppress(OSError):
                save_tracker(self.tracker, self.socket_path)
            self.saved_alerts = state

    def _acknowledge_requests(self) -> None:
        # `gt-mcp queue snooze|ack`: an alert acknowledged there is the tracker's too
        ids = take_ack_requests(self.socket_path)
        ids += take_into(self.queue_state, take_requests(self.socket_path))
        if "all" in ids:
            ids = [alert.id for alert in self.tracker.current()]
        if ids:
            self.tracker.acknowledge(ids)

    def _announce(self, fired: list[Alert], snapshot: Snapshot) -> None:
        """A message and the bell on the user's clients and the user's hook, after the start-up
        quiet period."""
        if self.quiet_cycles > 0:
            self.quiet_cycles -= 1
            return
        batch = self.gate.offer(fired, time.monotonic())  # also lets a waiting batch out
        display, notify = self.settings.alert_display, self.settings.alert_notify
        if batch and (display or notify != "off"):
            town, city = snapshot.gastown, snapshot.gascity
            watched = watched_elsewhere(town, self.socket_path) | watched_elsewhere(
                city, self.socket_path
            )
            fleet = joined(town, city)
            announce_batch(
                self.server_args, batch, display=display, notify=notify, town=fleet, watched=watched
            )
        if fired:
            run_hooks_in_background(self.settings.alert_command, fired, self._note_error)

    def publish(self, snapshot: Snapshot, now: float) -> None:
        options = render_status(snapshot, self.settings).as_options()
        options["@_gtmcp_stale"] = stale_marker(self.settings)
        options["@_gtmcp-collector-pid"] = str(
            os.getpid()
        )  # lets a plugin reload skip starting one
        options["@_gtmcp_stale_after"] = str(self.settings.stale_after)
        beat_every = max(self.settings.stale_after / 3, 1)
        if now - self.last_heartbeat >= beat_every:
            options["@_gtmcp_heartbeat"] = str(int(now))
        if self.pusher.push(options) and "@_gtmcp_heartbeat" in options:
            self.last_heartbeat = now
        content = cache_content(snapshot)  # the records themselves, compared: no serialising
        changed = content != self.last_cache_content
        if changed or now - self.last_cache_write >= REWRITE_EVERY:
            write_snapshot(snapshot, snapshot_path(self.socket_path), self.cache_text)
            self.last_cache_content, self.last_cache_write = content, now
        self.frames.offer(changed, time.monotonic())  # the popups' first frames, when due

    def cycle(self) -> None:
        now = time.time()
        searched = time.monotonic()  # one clock for both: due together, one environment read
        self._find_town(searched)
        self._find_city(searched)
        snapshot = self.build_snapshot(now)
        self.publish(snapshot, now)
        self.warner.update(
            snapshot.agent_mail, now, self.settings.icon_reserved, self.settings.color_warn
        )
        self._append_on_gastown_server(now)
        self._check_room()

    def _check_room(self) -> None:
        """Once the bar shows real numbers, say (once per hint) when status-*-length cuts it."""
        self.room_checks += 1
        if self.room_checks != ROOM_CHECK_CYCLE:
            return
        from gt_mcp_tmux.render.status_room import typical_widths
        from gt_mcp_tmux.sources.detect import status_length_hints

        hints = status_length_hints(self.server_args, typical_widths(self.settings))
        told = run_tmux([*self.server_args, "show-option", "-gqv", "@_gtmcp-told-length"])
        said = told.stdout.strip() if told is not None and told.returncode == 0 else ""
        if hints and hints[0] != said:
            tell_clients(self.server_args, "gastown-mcp: " + escape_for_message(hints[0], 200))
            run_tmux([*self.server_args, "set-option", "-gq", "@_gtmcp-told-length", hints[0]])

    def _append_on_gastown_server(self, now: float) -> None:
        """Running inside Gas Town's own server with `append`: join its per-session status-right."""
        if (
            self.settings.gastown_server_status != "append"
            or self.town is None
            or now < self.next_append
        ):
            return
        self.next_append = now + 5
        if os.path.basename(self.socket_path) == live_socket_name(self.town.root):
            append_to_sessions(self.server_args)

    # --- housekeeping -------------------------------------------------------------------
    def _note_error(self, message: str) -> None:
        self.last_error = message
        self._log(message)
        self._write_state()

    def _log(self, message: str) -> None:
        path = log_path(self.socket_path)
        with contextlib.suppress(OSError):
            if path.exists() and path.stat().st_size > LOG_LIMIT:
                path.replace(path.with_suffix(".log.1"))
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            with os.fdopen(fd, "a", encoding="utf-8") as fh:
                fh.write(time.strftime("%Y-%m-%dT%H:%M:%S ") + message.replace("\n", " | ") + "\n")

    def _write_state(self) -> None:
        state = {
            "pid": os.getpid(),
            "version": __version__,
            "started": self.started,
            "socket": self.socket_path,
            "server_pid": self.server_pid,
            "cycle_every": self.cycle_every,
            "town_root": str(self.town.root) if self.town else None,
            "city_root": str(self.city.root) if self.city else None,
            "last_error": self.last_error,
            "config_errors": self.config_errors,
        }
        with contextlib.suppress(OSError):
            write_private(state_path(self.socket_path), json.dumps(state))

    def _housekeeping(self) -> bool:
        """Re-read settings now and then; False when the plugin was updated (restart)."""
        now = time.monotonic()
        if now >= self.next_settings_read:
            self.next_settings_read = now + 10
            settings, errors = self._load_settings()
            settings = keep_good_values(settings, self.settings, errors)
            for problem in errors:
                if problem not in self.config_errors:
                    self._log(f"config: {problem}")
            if settings != self.settings or errors != self.config_errors:
                self.settings, self.config_errors = settings, errors
                self.pusher.shown.clear()
                self._write_state()
        if now >= self.next_version_check:
            self.next_version_check = now + 5
            on_disk = installed_version()
            if on_disk is not None and on_disk != __version__:
                self._log(f"plugin updated {__version__} -> {on_disk}: restarting")
                return False
        return True

    # --- the loop -----------------------------------------------------------------------
    def _wait_for_turn(self, budget: CycleBudget) -> None:
        """Until the budget lets the next cycle run; sooner (a second after the last) for a
        user's request (`gt-mcp queue ack`, a jump's acknowledgement, SIGUSR1) or a change of
        the town's folder (an ESTOP made or removed), looked at every `files_interval`
        meanwhile: three stats."""
        asked = (requests_path(self.socket_path), acks_path(self.socket_path))
        while not self.stop.is_set():
            now = time.monotonic()
            # against the folder as the last cycle began: an ESTOP made during it counts
            if self._town_folder_stamp() != self.folder_seen or any(p.exists() for p in asked):
                self.urgent.set()
            due = budget.next_at(urgent=self.urgent.is_set())
            if now >= due:
                return
            self.urgent.wait(min(due - now, self.settings.files_interval))

    def _town_folder_stamp(self) -> int | None:
        if self.town is None:
            return None
        try:
            return os.stat(self.town.root).st_mtime_ns
        except OSError:
            return None

    def run(self) -> str:
        """Run until the server dies ('server-gone'), a signal ('stopped') or an update ('update')."""
        self.started = time.time()
        self._write_state()
        self._log(f"collector {__version__} started for {self.socket_path}")
        for problem in self.config_errors:
            self._log(f"config: {problem}")
        searched = time.monotonic()  # one clock for both: due together, one environment read
        self._find_town(searched)
        self._find_city(searched)
        self._every("gt_status", lambda: self.settings.status_interval, self._gt_status_job)
        self._every("convoys", lambda: self.settings.convoy_interval, self._convoy_job)
        self._every("agent_mail", lambda: self.settings.mail_interval, self._mail_job)
        self._every("city_api", lambda: self.settings.city_api_interval, self._city_job)
        self._every("city_scan", lambda: 60.0, self._city_scan_job)
        # At most one push a second, however often the workers wake us; a big fleet's cycles
        # within `collector_cpu` of a core (budget.py)
        budget = CycleBudget(self.settings.collector_cpu / 100)
        while not self.stop.is_set():
            if not self.server_alive():
                return "server-gone"
            if not self._housekeeping():
                return "update"
            budget.share = self.settings.collector_cpu / 100
            budget.most = min(MOST_GAP, self.settings.stale_after / 3)
            self._wait_for_turn(budget)
            self.urgent.clear()
            started = time.monotonic()
            self.folder_seen = self._town_folder_stamp()  # what this cycle reads, or older
            try:
                self.cycle()
            except Exception as err:
                self._note_error(f"cycle: {type(err).__name__}: {err}")
                import traceback  # only when something went wrong

                self._log(traceback.format_exc(limit=4))
            spent, self.cpu_before = time.process_time() - self.cpu_before, time.process_time()
            budget.ran(started, spent)  # this cycle and the workers' work since the last one
            # `alert_hold` cycles of a second: slower cycles (a big fleet's) hold as long, not longer
            self.tracker.hold = held_cycles(self.settings.alert_hold, budget.gap())
            every = round(budget.gap())
            if every != self.cycle_every:  # `gt-mcp collector status` says it
                self.cycle_every = every
                self._write_state()
            self.wake.wait(self.settings.files_interval)
            self.wake.clear()
        self.warner.clear()
        return "stopped"


def held_cycles(alert_hold: int, gap: float) -> int:
    """How many cycles `gap` seconds apart a condition must hold: `alert_hold` seconds' worth
    (the option counts cycles of a second), at least one."""
    return max(1, math.ceil(alert_hold / max(gap, 1.0) - 1e-9))


def keep_good_values(new: Settings, last: Settings, errors: list[str]) -> Settings:
    """`new`, but an option whose value is bad now keeps the one in force (`last`), not the
    default: `set -g @gtmcp-collector-cpu lots` after `0` leaves it at 0."""
    bad = {
        f.name: getattr(last, f.name)
        for f in fields(Settings)
        if any(re.search(rf"(?:^|\s){f.name}:", problem) for problem in errors)
    }
    return replace(new, **bad) if bad else new


def server_pid_of(socket_path: str) -> int | None:
    """The tmux server's pid: from $TMUX when it names this socket, else asked once."""
    tmux_env = os.environ.get("TMUX", "").split(",")
    if len(tmux_env) >= 2 and tmux_env[0] == socket_path and tmux_env[1].isdigit():
        return int(tmux_env[1])
    from gt_mcp_tmux.sources.tmux.runner import run_tmux

    done = run_tmux(["-S", socket_path, "display-message", "-p", "#{pid}"])
    if done is not None and done.returncode == 0 and done.stdout.strip().isdigit():
        return int(done.stdout.strip())
    return None


def run_collector(socket_path: str) -> int:
    """Entry point of `gt-mcp collector run`: singleton per server, exits with the server."""
    fd = take_lock(socket_path, patience=0.5)
    server_pid = server_pid_of(socket_path)
    if fd is None:
        fd = take_over_stale(socket_path, server_pid)  # the old server's, on this socket
    if fd is None:
        return 0  # one runs already: that is the point of the lock
    collector = Collector(socket_path, server_pid)

    def on_signal(signum: int, _frame: object) -> None:
        if signum == signal.SIGUSR1:
            collector.urgent.set()
            collector.wake.set()
            return
        collector.stop.set()
        collector.wake.set()
        with collector.town_changed:
            collector.town_changed.notify_all()

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGUSR1):
        signal.signal(signum, on_signal)
    reason = "stopped"
    control.enable(socket_path)  # one control client per server: no tmux fork per call
    try:
        reason = collector.run()
    finally:
        collector.stop.set()
        control.close_all()
        stopped = stop_all_children()  # gt calls still in flight end with us
        collector.reader.close()
        collector.city_reader.close()
        collector._log(
            f"collector exiting: {reason}" + (f" ({stopped} gt calls stopped)" if stopped else "")
        )
        # unless a collector of a new server on this socket has taken over (take_over_stale)
        if read_state(socket_path).get("pid") in (None, os.getpid()):
            with contextlib.suppress(OSError):
                state_path(socket_path).unlink()
            if reason == "server-gone":  # its cache, log and lock serve nobody now
                forget_server(socket_path)
        os.close(fd)
    if reason == "update":
        os.execv(sys.executable, [sys.executable, "-m", "gt_mcp_tmux", "collector", "run"])
    return 0
