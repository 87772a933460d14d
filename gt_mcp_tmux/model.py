"""The plain records every part of gastown-mcp speaks, and their JSON form.

Sources produce them, the collector merges them into a `Snapshot`, renderers draw them. The JSON
form (`to_json` / `snapshot_from_json`) is the cache file and every `--json` output: keep field
names stable and add, never rename.
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

AgentStatus = Literal["working", "idle", "stuck", "stalled", "dead", "stopped"]
#: The deacon's heartbeat is stale after 5 minutes and very stale after 20 (Gas Town's words).
WATCHDOG_STALE = 5 * 60.0
WATCHDOG_VERY_STALE = 20 * 60.0
#: Statuses that need the overseer's attention, most urgent first.
ATTENTION_STATUSES: tuple[AgentStatus, ...] = ("stuck", "dead", "stalled")
ROLES = ("mayor", "deacon", "witness", "refinery", "polecat", "crew", "dog", "boot")
FailureKind = Literal[
    "missing", "not_found", "timeout", "bad_output", "down", "auth", "error", "skipped", "partial"
]
MailState = Literal["ok", "down", "auth", "error", "off"]


@dataclass(frozen=True, slots=True)
class SourceError:
    """Why a source gave nothing usable. `kind` is one of `FailureKind`; `message` is one line."""

    source: str
    kind: FailureKind
    message: str


@dataclass(frozen=True, slots=True)
class Agent:
    """One agent: a town's (merged from `gt status --json`, its tmux session and its heartbeat)
    or a city's (from the supervisor's sessions and the city's tmux server)."""

    address: str
    name: str
    role: str
    rig: str | None = None
    session: str | None = None
    running: bool = False
    hook_bead: str | None = None
    work_title: str | None = None
    unread_mail: int = 0
    state: str | None = None  # gt's raw state word (stuck, awaiting-gate, ...)
    status: AgentStatus = "stopped"  # derived by agents.derive_status
    last_activity: float | None = None  # epoch seconds: newest of heartbeat and tmux activity
    agent_info: str | None = None
    pane_command: str | None = None


@dataclass(frozen=True, slots=True)
class Convoy:
    id: str
    title: str
    status: str
    completed: int = 0
    total: int = 0


@dataclass(frozen=True, slots=True)
class MergeQueue:
    pending: int = 0
    in_flight: int = 0
    blocked: int = 0
    state: str = "idle"
    health: str = "empty"


@dataclass(frozen=True, slots=True)
class Rig:
    name: str
    prefix: str | None = None
    path: str | None = None
    repo: str | None = None
    polecat_count: int = 0
    crew_count: int = 0
    has_witness: bool = False
    has_refinery: bool = False
    estop: bool = False
    mq: MergeQueue | None = None


@dataclass(frozen=True, slots=True)
class TmuxSession:
    """A session on a tmux server (the user's or Gas Town's)."""

    name: str
    windows: int = 1
    attached: int = 0
    created: float = 0.0
    activity: float = 0.0
    role: str | None = None  # GT_ROLE from the session environment, on Gas Town's server


@dataclass(frozen=True, slots=True)
class Event:
    """One line of `<town>/.events.jsonl`."""

    ts: str
    type: str
    actor: str = ""
    summary: str = ""
    visibility: str = "feed"
    id: str = ""  # a fingerprint of the line: the same line, whatever rewrote the log, is one event
    payload: dict[str, str] = field(default_factory=dict)  # its scalar payload values, as text


@dataclass(frozen=True, slots=True)
class ReadyBead:
    """A bead `gt ready --json` lists: what the sling picker offers."""

    id: str
    title: str
    priority: int | None = None
    source: str = ""
    issue_type: str = ""


