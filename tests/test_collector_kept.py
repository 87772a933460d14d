"""What the collector makes again each cycle: only what changed. Every second the readers rebuild
their records (agents whose activity moved, a new event); the queue's items, the open alerts'
order, the bridge, the reserved folders and the sessions' records are made again only when
what they read changed, and are the same objects otherwise (the cache's text then compares them
by identity). Counted, never timed; each result is checked equal to one made from scratch."""

from __future__ import annotations

import dataclasses

from gt_mcp_tmux.collector.alerts import AlertTracker, state_conditions, urgency
from gt_mcp_tmux.collector.loop import Collector
from gt_mcp_tmux.collector.queue import QueueKept, queue_items
from gt_mcp_tmux.collector.reserved import ReservationWarner
from gt_mcp_tmux.model import Event, Snapshot
from gt_mcp_tmux.sources.gastown.tmux_server import GtSession, ServerView
from tests.bigmail import big_mail
from tests.harness import TmuxServer
from tests.viewkit import town_and_city


def next_second(snapshot: Snapshot) -> Snapshot:
    """The next cycle as the readers make it: every agent a new object (equal but for its
    activity, one second on), one new event, the clock moved."""
    town = snapshot.gastown
    agents = [
        dataclasses.replace(a, last_activity=(a.last_activity or 0.0) + 1) for a in town.agents
    ]
    event = Event("2026-12-02T03:00:00Z", "sling", "mayor", "slung work")
    return dataclasses.replace(
        snapshot,
        collected_at=snapshot.collected_at + 1,
        gastown=dataclasses.replace(town, agents=agents, events=[*town.events, event]),
    )


def test_queue_items_are_made_again_only_for_what_changed() -> None:
    snapshot = town_and_city()
    alerts = sorted(state_conditions(snapshot).values(), key=urgency)
    kept, seen = QueueKept(), dict[str, float]()
    first = queue_items(snapshot, alerts, seen, kept)
    assert kept.made >= len(alerts) > 3

    again = next_second(snapshot)
    second = queue_items(again, alerts, seen, kept)
    assert kept.made == 0  # nothing an item shows moved
    assert len(second) == len(first) and all(a is b for a, b in zip(first, second, strict=True))
    assert second == queue_items(again, alerts, dict(seen))  # as made from scratch

    # a dead agent took new work: its item (and it alone) is made again, and says so
    town = again.gastown
    dead = next(a for a in alerts if a.kind == "dead")
    agents = [
        dataclasses.replace(a, hook_bead="gt-new42") if a.address == dead.agent else a
        for a in town.agents
    ]
    moved = dataclasses.replace(again, gastown=dataclasses.replace(town, agents=agents))
    third = queue_items(moved, alerts, seen, kept)
    assert kept.made == 1
    assert third == queue_items(moved, alerts, dict(seen))
    assert "gt-new42" in next(i for i in third if i.id == dead.id).action


def test_the_open_alerts_are_ordered_again_only_when_they_change() -> None:
    tracker = AlertTracker(hold=1)
    snapshot = town_and_city()
    tracker.update(snapshot, [])
    first = tracker.current()
    tracker.update(next_second(snapshot), [])
    second = tracker.current()
    assert first and all(a is b for a, b in zip(first, second, strict=True))
    assert tracker._current is not None and tracker._current[2] is not None
    ordered_once = tracker._current
    assert tracker.current() == second and tracker._current is ordered_once
    tracker.acknowledge([first[0].id])  # an ack: the order is made again, without it
    assert [a.id for a in tracker.current()] == [a.id for a in first[1:]]


def test_reservations_are_listed_once_per_agent_mail_reading(tmux: TmuxServer) -> None:
    warner = ReservationWarner(["-L", tmux.socket])
    mail = big_mail()
    for second in range(5):
        warner.update(mail, 1000.0 + second, "!", "red")
    assert warner.listed == 1
    warner.update(dataclasses.replace(mail), 1006.0, "!", "red")  # read again
    assert warner.listed == 2


def test_the_bridge_is_made_again_only_when_what_it_joins_changed(tmux: TmuxServer) -> None:
    collector = Collector(tmux.out("display-message", "-p", "#{socket_path}"), None)
    snapshot = town_and_city()
    mail = big_mail(projects=4, reservations=40, conflicts=2)
    first = collector._bridge(snapshot.gastown, mail, snapshot.gascity)
    again = next_second(snapshot)  # the agents' activity moved: nothing the bridge reads
    assert collector._bridge(again.gastown, mail, again.gascity) is first
    assert collector.bridges_linked == 1
    renamed = [dataclasses.replace(a, name=a.name + "x") for a in again.gastown.agents]
    moved = dataclasses.replace(again.gastown, agents=renamed)  # who the agents are: read
    collector._bridge(moved, mail, again.gascity)
    assert collector.bridges_linked == 2


def test_an_unchanged_session_is_the_same_record() -> None:
    from gt_mcp_tmux.sources.gastown.reader import GasTownReader

    reader = GasTownReader.__new__(GasTownReader)
    reader._records = {}
    sessions = [GtSession(f"${n}", f"gt-{n}", activity=100.0 + n) for n in range(3)]
    first = reader._session_records(ServerView(True, sessions))
    busy = dataclasses.replace(sessions[1], activity=999.0)  # its pane printed
    second = reader._session_records(ServerView(True, [sessions[0], busy, sessions[2]]))
    assert second[0] is first[0] and second[2] is first[2]
    assert second[1] is not first[1] and second[1].activity == 999.0


def test_conflicts_become_conditions_once_per_agent_mail_reading() -> None:
    tracker = AlertTracker(hold=2)
    mail = big_mail(projects=4, reservations=40, conflicts=6)
    snapshot = dataclasses.replace(town_and_city(), agent_mail=mail)
    for second in range(4):
        tracker.update(dataclasses.replace(snapshot, collected_at=1000.0 + second), [])
    assert tracker.conflicts_made == 1
    opened = [a for a in tracker.current() if a.kind == "conflict"]
    assert len(opened) == len(mail.conflicts) > 0
    assert {a.since for a in opened} == {1001.0}  # opened the cycle it held for: not the first
    again = dataclasses.replace(snapshot, collected_at=1005.0, agent_mail=dataclasses.replace(mail))
    tracker.update(again, [])  # read again: made again
    assert tracker.conflicts_made == 2
    assert [a for a in tracker.current() if a.kind == "conflict"] == opened
