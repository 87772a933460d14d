"""Every Gas Town source of one town, merged into one `model.GasTown`.

The collector calls `refresh_cheap` every second or two (files and Gas Town's tmux server: a
couple of tmux calls, no `gt`), `refresh_status` / `refresh_convoys` now and then from worker
threads (they run `gt` and can be slow), and `gastown(now)` whenever it wants the merged view.
A lock keeps the merge consistent against the refreshes; no method raises.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import gt_mcp_tmux.sources.gastown.convoys as convoy_source
import gt_mcp_tmux.sources.gastown.status as gt_status
from gt_mcp_tmux import messages
from gt_mcp_tmux.config import Settings
from gt_mcp_tmux.model import (
    Agent,
    Convoy,
    Event,
    GasTown,
    Rig,
    SourceError,
    SourceHealth,
    TmuxSession,
    from_json,
    to_json,
)
from gt_mcp_tmux.sources.gastown.agents import AgentMemo, merge_agents
from gt_mcp_tmux.sources.gastown.events import EventTail
from gt_mcp_tmux.sources.gastown.files import (
    ChangedFile,
    DeaconHeartbeat,
    EstopState,
    Heartbeat,
    HeartbeatFolder,
    RigEntry,
    parse_deacon_heartbeat,
    parse_rigs_json,
    read_estop,
    read_town_name,
)
from gt_mcp_tmux.sources.gastown.gt_cli import gt_version
from gt_mcp_tmux.sources.gastown.poll_share import TownShare
from gt_mcp_tmux.sources.gastown.tmux_server import GtSession, GtTmuxServer, ServerView
from gt_mcp_tmux.sources.gastown.town import TownLocation, gastown_socket_path, live_socket_name

#: New events kept for `take_new_events` when the collector does not take them.
MAX_NEW_EVENTS = 1000
_CHEAP = ("tmux", "heartbeats", "estop", "deacon_heartbeat", "events", "rigs")
_GT = ("gt_status_fast", "gt_status", "convoys")
_TWINS = {"gt_status_fast": "gt_status", "gt_status": "gt_status_fast"}


@dataclass
class SourceRecord:
    """One source's record for `health()` and `GasTown.errors`."""

    name: str
    interval: float
    last_ok: float | None = None
    last_run: float | None = None
    error: SourceError | None = None

    def record(self, now: float, error: SourceError | None) -> None:
        self.last_run = now
        self.error = error
        if error is None:
            self.last_ok = now

    def health(self) -> SourceHealth:
        return SourceHealth(
            name=self.name,
            last_ok=self.last_ok,
            last_run=self.last_run,
            last_error=f"{self.error.kind}: {self.error.message}" if self.error else None,
            interval=self.interval,
        )