@dataclass(frozen=True, slots=True)
class GasTown:
    """Everything known about the town; `errors` says which sources failed and how."""

    town: str | None = None
    root: str | None = None
    found_by: str | None = None
    socket: str | None = None
    server_running: bool = False
    gt_version: str | None = None
    agents: list[Agent] = field(default_factory=list)
    rigs: list[Rig] = field(default_factory=list)
    convoys: list[Convoy] = field(default_factory=list)
    sessions: list[TmuxSession] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    estop: bool = False
    estop_rigs: list[str] = field(default_factory=list)
    estop_reason: str | None = None
    overseer_unread: int = 0
    deacon_heartbeat_age: float | None = None
    errors: list[SourceError] = field(default_factory=list)
    #: Roots of other towns whose servers run too (not watched: `@gtmcp-town-root` chooses).
    other_towns: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class GasCity:
    """Everything known about the watched Gas City, shaped like `GasTown` where the two agree.

    `via` says where the sessions came from: `api` (the supervisor's HTTP API), `gc` (the CLI,
    when the supervisor does not answer) or None (only the city's tmux server was read).
    """

    city: str | None = None
    root: str | None = None
    found_by: str | None = None
    socket: str | None = None
    server_running: bool = False
    gc_version: str | None = None
    api_url: str | None = None
    via: str | None = None
    supervisor_running: bool = False
    controller_running: bool | None = None
    agents: list[Agent] = field(default_factory=list)
    rigs: list[Rig] = field(default_factory=list)
    convoys: list[Convoy] = field(default_factory=list)
    sessions: list[TmuxSession] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    human_unread: int = 0
    errors: list[SourceError] = field(default_factory=list)
    #: Roots of other cities found too (not watched: `@gtmcp-city-root` chooses).
    other_cities: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class MailAgent:
    name: str
    program: str = ""
    model: str = ""
    unread: int = 0
    urgent_unread: int = 0
    acks_pending: int = 0
    last_active: str | None = None
    #: What the agent said it does; Gas City's Agent Mail backend names its gc agent there.
    task_description: str = ""
    #: Counts the server would not give (`urgent_unread`, `acks_pending`: upstream >= 0.3.1 asks
    #: for the agent's token): their 0 above means unknown, never zero.
    withheld: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Reservation:
    id: int
    agent: str
    path_pattern: str
    exclusive: bool = True
    reason: str = ""
    created_ts: str | None = None
    expires_ts: str | None = None


@dataclass(frozen=True, slots=True)
class MailMessage:
    id: int
    project: str
    subject: str
    sender: str
    recipients: list[str] = field(default_factory=list)
    importance: str = "normal"
    created_ts: str | None = None


@dataclass(frozen=True, slots=True)
class MailProject:
    slug: str
    human_key: str
    agents: list[MailAgent] = field(default_factory=list)
    reservations: list[Reservation] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Conflict:
    project: str
    path_a: str
    agent_a: str
    path_b: str
    agent_b: str


@dataclass(frozen=True, slots=True)
class AgentMail:
    """The Agent Mail server as last seen. `state` is a `MailState`; the token never lands here."""

    url: str
    state: MailState = "off"
    error: str | None = None
    variant: str | None = None
    via: str | None = None  # "http" or "sqlite"
    latency_ms: float | None = None
    unread_total: int = 0
    urgent_unread: int = 0
    acks_pending: int = 0
    reservations_active: int = 0
    conflicts: list[Conflict] = field(default_factory=list)
    projects: list[MailProject] = field(default_factory=list)
    messages: list[MailMessage] = field(default_factory=list)
    #: Totals that leave out what the server withheld, and why: {"urgent_unread": "needs agent
    #: token"}. Such a total counts only the agents whose number is known.
    withheld: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class BridgeLink:
    project: str
    rig: str | None = None
    agent: str | None = None
    #: Whose rig and agent: `gastown` (a town's) or `gascity` (a city's).
    orchestrator: str = "gastown"
    #: How the agent was joined: `path` (where the project lives) or `identity` (a city agent
    #: that is itself an Agent Mail agent: Gas City's mail backend is Agent Mail).
    by: str = "path"


