"""The queue: one ordered list of what needs the person, from every source.

Its items are the open alerts (already debounced by `alerts.AlertTracker`) and what only a
count says: urgent or ack-required Agent Mail for the fleet's agents (and for the person),
the overseer's or `human`'s own mail, a blocked merge queue. Each item says where
`gt-mcp queue next` goes (`QueueGo`) and what to do. Ordered by severity, then the oldest
first: what has waited longest comes first among equals. The same condition is one item.

Snoozes and acknowledgements outlive the collector (`queue-<server>.json`). They travel from
`gt-mcp queue snooze|ack` to the collector through a request file, as alert acks do. An alert's
acknowledgement is the tracker's own (it returns when the condition clears and comes back);
a counted item's holds until its count grows.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from gt_mcp_tmux.collector.alerts import answers
from gt_mcp_tmux.model import (
    QUEUE_SEVERITIES,
    Agent,
    Alert,
    Event,
    MailProject,
    Queue,
    QueueGo,
    QueueItem,
    QueueSeverity,
    Snapshot,
    SnoozedItem,
    from_json,
    to_json,
)
from gt_mcp_tmux.private_files import open_regular, runtime_dir, server_key, write_private
from gt_mcp_tmux.render.ages import parse_time

#: How pressing each kind of item is, and what to do about it.
KINDS: dict[str, tuple[QueueSeverity, str]] = {
    "estop": ("critical", "resume with `gt thaw` when it is safe"),
    "crash_loop": ("critical", "look at its pane (peek), fix the cause, then restart it"),
    "dead": ("high", "restart it, or take its work back"),
    "session_death": ("critical", "look at why it died; its work may need a new agent"),
    "stuck": ("high", "go to it and unblock it (or nudge it)"),
    "watchdog": ("high", "the deacon is not patrolling: check its session"),
    "merge_failed": ("high", "look at the merge request: `gt mq list`"),
    "order_failed": ("high", "look at the failed order in the city's feed"),
    "escalation": ("high", "an agent escalated: read it and answer"),
    "mail_urgent": ("high", "read the urgent mail"),
    "conflict": ("high", "two agents hold overlapping reservations: tell one to release"),
    "merge_queue": ("normal", "merges are blocked: `gt mq list`"),
    "stalled": ("normal", "go to it: it has work but has been quiet"),
    "mail_ack": ("normal", "mail waits for an acknowledgement"),
    "mail": ("normal", "read your mail"),
    "down": ("normal", "a source stopped answering: see Prefix+b"),
    "convoy_landed": ("info", "a convoy landed: nothing to do but look"),
}
#: A dead agent that still holds work is worse than one that does not.
DEAD_WITH_WORK: QueueSeverity = "critical"
#: An acknowledged or aged item gone this long is forgotten: when it comes back it is new.
FORGET_AFTER = 120.0
#: Kinds about one agent dying, the most telling first: one item per agent.
DEATH_KINDS = ("crash_loop", "dead", "session_death")
#: Agent Mail names the person goes by (the overseer's own inbox).
PERSON_NAMES = frozenset({"human", "overseer", "humanoverseer"})


def item_order(item: QueueItem) -> tuple[int, int, float, str]:
    """Most pressing first (an ESTOP before every other critical item: nothing moves until it is
    lifted); among equals the oldest; then by id, so the order is stable."""
    rank = QUEUE_SEVERITIES.index(item.severity) if item.severity in QUEUE_SEVERITIES else 9
    return rank, 0 if item.kind == "estop" else 1, item.since, item.id


# --- what needs the person ---------------------------------------------------------------
@dataclass
class QueueKept:
    """The collector's items from the last cycle, each with what it was made from, so that an
    item whose inputs did not change is the same object again: 2,400 open alerts over 1,000
    agents made again every second were a fifth of the collector's cycle, and the cache's
    text compares its items by identity first."""

    #: alert id -> (the alert, the facts its item shows of its agent, the item)
    alerts: dict[str, tuple[Alert, tuple[object, ...], QueueItem]] = field(default_factory=dict)
    #: (Agent Mail's reading, the fleet's projects' slugs) -> its items
    mail: tuple[object, tuple[str, ...], list[QueueItem]] | None = None
    #: the last call's alerts, what their items read, and the items
    loop: tuple[list[Alert], tuple[object, ...], dict[str, QueueItem]] | None = None
    #: the counted items (mail, merge queues) as last given
    counted: dict[str, QueueItem] = field(default_factory=dict)
    #: the last ordering's items (by identity) and its result
    ordered: tuple[list[QueueItem], list[QueueItem]] = field(default_factory=lambda: ([], []))
    made: int = 0  # items made, not kept, by the last call (tests count them)


def queue_items(
    snapshot: Snapshot,
    alerts: Iterable[Alert],
    first_seen: dict[str, float],
    kept: QueueKept | None = None,
) -> list[QueueItem]:
    """Every item the snapshot and its open alerts show, ordered, each once.

    `first_seen` gives counted items (mail, merge queues) their age: when each was first seen;
    new ones are added to it. `kept`: the collector's items of the last call (see `QueueKept`)."""
    kept = kept or QueueKept()
    kept.made = 0
    now = snapshot.collected_at
    items: dict[str, QueueItem] = {}
    counted = _person_mail(snapshot) + _kept_mail(snapshot, kept) + _merge_queues(snapshot)
    person_mail = any(i.kind == "mail" for i in counted)
    items.update(_alert_items(snapshot, list(alerts), person_mail, kept))
    counted_now: dict[str, QueueItem] = {}
    for item in counted:
        since = first_seen.setdefault(item.id, now)
        item = replace(item, since=since) if since < item.since else item
        before = kept.counted.get(item.id)
        if before is not None and before == item:
            item = before  # equal to last cycle's: the same object (made anew each cycle)
        counted_now[item.id] = item
        items.setdefault(item.id, item)
    kept.counted = counted_now
    listed = list(items.values())
    sorted_from, ordered = kept.ordered
    if not _same(sorted_from, listed):
        ordered = sorted(listed, key=item_order)
        kept.ordered = (listed, ordered)
    return list(ordered)