class GasTownReader:
    """All Gas Town sources for one town, with their state (event offsets, session-env cache, last results)."""

    def __init__(self, settings: Settings, town: TownLocation | None, share: bool = False) -> None:
        """`share`: poll gt only while holding the town's poll lock, else read the answers the
        collector that holds it publishes (see `town_share`); a one-off collection polls itself."""
        self.settings = settings
        self.town = town
        self._lock = threading.Lock()  # guards everything `gastown()` reads
        self._cheap_lock = threading.Lock()  # one refresh_cheap at a time
        self._status_lock = threading.Lock()  # one gt status at a time
        self._convoy_lock = threading.Lock()
        files = float(settings.files_interval)
        intervals = {
            "gt_status_fast": float(settings.status_interval),
            "gt_status": float(settings.full_status_interval),
            "convoys": float(settings.convoy_interval),
        }
        self._sources = {
            name: SourceRecord(name, intervals.get(name, files)) for name in (*_GT, *_CHEAP)
        }
        self._view: ServerView | None = None
        self._agents = AgentMemo()  # agents built from unchanged inputs are not built again
        self._records: dict[str, tuple[GtSession, TmuxSession]] = {}  # see _session_records
        self._heartbeats: dict[str, Heartbeat] = {}
        self._estop = EstopState()
        self._rigs: list[RigEntry] = []
        self._deacon: DeaconHeartbeat | None = None
        self._full: gt_status.TownStatus | None = None
        self._partial = False  # the last full answer was taken under another's detail lock
        self._status: gt_status.TownStatus | None = None  # the latest answer, fast or full
        self._board = convoy_source.ConvoyBoard()
        self._shared_convoys: list[Convoy] | None = None  # what the town's poller published
        self._convoys_seen = False
        self._feed: list[Event] = []
        self._new_events: list[Event] = []
        self._gt_version: str | None = None
        self._version_asked = False
        self._town_name: str | None = None
        self.root: Path | None = None
        self.socket: str | None = None
        self._share: TownShare | None = None
        if town is None:
            return
        self.root = town.root
        self.socket = live_socket_name(town.root)
        self._town_name = read_town_name(town.root)
        self._server = GtTmuxServer(self.socket)
        self._share = TownShare(town.root) if share else None
        self._beat_folder = HeartbeatFolder(town.root)
        self._rigs_file = ChangedFile(town.root / "mayor" / "rigs.json", "rigs")
        self._deacon_file = ChangedFile(town.root / "deacon" / "heartbeat.json", "deacon_heartbeat")
        self._events = EventTail(town.root / ".events.jsonl")

    @property
    def tmux_calls(self) -> int:
        """tmux processes started so far to look at Gas Town's server (for tests and benchmarks)."""
        return self._server.tmux_calls if self.root is not None else 0

    # --- refreshes --------------------------------------------------------------------------

    def refresh_cheap(self, now: float) -> None:
        """Files and Gas Town's tmux server: one tmux call (two when new sessions appeared)."""
        if self.root is None:
            return
        with self._cheap_lock:
            socket = self.socket
            if socket is not None and socket != self._server.socket:
                self._server = GtTmuxServer(socket)  # gt reported another socket: follow it
            view = self._server.look()
            beats, beat_error = self._beat_folder.read()
            estop, estop_error = read_estop(self.root)
            rigs: list[RigEntry] | None = None
            if self._rigs_file.poll():
                rigs = self._parse_rigs()
            deacon: DeaconHeartbeat | None = self._deacon
            if self._deacon_file.poll():
                deacon = parse_deacon_heartbeat(self._deacon_file.data)
                if deacon is None and self._deacon_file.exists and self._deacon_file.error is None:
                    self._deacon_file.error = SourceError(
                        "deacon_heartbeat", "bad_output", "deacon/heartbeat.json is not an object"
                    )
            events_error = self._events.poll()
            new_events = self._events.take_new()
            feed = list(self._events.feed)
            with self._lock:
                self._view = view
                self._heartbeats = beats
                self._estop = estop
                if rigs is not None:
                    self._rigs = rigs
                self._deacon = deacon
                self._feed = feed
                self._new_events.extend(new_events)
                del self._new_events[:-MAX_NEW_EVENTS]
                src = self._sources
                src["tmux"].record(now, view.error)
                src["heartbeats"].record(now, beat_error)
                src["estop"].record(now, estop_error)
                src["rigs"].record(now, self._rigs_file.error)
                src["deacon_heartbeat"].record(now, self._deacon_file.error)
                src["events"].record(now, events_error)

    def _parse_rigs(self) -> list[RigEntry] | None:
        """The rigs of a changed rigs.json; None keeps the last good list (the file is broken)."""
        assert self.root is not None
        if not self._rigs_file.exists:
            return []  # like gt: no file, no rigs
        if self._rigs_file.error is not None:
            return None
        rigs = parse_rigs_json(self.root, self._rigs_file.data)
        if rigs is None:
            self._rigs_file.error = SourceError(
                "rigs", "bad_output", "mayor/rigs.json has no `rigs` object"
            )
        return rigs

    def refresh_status(self, fast: bool) -> None:
        """Run `gt status [--fast] --json` (bounded by `gt_timeout`); slow, so off the main loop."""
        name = "gt_status_fast" if fast else "gt_status"
        if self.root is None:
            return
        if self._share is not None and not self._share.owned():
            self._follow()
            return
        with self._status_lock:
            if not self._version_asked:
                self._version_asked = True
                version, _ = gt_version(timeout=min(3.0, float(self.settings.gt_timeout)))
                self._gt_version = version
            result = self._read_status(fast)
            now = time.time()
            with self._lock:
                if isinstance(result, SourceError):
                    self._sources[name].record(now, _renamed(result, name))
                else:
                    self._take_status(result, fast, now)
                    self._follow_socket(result.socket)
            self._publish()

    def _follow_socket(self, reported: str | None) -> None:
        """gt reported another socket (GT_TMUX_SOCKET in its environment, an older town): follow
        it when that server exists, never away from a running one to a name nothing answers on."""
        if reported and reported != self.socket and os.path.exists(gastown_socket_path(reported)):
            self.socket = reported

    def _take_status(self, result: gt_status.TownStatus, fast: bool, now: float) -> None:
        """Under `_lock`: a good answer becomes the town's status."""
        self._sources["gt_status_fast" if fast else "gt_status"].record(now, None)
        if not fast:
            self._partial = result.partial
        if fast or result.partial:
            # a partial full answer is a fast one in disguise: it lacks hooks and mail
            self._status = gt_status.overlay_fast(result, self._full)
        else:
            self._full = self._status = result

    # --- one poller per town: publish (the owner) or follow (everyone else) -------------------

    def _publish(self) -> None:
        if self._share is None:
            return
        with self._lock:
            data = {
                "status": to_json(self._status),
                "full": to_json(self._full),
                "partial": self._partial,
                "convoys": to_json(self._board.current(time.time()))
                if self._convoys_seen
                else None,
                "gt_version": self._gt_version,
                "sources": {
                    name: {
                        "last_ok": self._sources[name].last_ok,
                        "last_run": self._sources[name].last_run,
                        "error": to_json(self._sources[name].error),
                    }
                    for name in _GT
                },
            }
        self._share.publish(data)

    def _follow(self) -> None:
        """Take what the town's poller published, when it changed."""
        assert self._share is not None
        data = self._share.read_new(time.time())
        if data is None:
            return
        with self._lock:
            if data.get("status") is not None:
                self._status = from_json(gt_status.TownStatus, data["status"])
                self._follow_socket(self._status.socket)
            if data.get("full") is not None:
                self._full = from_json(gt_status.TownStatus, data["full"])
            self._partial = data.get("partial") is True
            if isinstance(data.get("convoys"), list):
                self._shared_convoys = [from_json(Convoy, item) for item in data["convoys"]]
            version = data.get("gt_version")
            self._gt_version = version if isinstance(version, str) else self._gt_version
            sources = data.get("sources")
            for name in _GT:
                entry = sources.get(name) if isinstance(sources, dict) else None
                if not isinstance(entry, dict):
                    continue
                source = self._sources[name]
                source.last_ok = entry.get("last_ok")
                source.last_run = entry.get("last_run")
                error = entry.get("error")
                source.error = from_json(SourceError, error) if isinstance(error, dict) else None

    def _read_status(self, fast: bool) -> gt_status.TownStatus | SourceError:
        assert self.root is not None
        if not self.root.is_dir():
            return SourceError("gt_status", "not_found", f"town folder {self.root} is gone")
        return gt_status.read_status(self.root, fast, float(self.settings.gt_timeout))

    def refresh_convoys(self) -> None:
        """Run `gt convoy list --json` (bounded by `gt_timeout`)."""
        if self.root is None:
            return
        if self._share is not None and not self._share.owned():
            self._follow()
            return
        with self._convoy_lock:
            timeout = float(self.settings.gt_timeout)
            if self.root.is_dir():
                result = convoy_source.read_convoys(self.root, timeout)
            else:
                result = SourceError("convoys", "not_found", f"town folder {self.root} is gone")
            checked: dict[str, Convoy] = {}
            if not isinstance(result, SourceError):
                with self._lock:
                    missing = self._board.missing(result)
                for ident in missing:  # left the list: landed only if gt says closed
                    answer = convoy_source.read_convoy_status(self.root, ident, timeout)
                    if not isinstance(answer, SourceError):
                        checked[ident] = answer
            now = time.time()
            with self._lock:
                if isinstance(result, SourceError):
                    self._sources["convoys"].record(now, result)
                else:
                    self._board.update(result, now, checked)
                    self._convoys_seen = True
                    self._sources["convoys"].record(now, None)
            self._publish()

    def close(self) -> None:
        """The collector ends: give the town's poll lock to whoever watches it next."""
        if self._share is not None:
            self._share.release(remove=True)

    @property
    def wants_full_status(self) -> bool:
        """The last full answer was partial: ask for a full one again at the next turn."""
        return self._partial

    def take_new_events(self) -> list[Event]:
        """Events appended to `.events.jsonl` since the last call (not the backlog found at start)."""
        with self._lock:
            taken, self._new_events = self._new_events, []
        return taken

    # --- the merged view --------------------------------------------------------------------

    def view(self, now: float) -> GasTown:
        return self.gastown(now)

    def gastown(self, now: float) -> GasTown:
        """The merge of the latest results. Cheap: no I/O, no subprocess."""
        if self.town is None or self.root is None:
            return GasTown(errors=[SourceError("town", "not_found", messages.NO_TOWN)])
        with self._lock:
            return self._merge(now)

    def _merge(self, now: float) -> GasTown:
        assert self.town is not None and self.root is not None
        status = self._status
        view = self._view
        rig_pairs = self._rig_pairs(status)
        sessions = None
        if view is not None and view.error is None:
            sessions = view.sessions  # [] when the server is not running: nothing runs
        agents = merge_agents(
            status.all_agents() if status else [],
            sessions,
            self._heartbeats,
            rig_pairs,
            now,
            float(self.settings.stalled_minutes) * 60.0,
            self._agents,
        )
        errors = [s.error for s in self._sources.values() if s.error and not self._superseded(s)]
        if self._partial:
            errors.append(
                SourceError(
                    "gt_status",
                    "partial",
                    "gt status answered while daemon/status-detail.lock was held (someone runs"
                    " a full status): hooks, states and mail kept from the last full answer",
                )
            )
        if view is not None and not view.running and view.error is None:
            errors.append(
                SourceError(
                    "tmux",
                    "down",
                    messages.town_server_down(str(self.socket)),
                )
            )
        deacon_age = None
        if self._deacon is not None and self._deacon.timestamp is not None:
            deacon_age = max(0.0, now - self._deacon.timestamp)
        return GasTown(
            town=self._town_name or (status.name if status else None) or self.root.name,
            root=str(self.root),
            found_by=self.town.found_by,
            socket=self.socket,
            server_running=bool(view and view.running),
            gt_version=self._gt_version,
            agents=agents,
            rigs=self._merge_rigs(status, rig_pairs, agents),
            convoys=self._current_convoys(now),
            sessions=self._session_records(view),
            events=list(self._feed),
            estop=self._estop.town,
            estop_rigs=list(self._estop.rigs),
            estop_reason=self._estop.reason,
            overseer_unread=status.overseer_unread if status else 0,
            deacon_heartbeat_age=deacon_age,
            errors=errors,
            other_towns=[str(other) for other in self.town.others],
        )

    def _session_records(self, view: ServerView | None) -> list[TmuxSession]:
        """The sessions as records, an unchanged session's (the same object from the look)
        the same record as before: the cache compares them by identity first."""
        records: dict[str, tuple[GtSession, TmuxSession]] = {}
        for session in view.sessions if view else []:
            last = self._records.get(session.name)
            record = last[1] if last is not None and last[0] is session else session.record()
            records[session.name] = (session, record)
        self._records = records
        return [record for _, record in records.values()]

    def _current_convoys(self, now: float) -> list[Convoy]:
        if self._shared_convoys is not None:
            return list(self._shared_convoys)
        return self._board.current(now) if self._convoys_seen else []

    def _superseded(self, source: SourceRecord) -> bool:
        """A failed gt status (fast or full) that the other kind has since run fine."""
        twin = _TWINS.get(source.name)
        later = self._sources[twin].last_ok if twin else None
        return later is not None and source.last_run is not None and later > source.last_run

    def _rig_pairs(self, status: gt_status.TownStatus | None) -> list[tuple[str, str | None]]:
        """(rig, prefix) in rigs.json order, then rigs only gt status knows."""
        pairs = [(r.name, r.prefix) for r in self._rigs]
        known = {name for name, _ in pairs}
        for rig in status.rigs if status else []:
            if rig.name not in known:
                pairs.append((rig.name, None))
                known.add(rig.name)
        return pairs

    def _merge_rigs(
        self,
        status: gt_status.TownStatus | None,
        pairs: list[tuple[str, str | None]],
        agents: list[Agent],
    ) -> list[Rig]:
        assert self.root is not None
        files = {r.name: r for r in self._rigs}
        reported = {r.name: r for r in status.rigs} if status else {}
        stopped = set(self._estop.rigs)
        rigs: list[Rig] = []
        by_rig: dict[str | None, list[Agent]] = {}
        for agent in agents:  # once, not once a rig: 50 rigs over 1,000 agents
            by_rig.setdefault(agent.rig, []).append(agent)
        for name, prefix in pairs:
            entry = files.get(name)
            gt = reported.get(name)
            mine = by_rig.get(name, [])
            rigs.append(
                Rig(
                    name=name,
                    prefix=prefix,
                    path=entry.path if entry else str(self.root / name),
                    repo=entry.repo if entry else None,
                    polecat_count=gt.polecat_count
                    if gt
                    else sum(a.role == "polecat" for a in mine),
                    crew_count=gt.crew_count if gt else sum(a.role == "crew" for a in mine),
                    has_witness=gt.has_witness if gt else any(a.role == "witness" for a in mine),
                    has_refinery=gt.has_refinery if gt else any(a.role == "refinery" for a in mine),
                    estop=name in stopped,
                    mq=gt.mq if gt else None,
                )
            )
        return rigs

    def health(self) -> list[SourceHealth]:
        """One entry per source: gt status (fast, full), convoys, then the cheap ones."""
        with self._lock:
            return [s.health() for s in self._sources.values()]


def _renamed(error: SourceError, source: str) -> SourceError:
    return SourceError(source, error.kind, error.message)