@dataclass(frozen=True, slots=True)
class Bridge:
    """How Agent Mail projects join Gas Town's and Gas City's rigs and agents.
    `state`: linked|unlinked|partial|down."""

    state: str = "down"
    links: list[BridgeLink] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class SourceHealth:
    """How one source is doing inside the collector: last success and last error."""

    name: str
    last_ok: float | None = None
    last_run: float | None = None
    last_error: str | None = None
    interval: float = 0.0


AlertKind = Literal[
    "stuck",
    "stalled",
    "dead",
    "merge_failed",
    "escalation",
    "session_death",
    "estop",
    "convoy_landed",
    "mail",
    "conflict",
    "down",
    "watchdog",
    "crash_loop",
    "order_failed",
]
ALERT_KINDS: tuple[str, ...] = typing.get_args(AlertKind)


@dataclass(frozen=True, slots=True)
class Alert:
    """Something that needs the overseer. `id` is stable for one condition (used to acknowledge)."""

    id: str
    kind: AlertKind
    message: str
    since: float
    agent: str | None = None


QueueSeverity = Literal["critical", "high", "normal", "info"]
#: Severities, most pressing first: the queue's first sort key.
QUEUE_SEVERITIES: tuple[str, ...] = typing.get_args(QueueSeverity)


@dataclass(frozen=True, slots=True)
class QueueGo:
    """Where `gt-mcp queue next` takes the person for an item.

    `kind`: `agent` (the agent's session on `socket`), `mail` (the mail view at `project`,
    `mail_agent`, `message_id`), `bridge` (the bridge view at the conflict in `project`) or
    `show` (nowhere to go: the item and what to do are shown).
    """

    kind: str = "show"
    socket: str | None = None
    session: str | None = None
    project: str | None = None
    mail_agent: str | None = None
    message_id: int | None = None


@dataclass(frozen=True, slots=True)
class QueueItem:
    """One thing that needs the person, from any source (an alert, mail, a merge queue).

    `id` is stable for one condition (snooze and ack name it); `count` is how many of it there
    are (unread urgent messages, blocked merges): an acknowledged item comes back when it grows.
    `source`: `gastown`, `gascity` or `agent_mail`.
    """

    id: str
    kind: str
    severity: QueueSeverity
    since: float
    subject: str
    action: str
    agent: str | None = None
    source: str = "gastown"
    count: int = 1
    go: QueueGo = field(default_factory=QueueGo)


@dataclass(frozen=True, slots=True)
class SnoozedItem:
    item: QueueItem
    until: float


@dataclass(frozen=True, slots=True)
class Queue:
    """What needs the person now, most pressing first; snoozed items apart, acknowledged ones
    counted only."""

    items: list[QueueItem] = field(default_factory=list)
    snoozed: list[SnoozedItem] = field(default_factory=list)
    acknowledged: int = 0


@dataclass(frozen=True, slots=True)
class Snapshot:
    collected_at: float
    version: str
    gastown: GasTown = field(default_factory=GasTown)
    agent_mail: AgentMail | None = None
    bridge: Bridge | None = None
    sources: list[SourceHealth] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    #: The watched Gas City (`root` None: none); added after the rest, so it comes last.
    gascity: GasCity = field(default_factory=GasCity)
    #: What needs the person, from every source (`collector/queue.py`); added last.
    queue: Queue = field(default_factory=Queue)


# --- what the diagnostic and control commands print as JSON -----------------------------------


@dataclass(frozen=True, slots=True)
class GastownFound:
    binary: str | None
    version: str | None
    town_root: str | None
    found_by: str | None
    socket: str | None
    socket_from: str | None
    server_running: bool
    sessions: int
    error: str | None = None
    hints: list[str] = field(default_factory=list)
    took_ms: float = 0.0
    #: Other towns whose Gas Town servers run too (not watched; `@gtmcp-town-root` chooses).
    other_towns: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class AgentMailFound:
    url: str
    up: bool
    latency_ms: float | None
    error: str | None
    hints: list[str] = field(default_factory=list)
    #: False: switched off (option `agent_mail`): the server is not even asked.
    enabled: bool = True