def _alert_items(
    snapshot: Snapshot, alerts: list[Alert], person_mail: bool, kept: QueueKept
) -> dict[str, QueueItem]:
    """The open alerts' items, by id: the last call's again when the alerts are the same
    objects and nothing an item reads changed (the agents' sessions and hooked work, the
    sessions, and the feed when an alert is settled by a later event or names its target
    there); else each alert's item kept or made (`_kept_alert`)."""
    town, city = snapshot.gastown, snapshot.gascity
    by_feed = any(a.kind == "escalation" or a.id.partition(":")[0] in FEED_SETTLED for a in alerts)
    inputs = (
        [(a.address, a.session, a.hook_bead) for a in town.agents],
        [(a.address, a.session, a.hook_bead) for a in city.agents],
        _indexes(snapshot).sessions,
        (town.socket, city.socket, person_mail),
        (town.events, city.events) if by_feed else None,
    )
    last = kept.loop
    if last is not None and last[1] == inputs and _same(last[0], alerts):
        return dict(last[2])
    made: dict[str, tuple[Alert, tuple[object, ...], QueueItem]] = {}
    items: dict[str, QueueItem] = {}
    dying: set[str] = set()  # agents with an item about their death already
    for alert in sorted(
        alerts, key=lambda a: DEATH_KINDS.index(a.kind) if a.kind in DEATH_KINDS else 9
    ):
        if alert.kind == "mail" and person_mail:
            continue  # "3 new mail" alerts are the one "mail for you" item below
        if _settled(snapshot, alert):
            continue
        item = _kept_alert(snapshot, alert, kept, made)
        if item.kind in DEATH_KINDS:
            # a crash loop, a dead agent and its session's death are one thing to fix
            who = item.go.session or item.agent or item.id
            if who in dying:
                continue
            dying.add(who)
        items.setdefault(item.id, item)
    kept.alerts = made
    kept.loop = (alerts, inputs, items)
    return dict(items)


def _same(old: list[QueueItem] | list[Alert], new: list[QueueItem] | list[Alert]) -> bool:
    """The same objects in the same order."""
    return len(old) == len(new) and all(a is b for a, b in zip(old, new, strict=True))


