"""Every Gas City source of one city, merged into one `model.GasCity` (an `OrchestratorReader`).

- `refresh_cheap` (every cycle): the city's tmux server (one `list-panes -a`; the `GC_*`
  environment of new sessions in one more call) and the tail of `.gc/events.jsonl`;
- `refresh_status` (every `city_api_interval`, a worker thread): the supervisor's API, three
  GETs (`/v0/cities`, the city's `/sessions`, `/mail/count?agent=human`); when it does not
  answer, `gc session list --json` and `gc mail count human`, at most every `status_interval`;
- `refresh_convoys` (every `convoy_interval`): `/convoys` and `/rigs`, plus `gc convoy list`
  (its progress column has no JSON form) while convoys are open.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterable

from gt_mcp_tmux import messages
from gt_mcp_tmux.config import Settings
from gt_mcp_tmux.model import (
    Agent,
    Convoy,
    Event,
    GasCity,
    Rig,
    SourceError,
    SourceHealth,
)
from gt_mcp_tmux.sources.gascity import records
from gt_mcp_tmux.sources.gascity.agents import (
    CRASH_LOOP_WINDOW,
    merge_city_agents,
)
from gt_mcp_tmux.sources.gascity.api import SupervisorApi
from gt_mcp_tmux.sources.gascity.city import CityLocation
from gt_mcp_tmux.sources.gascity.events import city_event_tail
from gt_mcp_tmux.sources.gascity.gc_cli import gc_json, gc_text, gc_version
from gt_mcp_tmux.sources.gastown.files import parse_rfc3339
from gt_mcp_tmux.sources.gastown.reader import SourceRecord
from gt_mcp_tmux.sources.gastown.tmux_server import GtTmuxServer, ServerView

#: Variables kept from a city session's environment (who it is: template, alias, rig).
CITY_ENV = ("GC_", "BEADS_ACTOR")
MAX_NEW_EVENTS = 1000
_SOURCES = ("city_api", "city_sessions", "city_mail", "city_convoys", "city_tmux", "city_events")
#: Events that end a run of wakes (a stop gc itself made is no crash).
_RESTS = frozenset({"session.stopped", "session.idle_killed", "session.suspended"})


def crash_loops(events: Iterable[Event], now: float) -> dict[str, int]:
    """Per subject, the `session.woke`s in the last `CRASH_LOOP_WINDOW` with no stop between
    them: a session woken again and again without being stopped keeps dying."""
    runs: dict[str, deque[float]] = {}
    for event in events:
        subject = event.payload.get("subject", "")
        if not subject:
            continue
        if event.type in _RESTS:
            runs.pop(subject, None)
        elif event.type == "session.woke":
            moment = parse_rfc3339(event.ts)
            if moment is not None and now - moment <= CRASH_LOOP_WINDOW:
                runs.setdefault(subject, deque()).append(moment)
    return {subject: len(wakes) for subject, wakes in runs.items()}


class GasCityReader:
    """All sources of one city, with their state (event offset, session environments)."""

    def __init__(self, settings: Settings, city: CityLocation | None) -> None:
        self.settings = settings
        self.city = city
        self._lock = threading.Lock()
        self._status_lock = threading.Lock()
        files = float(settings.files_interval)
        intervals = {
            "city_api": float(settings.city_api_interval),
            "city_sessions": float(settings.status_interval),
            "city_mail": float(settings.city_api_interval),
            "city_convoys": float(settings.convoy_interval),
        }
        self._sources = {name: SourceRecord(name, intervals.get(name, files)) for name in _SOURCES}
        self._view: ServerView | None = None
        self._sessions: list[records.CitySession] | None = None
        self._via: str | None = None
        self._supervisor_up = False
        self._controller: bool | None = None
        self._human_unread = 0
        self._convoys: list[Convoy] = []
        self._rigs: list[Rig] = []
        self._feed: list[Event] = []
        self._new_events: list[Event] = []
        self._next_gc = 0.0
        self._version: str | None = None
        self._version_asked = False
        if city is None:
            return
        self.api = SupervisorApi(city.api_url, city.name)
        self._server = GtTmuxServer(city.socket, kept_env=CITY_ENV)
        self._events = city_event_tail(city.root)

    @property
    def tmux_calls(self) -> int:
        return self._server.tmux_calls if self.city is not None else 0

    # --- refreshes --------------------------------------------------------------------------

    def refresh_cheap(self, now: float) -> None:
        if self.city is None:
            return
        view = self._server.look()
        events_error = self._events.poll()
        new = self._events.take_new()
        feed = list(self._events.feed)
        with self._lock:
            self._view = view
            self._feed = feed
            self._new_events.extend(new)
            del self._new_events[:-MAX_NEW_EVENTS]
            self._sources["city_tmux"].record(now, view.error)
            self._sources["city_events"].record(now, events_error)

    def refresh_status(self, fast: bool = True) -> None:
        """The supervisor's answers (cheap: no process); `gc` only when it is down."""
        del fast  # a city has one kind of status
        if self.city is None:
            return
        with self._status_lock:
            if not self._version_asked:
                self._version_asked = True
                self._version = gc_version(self.city.root)
            cities = self.api.get("/v0/cities")
            if isinstance(cities, SourceError):
                self._from_gc(cities)
                return
            sessions = records.parse_sessions(self.api.get_city("sessions"), "city_api")
            unread = records.parse_mail_count(
                self.api.get_city("mail/count?agent=human", "city_mail"), "city_mail"
            )
            now = time.time()
            with self._lock:
                self._supervisor_up = True
                self._controller = _city_running(cities, self.city.name)
                self._sources["city_api"].record(
                    now, sessions if isinstance(sessions, SourceError) else None
                )
                if not isinstance(sessions, SourceError):
                    self._sessions, self._via = sessions, "api"
                    self._sources["city_sessions"].record(now, None)
                self._sources["city_mail"].record(
                    now, unread if isinstance(unread, SourceError) else None
                )
                if not isinstance(unread, SourceError):
                    self._human_unread = unread

    def _from_gc(self, api_error: SourceError) -> None:
        """The supervisor is down: `gc` answers, gently (every `status_interval`)."""
        assert self.city is not None
        now = time.time()
        with self._lock:
            self._supervisor_up = False
            self._sources["city_api"].record(now, api_error)
        if time.monotonic() < self._next_gc:
            return
        self._next_gc = time.monotonic() + float(self.settings.status_interval)
        timeout = float(self.settings.gt_timeout)
        sessions = records.parse_sessions(
            gc_json(["session", "list", "--json"], self.city.root, "city_sessions", timeout),
            "city_sessions",
        )
        count = gc_text(["mail", "count", "human"], self.city.root, "city_mail", timeout)
        unread = (
            count
            if isinstance(count, SourceError)
            else records.parse_gc_mail_count(count, "city_mail")
        )
        now = time.time()
        with self._lock:
            self._sources["city_sessions"].record(
                now, sessions if isinstance(sessions, SourceError) else None
            )
            if not isinstance(sessions, SourceError):
                self._sessions, self._via = sessions, "gc"
            self._sources["city_mail"].record(
                now, unread if isinstance(unread, SourceError) else None
            )
            if not isinstance(unread, SourceError):
                self._human_unread = unread

    def refresh_convoys(self) -> None:
        """Convoys and rigs from the API (tried whether or not the status has answered yet: at
        start both run at once); nothing new while the supervisor is down."""
        if self.city is None:
            return
        answer = self.api.get_city("convoys", "city_convoys")
        if isinstance(answer, SourceError) and answer.kind == "down":
            return  # the status says the supervisor is down; convoys keep their last answer
        convoys = records.parse_convoys(answer, "city_convoys")
        rigs = records.parse_rigs(self.api.get_city("rigs", "city_convoys"), "city_convoys")
        progress: dict[str, tuple[int, int]] = {}
        if not isinstance(convoys, SourceError) and any(c.status != "closed" for c in convoys):
            table = gc_text(
                ["convoy", "list"], self.city.root, "city_convoys", float(self.settings.gt_timeout)
            )
            progress = records.parse_convoy_progress(table) if isinstance(table, str) else {}
        now = time.time()
        with self._lock:
            if isinstance(convoys, SourceError):
                self._sources["city_convoys"].record(now, convoys)
                return
            self._convoys = [
                Convoy(c.id, c.title, c.status, *progress.get(c.id, (0, 0))) for c in convoys
            ]
            if not isinstance(rigs, SourceError):
                self._rigs = rigs
            self._sources["city_convoys"].record(now, None)

    def take_new_events(self) -> list[Event]:
        with self._lock:
            taken, self._new_events = self._new_events, []
        return taken

    @property
    def wants_full_status(self) -> bool:
        return False

    def close(self) -> None:
        """Nothing is shared between watchers of a city (its API costs no process)."""

    # --- the merged view --------------------------------------------------------------------

    def view(self, now: float) -> GasCity:
        return self.gascity(now)

    def gascity(self, now: float) -> GasCity:
        city = self.city
        if city is None:
            return GasCity()
        with self._lock:
            view = self._view
            known = view is not None and view.error is None
            tmux_sessions = view.sessions if view is not None else []
            agents = merge_city_agents(
                self._sessions,
                tmux_sessions,
                known,
                crash_loops(self._feed, now),
                now,
                self._controller,
            )
            errors = [s.error for s in self._sources.values() if s.error is not None]
            if self._via == "api" or self._sources["city_sessions"].error is None:
                # sessions came from somewhere: a down API alone is said by supervisor_running
                errors = [e for e in errors if not (e.source == "city_api" and e.kind == "down")]
            if view is not None and not view.running and view.error is None:
                errors.append(
                    SourceError("city_tmux", "down", messages.city_server_down(city.socket))
                )
            return GasCity(
                city=city.name,
                root=str(city.root),
                found_by=city.found_by,
                socket=city.socket,
                server_running=bool(view and view.running),
                gc_version=self._version,
                api_url=self.api.base_url,
                via=self._via,
                supervisor_running=self._supervisor_up,
                controller_running=self._controller,
                agents=agents,
                rigs=self._city_rigs(agents),
                convoys=list(self._convoys),
                sessions=[s.record() for s in tmux_sessions],
                events=list(self._feed),
                human_unread=self._human_unread,
                errors=errors,
                other_cities=[str(other) for other in city.others],
            )

    def _city_rigs(self, agents: list[Agent]) -> list[Rig]:
        rigs = {r.name: r for r in self._rigs}
        for agent in agents:
            if agent.rig and agent.rig not in rigs:
                rigs[agent.rig] = Rig(name=agent.rig)
        return [
            Rig(
                name=rig.name,
                path=rig.path,
                polecat_count=sum(a.rig == rig.name and a.role == "polecat" for a in agents),
                has_witness=any(a.rig == rig.name and a.role == "witness" for a in agents),
                has_refinery=any(a.rig == rig.name and a.role == "refinery" for a in agents),
            )
            for rig in rigs.values()
        ]

    def health(self) -> list[SourceHealth]:
        with self._lock:
            return [s.health() for s in self._sources.values()]


def _city_running(cities: object, name: str) -> bool | None:
    items = cities.get("items") if isinstance(cities, dict) else None
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and item.get("name") == name:
            running = item.get("running")
            return running if isinstance(running, bool) else None
    return False  # the supervisor does not serve this city: its controller is not running