@dataclass(frozen=True, slots=True)
class TmuxFound:
    version: str | None
    popups: bool
    inside_tmux: bool
    hints: list[str] = field(default_factory=list)
    #: Keys the plugin left alone because something else was bound there (inside tmux only).
    skipped_keys: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class CityFound:
    """One Gas City `detect` found, how (`cwd`, `GC_CITY`, `registry`, `config`), and whether
    it is the one watched."""

    name: str
    root: str
    found_by: str
    socket: str
    server_running: bool
    watched: bool = False


@dataclass(frozen=True, slots=True)
class GascityFound:
    binary: str | None
    version: str | None
    supervisor_url: str | None = None
    supervisor_running: bool = False
    cities: list[CityFound] = field(default_factory=list)
    hints: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Detection:
    gastown: GastownFound
    agent_mail: AgentMailFound
    tmux: TmuxFound
    config_errors: list[str] = field(default_factory=list)  # bad options, ignored for the run
    gascity: GascityFound | None = None  # None: Gas City watching is off


@dataclass(frozen=True, slots=True)
class CollectorStatus:
    running: bool
    pid: int | None
    socket: str
    version: str | None = None
    started: float | None = None
    last_refresh: float | None = None
    last_error: str | None = None
    sources: list[SourceHealth] = field(default_factory=list)
    #: Seconds between its cycles now: 1 for a small town, more for a big fleet held within
    #: `collector_cpu` (None: not said, an older collector).
    cycle_every: float | None = None


@dataclass(frozen=True, slots=True)
class SessionLoad:
    """The processes of one Gas Town session's panes, added up."""

    session: str
    processes: int
    cpu_percent: float
    rss_bytes: int


@dataclass(frozen=True, slots=True)
class HostHealth:
    load: tuple[float, float, float] | None
    cpus: int
    cpu_percent: float
    mem_total: int
    mem_used: int
    mem_percent: float
    swap_percent: float
    agent_processes: int = 0
    agent_cpu_percent: float = 0.0
    agent_rss_bytes: int = 0
    sessions: list[SessionLoad] = field(default_factory=list)  # busiest first
    panes_error: str | None = None


@dataclass(frozen=True, slots=True)
class ServerSessions:
    """One tmux server's sessions; `running` is False when no server answered."""

    server: str | None
    running: bool
    sessions: list[TmuxSession] = field(default_factory=list)


def to_json(record: Any) -> Any:
    """A record (or list of records) as plain JSON-ready data."""
    if dataclasses.is_dataclass(record) and not isinstance(record, type):
        return {f.name: to_json(getattr(record, f.name)) for f in dataclasses.fields(record)}
    if isinstance(record, list | tuple):
        return [to_json(item) for item in record]
    if isinstance(record, dict):
        return {str(key): to_json(value) for key, value in record.items()}
    return record


T = TypeVar("T")


def from_json(cls: type[T], data: Any) -> T:
    """Rebuild a record from `to_json` output; unknown keys are ignored, missing ones defaulted."""
    return typing.cast(T, _decode(cls, data))


def _decode(hint: Any, data: Any) -> Any:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        if data is None:
            return None
        options = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        return _decode(options[0], data)
    if origin is list:
        (item,) = typing.get_args(hint)
        return [_decode(item, value) for value in data or []]
    if origin is Literal:
        return data
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        if not isinstance(data, dict):
            return hint()
        return hint(
            **{name: _decode(ftype, data[name]) for name, ftype in _fields(hint) if name in data}
        )
    return data


@functools.cache
def _fields(cls: type) -> tuple[tuple[str, Any], ...]:
    """(name, type) of a record's fields; resolved once per class (get_type_hints is slow)."""
    hints = typing.get_type_hints(cls)
    return tuple((f.name, hints[f.name]) for f in dataclasses.fields(cls))


def snapshot_from_json(data: Any) -> Snapshot:
    return from_json(Snapshot, data)