def _kept_alert(
    snapshot: Snapshot,
    alert: Alert,
    kept: QueueKept,
    made: dict[str, tuple[Alert, tuple[object, ...], QueueItem]],
) -> QueueItem:
    """The alert's item: the last call's when the alert and what its item shows of its agent
    (session, hooked work, server) are the same."""
    if alert.kind == "escalation":  # its target is in the feed, which moves every event
        kept.made += 1
        return _from_alert(snapshot, alert)
    found = _fleet_agent(snapshot, alert.agent)
    facts: tuple[object, ...]
    if found is not None:
        facts = (found[0].session, found[0].hook_bead, found[1], found[2])
    else:
        facts = (None, alert.agent in _indexes(snapshot).sessions, snapshot.gastown.socket)
    last = kept.alerts.get(alert.id)
    if last is not None and (last[0] is alert or last[0] == alert) and last[1] == facts:
        item = last[2]
    else:
        item = _from_alert(snapshot, alert)
        kept.made += 1
    made[alert.id] = (alert, facts, item)
    return item


def _kept_mail(snapshot: Snapshot, kept: QueueKept) -> list[QueueItem]:
    """`_agent_mail`, made again only when Agent Mail was read again (every few seconds) or the
    fleet's projects changed: its search of the recent messages for each agent is not free."""
    mail = snapshot.agent_mail
    slugs = tuple(p.slug for p in _fleet_projects(snapshot))
    if kept.mail is not None and kept.mail[0] is mail and kept.mail[1] == slugs:
        return list(kept.mail[2])
    items = _agent_mail(snapshot)
    kept.made += len(items)
    kept.mail = (mail, slugs, items)
    return list(items)


FleetAgent = tuple[Agent, str | None, str]  # an agent, its server's socket, gastown|gascity


@dataclass
class _Indexes:
    """One snapshot's agents by every name an alert uses, and its events by `(type, id)`: built
    once per snapshot (a queue of 600 items over 1,000 agents looked each up in a list: 86 ms
    a cycle)."""

    snapshot: Snapshot
    agents: dict[str, FleetAgent]
    events: dict[tuple[str, str], tuple[list[Event], int]]
    sessions: frozenset[str]  # the town's tmux sessions' names


_LAST: list[_Indexes] = []


def _indexes(snapshot: Snapshot) -> _Indexes:
    if _LAST and _LAST[0].snapshot is snapshot:
        return _LAST[0]
    agents: dict[str, FleetAgent] = {}
    for listed, socket, source in (
        (snapshot.gastown.agents, snapshot.gastown.socket, "gastown"),
        (snapshot.gascity.agents, snapshot.gascity.socket, "gascity"),
    ):
        for agent in listed:
            for name in (agent.address, agent.session, agent.address.rstrip("/")):
                if name:
                    agents.setdefault(name, (agent, socket, source))
    events: dict[tuple[str, str], tuple[list[Event], int]] = {}
    for feed in (snapshot.gastown.events, snapshot.gascity.events):
        for index, event in enumerate(feed):
            events.setdefault((event.type, event.id), (feed, index))
    sessions = frozenset(s.name for s in snapshot.gastown.sessions)
    _LAST[:] = [_Indexes(snapshot, agents, events, sessions)]
    return _LAST[0]


def _fleet_agent(snapshot: Snapshot, name: str | None) -> FleetAgent | None:
    """The town's or the city's agent an alert names (address or session), with its server."""
    return _indexes(snapshot).agents.get(name) if name else None


#: The alerts whose answer the queue also looks for in the snapshot's feed (a snapshot made
#: without the tracker's history, as `collect_once`'s); the tracker closes every kind of
#: `SETTLED_BY` itself. Session deaths are left out: with one open, the feed (new each event)
#: would make every alert's item again each cycle.
FEED_SETTLED = ("merge_failed", "escalation_sent")


def _raising_event(snapshot: Snapshot, alert: Alert) -> tuple[list[Event], int] | None:
    """The feed the alert's event is in and its place there (`<type>:<fingerprint>` ids)."""
    kind, _, fingerprint = alert.id.partition(":")
    return _indexes(snapshot).events.get((kind, fingerprint))


