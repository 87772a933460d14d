"""Attention items: derived from state changes and new events, debounced, acknowledgeable.

State alerts (an agent stuck/stalled/dead, ESTOP, a reservation conflict, Agent Mail down) fire
only after the condition holds for `hold` cycles in a row and clear after it is gone as long, so a
flickering agent does not flicker the bar. Event alerts (session death, merge failure, escalation,
a convoy landing, new mail for the overseer) fire once and stay until acknowledged or `event_ttl`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from gt_mcp_tmux.model import (
    WATCHDOG_STALE,
    WATCHDOG_VERY_STALE,
    AgentMail,
    Alert,
    AlertKind,
    Conflict,
    Event,
    Snapshot,
    from_json,
    to_json,
)
from gt_mcp_tmux.private_files import open_regular, runtime_dir, server_key, write_private
from gt_mcp_tmux.sources.gastown.files import parse_rfc3339

#: Alert kinds ranked for display: most urgent first.
URGENCY = (
    "estop",
    "crash_loop",
    "dead",
    "stuck",
    "session_death",
    "watchdog",
    "merge_failed",
    "order_failed",
    "escalation",
    "conflict",
    "stalled",
    "down",
    "mail",
    "convoy_landed",
)

#: Agent statuses that need the overseer, as the alert kinds they raise.
_ATTENTION_KINDS: dict[str, AlertKind] = {"stuck": "stuck", "dead": "dead", "stalled": "stalled"}

EVENT_KINDS: dict[str, AlertKind] = {
    "session_death": "session_death",
    "mass_death": "session_death",
    "merge_failed": "merge_failed",
    "escalation_sent": "escalation",
    # Gas City's (`session.idle_killed` is the health patrol's routine: feed only)
    "session.crashed": "session_death",
    "session.stranded": "session_death",
    "session.quarantined": "crash_loop",
    "order.failed": "order_failed",
    "controller.stopped": "down",
    "convoy.closed": "convoy_landed",
}


def death_is_crash(event: Event) -> bool:
    """A `session_death` Gas Town reports as a crash (its daemon's health check).

    Every other reason is routine: the daemon reaping an idle polecat after `gt done`
    (`idle-reap: ...`, `self-clean: done means idle`), `gt down` (`user shutdown`), orphan and
    zombie clean-ups. Those go to the feed and never alert. `mass_death` always alerts.
    """
    if event.type == "mass_death":
        return True
    return "crash" in event.payload.get("reason", "").lower()


#: What answers an event's alert, by the raising event's type: a later event of these types
#: naming the same thing under the payload key (or, for `done`, as its actor). A failed merge
#: merged since, an escalation acknowledged or closed or its agent done, a dead session started
#: again: history, no longer something that needs the person.
SETTLED_BY: dict[str, tuple[tuple[str, ...], str]] = {
    "merge_failed": (("merged", "merge_skipped"), "mr"),
    "escalation_sent": (("escalation_acked", "escalation_closed", "done"), "target"),
    "session_death": (("session_start",), "session"),
    "session.crashed": (("session.woke",), "subject"),
    "session.stranded": (("session.woke",), "subject"),
}


def answers(raised: Event, later: Event) -> bool:
    """Whether `later` settles the alert `raised` fired (SETTLED_BY)."""
    rule = SETTLED_BY.get(raised.type)
    if rule is None or later.type not in rule[0]:
        return False
    subject = raised.payload.get(rule[1])
    if not subject:
        return False
    return later.payload.get(rule[1]) == subject or (
        later.type == "done" and later.actor == subject
    )


def _is_alert_event(event: Event) -> bool:
    if event.type not in EVENT_KINDS:
        return False
    return event.type not in ("session_death", "mass_death") or death_is_crash(event)


def urgency(alert: Alert) -> tuple[int, float]:
    """Sort key: most urgent kind first, then newest."""
    rank = URGENCY.index(alert.kind) if alert.kind in URGENCY else len(URGENCY)
    return rank, -alert.since


def state_conditions(snapshot: Snapshot, with_conflicts: bool = True) -> dict[str, Alert]:
    """Every state alert the snapshot shows right now (before debouncing), by id; Agent Mail's
    conflicts too unless `with_conflicts` is False (the tracker keeps its own: see
    `conflict_conditions`)."""
    now = snapshot.collected_at
    found: dict[str, Alert] = {}
    town = snapshot.gastown
    for agent in town.agents:
        kind = _ATTENTION_KINDS.get(agent.status)
        if kind is not None:
            work = f": {agent.work_title}" if agent.work_title else ""
            alert_id = f"{agent.status}:{agent.address}"
            found[alert_id] = Alert(
                alert_id,
                kind,
                f"{agent.address} is {agent.status}{work}",
                now,
                agent.address,
            )
    age = town.deacon_heartbeat_age
    if age is not None and age >= WATCHDOG_STALE:
        very = age >= WATCHDOG_VERY_STALE
        alert_id = "watchdog:very_stale" if very else "watchdog:stale"
        found[alert_id] = Alert(
            alert_id,
            "watchdog",
            f"the deacon's heartbeat is {'very ' if very else ''}stale ({int(age // 60)} min old)",
            now,
            "deacon/",
        )
    if town.estop or town.estop_rigs:
        where = f" on {', '.join(town.estop_rigs)}" if town.estop_rigs and not town.estop else ""
        reason = f": {town.estop_reason}" if town.estop_reason else ""
        alert_id = "estop" if town.estop else "estop:" + ",".join(town.estop_rigs)
        found[alert_id] = Alert(alert_id, "estop", f"ESTOP in force{where}{reason}", now)
    found.update(city_conditions(snapshot))
    mail = snapshot.agent_mail
    if mail is not None and with_conflicts:
        found.update(conflict_conditions(mail, now))
    return found


def conflict_conditions(mail: AgentMail, now: float) -> dict[str, Alert]:
    """One alert per two agents whose reservations conflict in a project, by id
    (`conflict:<project>:<agent>:<agent>`, the names in order): what to do is the same for all
    their overlaps (one of them releases), and a fleet with thousands of overlapping
    reservations gets tens of alerts, not thousands. The message names their first overlap and
    how many more there are; a new pair is a new alert."""
    pairs: dict[str, list[Conflict]] = {}
    for c in mail.conflicts:
        first, second = sorted((c.agent_a, c.agent_b))
        pairs.setdefault(f"conflict:{c.project}:{first}:{second}", []).append(c)
    found: dict[str, Alert] = {}
    for alert_id, overlaps in pairs.items():
        c = overlaps[0]
        more = f" (+{len(overlaps) - 1} more between them)" if len(overlaps) > 1 else ""
        message = (
            f"reservation conflict in {c.project}: {c.agent_a} {c.path_a} vs {c.agent_b}"
            f" {c.path_b}{more}"
        )
        found[alert_id] = Alert(alert_id, "conflict", message, now)
    return found


#: A city agent's states that mean it keeps dying (`crash-loop`: woken again and again).
CRASH_LOOP_STATES = ("quarantined", "crash-loop")


def city_conditions(snapshot: Snapshot) -> dict[str, Alert]:
    """The city's state alerts: agents needing attention (a crash loop named as one), and its
    tmux server gone while the city is watched."""
    city, now = snapshot.gascity, snapshot.collected_at
    found: dict[str, Alert] = {}
    if city.root is None:
        return found
    for agent in city.agents:
        kind = _ATTENTION_KINDS.get(agent.status)
        if kind is None:
            continue
        what = f"is {agent.status}"
        if agent.status == "dead" and agent.state in CRASH_LOOP_STATES:
            kind = "crash_loop"
            what = "is crash-looping" + (" (quarantined)" if agent.state == "quarantined" else "")
        alert_id = f"{kind}:city:{agent.address}"
        found[alert_id] = Alert(alert_id, kind, f"{agent.address} {what}", now, agent.address)
    if not city.server_running and any(e.source == "city_tmux" for e in city.errors):
        found["down:city_tmux"] = Alert(
            "down:city_tmux", "down", f"Gas City {city.city}: its tmux server is down", now
        )
    return found


@dataclass
class AlertTracker:
    hold: int = 2
    event_ttl: float = 1800.0
    active: dict[str, Alert] = field(default_factory=dict)
    seen_for: dict[str, int] = field(default_factory=dict)  # pending state conditions
    gone_for: dict[str, int] = field(default_factory=dict)  # active state alerts not seen
    event_alerts: dict[str, Alert] = field(default_factory=dict)
    acked: set[str] = field(default_factory=set)
    #: The event each open event alert was raised by, while a later one may settle it.
    raised_by: dict[str, Event] = field(default_factory=dict)
    _convoys: dict[str, str] | None = None
    _overseer_unread: int | None = None
    _human_unread: int | None = None
    _mail_was_ok: bool = False
    _supervisor_was_up: bool = False
    #: The open alerts and acks `current` last ordered, and its order.
    _current: tuple[list[Alert], set[str], list[Alert]] | None = None
    #: The Agent Mail reading whose conflicts were last made into conditions, and those.
    _conflicts: tuple[AgentMail, dict[str, Alert]] | None = None
    conflicts_made: int = 0  # times they were made (tests count them)

    def update(self, snapshot: Snapshot, events: Iterable[Event]) -> list[Alert]:
        """Take one cycle's snapshot and new events; return the alerts that fire now."""
        now = snapshot.collected_at
        events = list(events)
        fired = self._update_states(self._with_transitions(snapshot), now)
        self._settle(events, snapshot)
        transitions: list[tuple[Alert, Event | None]] = [
            (alert, None) for alert in self._transition_alerts(snapshot)
        ]
        for alert, raised in transitions + self._event_alerts(events, now):
            if alert.id not in self.event_alerts:
                self.event_alerts[alert.id] = alert
                fired.append(alert)
                if raised is not None and raised.type in SETTLED_BY:
                    self.raised_by[alert.id] = raised
        self._settle_later(events, snapshot)
        for alert_id, alert in list(self.event_alerts.items()):
            if now - alert.since > self.event_ttl:
                self._drop(alert_id)
        still = {*self.event_alerts, *self.active}  # an answer in the same cycle: never fired
        return [a for a in fired if a.id not in self.acked and a.id in still]

    def _drop(self, alert_id: str) -> None:
        self.event_alerts.pop(alert_id, None)
        self.raised_by.pop(alert_id, None)
        self.acked.discard(alert_id)

    def _settle(self, events: list[Event], snapshot: Snapshot) -> None:
        """Drop the open event alerts that this cycle's events answer, or whose dead session
        runs again (started after the death: Gas Town's restart may write no event)."""
        started = {s.name: s.created for s in snapshot.gastown.sessions}
        for alert_id, raised in list(self.raised_by.items()):
            if alert_id not in self.event_alerts:
                del self.raised_by[alert_id]  # gone another way (read mail, a rewrite)
            elif any(answers(raised, later) for later in events):
                self._drop(alert_id)
            elif raised.type == "session_death":
                died = parse_rfc3339(raised.ts)
                created = started.get(raised.payload.get("session", ""))
                if died is not None and created is not None and created >= int(died):
                    self._drop(alert_id)

    def _settle_later(self, events: list[Event], snapshot: Snapshot) -> None:
        """Alerts raised this cycle by an event that a later event of the same cycle answers."""
        for alert_id, raised in list(self.raised_by.items()):
            place = next((i for i, e in enumerate(events) if e is raised), None)
            if place is not None and any(answers(raised, e) for e in events[place + 1 :]):
                self._drop(alert_id)

    def _with_transitions(self, snapshot: Snapshot) -> dict[str, Alert]:
        conditions = state_conditions(snapshot, with_conflicts=False)
        mail = snapshot.agent_mail
        if mail is not None:
            # Agent Mail is read every few seconds: its conflicts (thousands, with 2,000
            # reservations) made into alerts once per reading, not every second
            if self._conflicts is None or self._conflicts[0] is not mail:
                self._conflicts = (mail, conflict_conditions(mail, snapshot.collected_at))
                self.conflicts_made += 1
            conditions.update(self._conflicts[1])
        if mail is not None and mail.state != "off":
            if mail.state == "ok":
                self._mail_was_ok = True
            elif self._mail_was_ok:
                reason = f": {mail.error}" if mail.error else ""
                conditions["down:agent_mail"] = Alert(
                    "down:agent_mail",
                    "down",
                    f"Agent Mail is {mail.state}{reason}",
                    snapshot.collected_at,
                )
        city = snapshot.gascity
        if city.root is not None:
            if city.supervisor_running:
                self._supervisor_was_up = True
            elif self._supervisor_was_up:
                conditions["down:city_supervisor"] = Alert(
                    "down:city_supervisor",
                    "down",
                    f"Gas City's supervisor stopped answering ({city.api_url})",
                    snapshot.collected_at,
                )
            if city.supervisor_running and city.controller_running is False:
                conditions["down:city_controller"] = Alert(
                    "down:city_controller",
                    "down",
                    f"Gas City {city.city}: its controller is not running (gc start)",
                    snapshot.collected_at,
                )
        return conditions

    def _update_states(self, conditions: dict[str, Alert], now: float) -> list[Alert]:
        fired: list[Alert] = []
        for alert_id, alert in conditions.items():
            self.gone_for.pop(alert_id, None)
            if alert_id in self.active:
                continue
            self.seen_for[alert_id] = self.seen_for.get(alert_id, 0) + 1
            if self.seen_for[alert_id] >= self.hold:
                del self.seen_for[alert_id]
                if alert.since != now:  # a condition kept from an earlier cycle: open now
                    alert = replace(alert, since=now)
                self.active[alert_id] = alert
                fired.append(alert)
        for alert_id in [a for a in self.seen_for if a not in conditions]:
            del self.seen_for[alert_id]
        for alert_id in [a for a in self.active if a not in conditions]:
            self.gone_for[alert_id] = self.gone_for.get(alert_id, 0) + 1
            if self.gone_for[alert_id] >= self.hold:
                del self.active[alert_id], self.gone_for[alert_id]
                self.acked.discard(alert_id)
        return fired

    def _transition_alerts(self, snapshot: Snapshot) -> list[Alert]:
        """Convoys that closed and overseer mail that grew since the last answer of their source."""
        answered = {s.name for s in snapshot.sources if s.last_ok is not None}
        alerts: list[Alert] = []
        if "convoys" in answered:
            alerts += self._landed_convoys(snapshot)
        if answered & {"gt_status", "gt_status_fast"}:
            alerts += self._overseer_mail(snapshot)
        if "city_mail" in answered:
            alerts += self._human_mail(snapshot)
        return alerts

    def _human_mail(self, snapshot: Snapshot) -> list[Alert]:
        """New mail for the city's `human` mailbox (the overseer's, in Gas City's words)."""
        now, unread = snapshot.collected_at, snapshot.gascity.human_unread
        alerts = []
        if self._human_unread is not None and unread > self._human_unread:
            message = f"{unread - self._human_unread} new city mail for you ({unread} unread)"
            alerts.append(Alert(f"mail:city:{int(now)}", "mail", message, now))
        if unread == 0:
            for alert_id in [a for a in self.event_alerts if a.startswith("mail:city:")]:
                del self.event_alerts[alert_id]
        self._human_unread = unread
        return alerts

    def _landed_convoys(self, snapshot: Snapshot) -> list[Alert]:
        alerts = []
        before = self._convoys
        for convoy in snapshot.gastown.convoys:
            was = before.get(convoy.id) if before is not None else None
            if convoy.status == "closed" and was is not None and was != "closed":
                message = f"convoy landed: {convoy.title} ({convoy.completed}/{convoy.total})"
                alerts.append(
                    Alert(
                        f"convoy_landed:{convoy.id}",
                        "convoy_landed",
                        message,
                        snapshot.collected_at,
                    )
                )
        self._convoys = {c.id: c.status for c in snapshot.gastown.convoys}
        return alerts

    def _overseer_mail(self, snapshot: Snapshot) -> list[Alert]:
        now, unread = snapshot.collected_at, snapshot.gastown.overseer_unread
        alerts = []
        if self._overseer_unread is not None and unread > self._overseer_unread:
            message = (
                f"{unread - self._overseer_unread} new mail for the overseer ({unread} unread)"
            )
            alerts.append(Alert(f"mail:{int(now)}", "mail", message, now))
        if unread == 0:
            for alert_id in [a for a in self.event_alerts if a.startswith("mail:")]:
                del self.event_alerts[alert_id]
        self._overseer_unread = unread
        return alerts

    @staticmethod
    def _event_alerts(events: Iterable[Event], now: float) -> list[tuple[Alert, Event | None]]:
        alerts: list[tuple[Alert, Event | None]] = []
        for event in events:
            if not _is_alert_event(event):
                continue
            # the line's fingerprint: two deaths in one second are two alerts, and the same
            # line read again (the log rewritten) is the same alert
            alert_id = f"{event.type}:{event.id or event.ts + ':' + event.actor}"
            text = event.summary or f"{event.type} ({event.actor})"
            agent = (
                event.payload.get("session") or event.payload.get("subject") or event.actor or None
            )
            alerts.append((Alert(alert_id, EVENT_KINDS[event.type], text, now, agent), event))
        return alerts

    def current(self) -> list[Alert]:
        alive = [*self.active.values(), *self.event_alerts.values()]
        last = self._current
        if (
            last is not None
            and last[1] == self.acked
            and len(last[0]) == len(alive)
            and all(a is b for a, b in zip(last[0], alive, strict=True))
        ):
            return list(last[2])  # the same open alerts: 2,400 of them sorted again each cycle
        ordered = sorted((a for a in alive if a.id not in self.acked), key=urgency)
        self._current = (alive, set(self.acked), ordered)
        return list(ordered)

    def acknowledge(self, ids: Iterable[str]) -> None:
        known = set(self.active) | set(self.event_alerts)
        self.acked |= {i for i in ids if i in known}


# --- alerts and acks outlive the collector: a restart forgets nothing, announces nothing again ---
def tracker_path(socket_path: str) -> Path:
    return runtime_dir() / f"alerts-{server_key(socket_path)}.json"


def save_tracker(tracker: AlertTracker, socket_path: str) -> None:
    """What is open and what was acknowledged (state alerts, event alerts, acks)."""
    data = {
        "active": [to_json(a) for a in tracker.active.values()],
        "events": [to_json(a) for a in tracker.event_alerts.values()],
        "acked": sorted(tracker.acked),
        "raised_by": {key: to_json(event) for key, event in tracker.raised_by.items()},
    }
    write_private(tracker_path(socket_path), json.dumps(data))


def load_tracker(tracker: AlertTracker, socket_path: str) -> None:
    """Take back what a previous collector of this server left (nothing when unreadable)."""
    try:
        with open_regular(tracker_path(socket_path)) as fh:
            data = json.loads(fh.read(4 * 1024 * 1024))
    except (OSError, ValueError, RecursionError):
        return
    if not isinstance(data, dict):
        return
    for key, target in (("active", tracker.active), ("events", tracker.event_alerts)):
        for item in data.get(key) or []:
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                alert = from_json(Alert, item)
                target[alert.id] = alert
    acked = data.get("acked")
    if isinstance(acked, list):
        tracker.acked = {str(i) for i in acked}
    raised_by = data.get("raised_by")
    if isinstance(raised_by, dict):
        for key, item in raised_by.items():
            if isinstance(item, dict) and key in tracker.event_alerts:
                tracker.raised_by[str(key)] = from_json(Event, item)


# --- acknowledgements travel from `gt-mcp alerts --ack` to the collector through a file -------
def acks_path(socket_path: str) -> Path:
    return runtime_dir() / f"acks-{server_key(socket_path)}.json"


def request_ack(socket_path: str, ids: list[str]) -> None:
    """Ask the collector to acknowledge these ids (or `all`); it picks them up next cycle."""
    path = acks_path(socket_path)
    write_private(path, json.dumps(sorted(set(read_ack_requests(path)) | set(ids))))


def read_ack_requests(path: Path) -> list[str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return [str(item) for item in data] if isinstance(data, list) else []


def take_ack_requests(socket_path: str) -> list[str]:
    """The pending requests, removed from disk once read."""
    path = acks_path(socket_path)
    if not path.exists():
        return []
    ids = read_ack_requests(path)
    path.unlink(missing_ok=True)
    return ids