def _settled(snapshot: Snapshot, alert: Alert) -> bool:
    """An event alert a later event in the feed answered (`alerts.SETTLED_BY`); the tracker
    drops those it sees answered, however old, this catches one in the same snapshot."""
    if alert.id.partition(":")[0] not in FEED_SETTLED:
        return False  # not an alert that a later event settles (most are not)
    found = _raising_event(snapshot, alert)
    if found is None:
        return False
    feed, index = found
    raised = feed[index]
    return any(answers(raised, later) for later in feed[index + 1 :])


def _from_alert(snapshot: Snapshot, alert: Alert) -> QueueItem:
    severity, action = KINDS.get(alert.kind, ("normal", "see Prefix+g"))
    if alert.kind == "escalation":  # about its target, not the witness that sent it
        raised = _raising_event(snapshot, alert)
        target = raised[0][raised[1]].payload.get("target") if raised else None
        alert = replace(alert, agent=target or alert.agent)
    found = _fleet_agent(snapshot, alert.agent)
    source = "gascity" if ":city:" in alert.id or alert.id.endswith(":city_tmux") else "gastown"
    go = QueueGo()
    if found is not None:
        agent, socket, source = found
        if agent.session:
            go = QueueGo("agent", socket=socket, session=agent.session)
        if alert.kind == "dead" and agent.hook_bead:
            severity = DEAD_WITH_WORK
            action = f"it died holding {agent.hook_bead}: restart it or sling the work again"
    elif alert.agent and alert.agent in _indexes(snapshot).sessions:
        go = QueueGo("agent", socket=snapshot.gastown.socket, session=alert.agent)
    if alert.kind == "conflict":
        source = "agent_mail"
        project = alert.id.split(":")[1] if alert.id.count(":") >= 2 else None
        go = QueueGo("bridge", project=project)
    elif alert.id == "down:agent_mail":
        source = "agent_mail"
    return QueueItem(
        alert.id,
        alert.kind,
        severity,
        alert.since,
        alert.message,
        action,
        agent=alert.agent,
        source=source,
        go=go,
    )


def _person_mail(snapshot: Snapshot) -> list[QueueItem]:
    """The overseer's mail in the town and `human`'s in the city, while any is unread."""
    town, city = snapshot.gastown, snapshot.gascity
    mailboxes = (
        (town.root, town.overseer_unread, "mail:overseer", "gastown", "you (the overseer)", "gt mail inbox"),
        (city.root, city.human_unread, "mail:city:human", "gascity", "you (human)", "gc mail inbox human"),
    )  # fmt: skip
    return [
        QueueItem(
            item_id,
            "mail",
            "normal",
            snapshot.collected_at,
            f"{unread} unread {'city ' if source == 'gascity' else ''}mail for {whom}",
            f"read it: `{command}`",
            source=source,
            count=unread,
        )
        for root, unread, item_id, source, whom, command in mailboxes
        if root is not None and unread > 0
    ]


def _fleet_projects(snapshot: Snapshot) -> list[MailProject]:
    """Agent Mail's projects of the fleet: those the bridge links to a rig or an agent, or every
    one when Agent Mail is used without a town or city linked to it."""
    mail = snapshot.agent_mail
    if mail is None or mail.state != "ok":
        return []
    bridge = snapshot.bridge
    linked = {link.project for link in bridge.links} if bridge is not None else set()
    if not linked:
        return list(mail.projects)
    return [p for p in mail.projects if p.slug in linked or p.human_key in linked]


def _agent_mail(snapshot: Snapshot) -> list[QueueItem]:
    """One item per agent of the fleet's projects with urgent unread or ack-required mail (a
    message both urgent and awaiting an ack is one thing to see to)."""
    mail, now = snapshot.agent_mail, snapshot.collected_at
    items: list[QueueItem] = []
    if mail is None:
        return items
    for project in _fleet_projects(snapshot):
        for agent in project.agents:
            urgent = agent.urgent_unread if "urgent_unread" not in agent.withheld else 0
            acks = agent.acks_pending if "acks_pending" not in agent.withheld else 0
            if urgent <= 0 and acks <= 0:
                continue
            person = agent.name.casefold() in PERSON_NAMES
            who = "you" if person else agent.name
            said = [f"{urgent} urgent unread"] if urgent else []
            if acks:
                said.append(f"{acks} awaiting acknowledgement")
            message = _newest_urgent(snapshot, project.slug, agent.name)
            sent = _sent_at(snapshot, message)
            kind = "mail_urgent" if urgent else "mail_ack"
            to_do = (
                ("read it" if urgent else "acknowledge it")
                if person
                else (f"see that {agent.name} {'reads it' if urgent else 'acknowledges'}")
            )
            items.append(
                QueueItem(
                    f"{kind}:{project.slug}:{agent.name}",
                    kind,
                    "high" if urgent or person else "normal",
                    sent if sent is not None else now,
                    f"{' and '.join(said)} for {who} in {project.slug}",
                    to_do,
                    agent=agent.name,
                    source="agent_mail",
                    count=urgent + acks,
                    go=QueueGo(
                        "mail", project=project.slug, mail_agent=agent.name, message_id=message
                    ),
                )
            )
    return items


def _sent_at(snapshot: Snapshot, message_id: int | None) -> float | None:
    """When that message was sent (its age is the item's, not when the collector first saw it)."""
    mail = snapshot.agent_mail
    if mail is None or message_id is None:
        return None
    found = next((m for m in mail.messages if m.id == message_id), None)
    return parse_time(found.created_ts) if found is not None else None


def _newest_urgent(snapshot: Snapshot, project: str, agent: str) -> int | None:
    """The newest urgent message to `agent` among the recent ones the snapshot holds."""
    mail = snapshot.agent_mail
    if mail is None:
        return None
    for message in mail.messages:  # newest first
        if (
            message.project == project
            and message.importance in ("urgent", "high")
            and agent in message.recipients
        ):
            return message.id
    return None


def _merge_queues(snapshot: Snapshot) -> list[QueueItem]:
    """A rig whose merge queue has blocked merge requests."""
    now, items = snapshot.collected_at, []
    for rig in snapshot.gastown.rigs:
        mq = rig.mq
        if mq is None or mq.blocked <= 0:
            continue
        refinery = _fleet_agent(snapshot, f"{rig.name}/refinery")
        go = QueueGo()
        if refinery is not None and refinery[0].session:
            go = QueueGo("agent", socket=refinery[1], session=refinery[0].session)
        items.append(
            QueueItem(
                f"merge_queue:{rig.name}",
                "merge_queue",
                "normal",
                now,
                f"{mq.blocked} blocked merge{'s' if mq.blocked != 1 else ''} in {rig.name}'s queue",
                f"see `gt mq list {rig.name}`",
                agent=f"{rig.name}/refinery",
                count=mq.blocked,
                go=go,
            )
        )
    return items


# --- snoozes and acknowledgements --------------------------------------------------------
@dataclass
class QueueState:
    """What the person said about items: snoozed until when, acknowledged at which count."""

    snoozed: dict[str, float] = field(default_factory=dict)
    acked: dict[str, int] = field(default_factory=dict)
    first_seen: dict[str, float] = field(default_factory=dict)
    #: When a remembered item was last missed (not kept on disk: a restart starts the wait anew).
    gone_since: dict[str, float] = field(default_factory=dict)

    def to_data(self) -> dict[str, Any]:
        return {"snoozed": self.snoozed, "acked": self.acked, "first_seen": self.first_seen}

    def apply(self, items: list[QueueItem], now: float, keep: Iterable[str] = ()) -> Queue:
        """The queue the person sees: snoozed items apart, acknowledged counted items out.

        What is remembered of an item gone for `FORGET_AFTER` seconds is forgotten (a source
        that has not answered yet, after a restart, must not wipe an ack), except for ids
        starting with one of `keep` (a source that is down); an expired snooze too."""
        kept = tuple(keep)
        present = {item.id for item in items}
        for item_id in present:
            self.gone_since.pop(item_id, None)
        for memory in (self.acked, self.first_seen):
            for item_id in [i for i in memory if i not in present and not i.startswith(kept)]:
                gone = self.gone_since.setdefault(item_id, now)
                if now - gone >= FORGET_AFTER:
                    del memory[item_id]
        for item_id in [
            i for i in self.gone_since if i not in self.acked and i not in self.first_seen
        ]:
            del self.gone_since[item_id]
        for item_id in [i for i, until in self.snoozed.items() if until <= now]:
            del self.snoozed[item_id]
        shown: list[QueueItem] = []
        snoozed: list[SnoozedItem] = []
        acknowledged = 0
        for item in items:
            if item.id in self.snoozed:
                snoozed.append(SnoozedItem(item, self.snoozed[item.id]))
            elif item.id in self.acked and item.count <= self.acked[item.id]:
                acknowledged += 1
            else:
                shown.append(item)
        return Queue(shown, snoozed, acknowledged)


def state_path(socket_path: str) -> Path:
    return runtime_dir() / f"queue-{server_key(socket_path)}.json"


def requests_path(socket_path: str) -> Path:
    return runtime_dir() / f"queue-requests-{server_key(socket_path)}.json"


def save_state(state: QueueState, socket_path: str) -> None:
    write_private(state_path(socket_path), json.dumps(state.to_data(), sort_keys=True))


def load_state(socket_path: str) -> QueueState:
    """What a previous collector of this server left (nothing when unreadable)."""
    try:
        with open_regular(state_path(socket_path)) as fh:
            data = json.loads(fh.read(4 * 1024 * 1024))
    except (OSError, ValueError, RecursionError):
        return QueueState()
    if not isinstance(data, dict):
        return QueueState()
    return QueueState(
        snoozed=_numbers(data.get("snoozed"), float),
        acked=_numbers(data.get("acked"), int),
        first_seen=_numbers(data.get("first_seen"), float),
    )


def _numbers(data: object, kind: type[float] | type[int]) -> Any:
    if not isinstance(data, dict):
        return {}
    return {
        str(k): kind(v)
        for k, v in data.items()
        if isinstance(v, int | float) and not isinstance(v, bool)
    }


# --- requests from `gt-mcp queue snooze|ack` ------------------------------------------------
@dataclass(frozen=True, slots=True)
class QueueRequest:
    """`op`: `snooze` (until `until`; 0 wakes it), or `ack` (at `count`)."""

    op: str
    id: str
    until: float = 0.0
    count: int = 1


def request(socket_path: str, requests: list[QueueRequest]) -> None:
    """Hand requests to the collector; it takes them within a second."""
    path = requests_path(socket_path)
    pending = read_requests(path) + requests
    write_private(path, json.dumps([to_json(r) for r in pending]))


def read_requests(path: Path) -> list[QueueRequest]:
    try:
        with open_regular(path) as fh:
            data = json.loads(fh.read(1024 * 1024))
    except (OSError, ValueError, RecursionError):
        return []
    if not isinstance(data, list):
        return []
    found = [from_json(QueueRequest, item) for item in data if isinstance(item, dict)]
    return [r for r in found if isinstance(r.op, str) and isinstance(r.id, str)]


def take_requests(socket_path: str) -> list[QueueRequest]:
    """The pending requests, removed from disk once read."""
    path = requests_path(socket_path)
    if not path.exists():
        return []
    found = read_requests(path)
    with contextlib.suppress(OSError):
        path.unlink()
    return found


def take_into(state: QueueState, requests: list[QueueRequest]) -> list[str]:
    """Apply requests to the state; the ids acknowledged (for the alert tracker too)."""
    acked: list[str] = []
    for req in requests:
        if req.op == "snooze":
            if req.until > 0:
                state.snoozed[req.id] = req.until
            else:
                state.snoozed.pop(req.id, None)
        elif req.op == "ack":
            state.acked[req.id] = max(req.count, state.acked.get(req.id, 0))
            state.snoozed.pop(req.id, None)
            acked.append(req.id)
    return acked


def pending_view(queue: Queue, requests: list[QueueRequest], now: float) -> Queue:
    """The queue as it will be once the collector took `requests` (a view shown right after a
    key press must not show what was just snoozed)."""
    state = QueueState(
        snoozed={s.item.id: s.until for s in queue.snoozed},
        acked={},
    )
    take_into(state, requests)
    every = [*queue.items, *(s.item for s in queue.snoozed)]
    # keep=("",): every id is kept (this throwaway state must forget nothing it was given)
    shown = state.apply(sorted(every, key=item_order), now, keep=("",))
    return replace(shown, acknowledged=queue.acknowledged + shown.acknowledged)
