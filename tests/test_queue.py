"""The queue of what needs you: its order across Gas Town, Gas City and Agent Mail, next, snooze,
ack (kept across collector restarts), peek, nudge and your reservation warning, driven as a
person would (a real tmux, the plugin's collector, a real Agent Mail server, real clients)."""

from __future__ import annotations

import copy
import dataclasses
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gt_mcp_tmux.cli import is_own
from gt_mcp_tmux.collector.alerts import state_conditions, urgency
from gt_mcp_tmux.collector.queue import (
    FORGET_AFTER,
    QueueRequest,
    QueueState,
    item_order,
    pending_view,
    queue_items,
    take_into,
)
from gt_mcp_tmux.collector.reserved import covered_folder, exclusive_reservations, reservation_here
from gt_mcp_tmux.config import ConfigError
from gt_mcp_tmux.model import (
    Agent,
    AgentMail,
    Alert,
    GasTown,
    MailAgent,
    MailProject,
    QueueItem,
    Reservation,
    Snapshot,
)
from gt_mcp_tmux.ui.queue_actions import parse_duration, resolve_item
from tests.harness import Screen, TmuxServer
from tests.test_collector import (
    collectors_for,
    option_when,
    plugin_server,
    restart_collector,
    socket_path,
)
from tests.townkit import StandinTown, example_status
from tests.viewkit import busy_town, town_and_city
from tests.waiting import retry_until

GT_MCP = str(Path(sys.executable).parent / "gt-mcp")
T0 = 1_780_000_000.0


# --- the order, each item once ---------------------------------------------------------------
def items_of(snapshot: Snapshot) -> list[QueueItem]:
    alerts = sorted(state_conditions(snapshot).values(), key=urgency)
    return queue_items(snapshot, alerts, {})


def test_one_queue_across_town_city_and_agent_mail_most_pressing_then_oldest_first() -> None:
    snapshot = town_and_city()
    items = items_of(snapshot)
    kinds = [(i.severity, i.kind, i.source) for i in items]
    assert kinds[0] == ("critical", "crash_loop", "gascity")  # the city's quarantined reviewer
    assert ("critical", "dead", "gastown") in kinds  # slit died holding work
    assert ("high", "conflict", "agent_mail") in kinds and ("high", "stuck", "gastown") in kinds
    assert ("high", "mail_urgent", "agent_mail") in kinds
    assert ("normal", "mail", "gascity") in kinds and ("normal", "mail", "gastown") in kinds
    assert [i.severity for i in items] == sorted(
        (i.severity for i in items), key=["critical", "high", "normal", "info"].index
    )
    assert len({i.id for i in items}) == len(items)
    # among equals, what has waited longest first
    older = dataclasses.replace(items[-1], since=T0 - 3600)
    assert sorted([items[-1], older], key=item_order)[0] is older
    # where next goes: the agent's own server for a city agent, the bridge for a conflict
    loop = items[0]
    assert loop.go.kind == "agent" and loop.go.socket == snapshot.gascity.socket
    conflict = next(i for i in items if i.kind == "conflict")
    assert conflict.go.kind == "bridge" and conflict.go.project == "home-me-gt-gastown"
    urgent = next(i for i in items if i.kind == "mail_urgent")
    assert urgent.go.kind == "mail" and urgent.go.mail_agent == "GreenCastle"


def test_a_dying_agent_is_one_item_however_many_alerts_say_it() -> None:
    snapshot = busy_town()
    slit = next(a for a in snapshot.gastown.agents if a.address == "gastown/slit")
    death = Alert("session_death:abc", "session_death", "gt-slit died", T0, slit.session)
    state = Alert("dead:gastown/slit", "dead", "gastown/slit is dead", T0, "gastown/slit")
    items = queue_items(snapshot, [death, state], {})
    about_slit = [i for i in items if i.go.session == slit.session]
    assert [i.id for i in about_slit] == ["dead:gastown/slit"]
    assert about_slit[0].severity == "critical"  # dead holding work


def test_counted_items_come_back_when_they_grow_and_snoozes_wake() -> None:
    state = QueueState()
    item = QueueItem("mail:overseer", "mail", "normal", T0, "2 unread", "read it", count=2)
    take_into(state, [QueueRequest("ack", item.id, count=2)])
    assert state.apply([item], T0).items == [] and state.apply([item], T0).acknowledged == 1
    grown = dataclasses.replace(item, count=3)
    assert state.apply([grown], T0).items == [grown]
    take_into(state, [QueueRequest("snooze", item.id, until=T0 + 60)])
    queue = state.apply([grown], T0 + 30)
    assert queue.items == [] and [s.item for s in queue.snoozed] == [grown]
    assert state.apply([grown], T0 + 61).items == [grown]  # woke
    # a condition gone a moment (its source not answered yet) is still acknowledged...
    state.apply([], T0 + 62)
    assert state.apply([item], T0 + 63).items == []
    # ...one gone for good is forgotten: when it returns it is new
    state.apply([], T0 + 64)
    state.apply([], T0 + 64 + FORGET_AFTER)
    assert state.acked == {} and state.snoozed == {}
    # a view shows a request at once, before the collector took it
    queue = state.apply([grown], T0 + 400)
    shown = pending_view(queue, [QueueRequest("snooze", grown.id, until=T0 + 999)], T0 + 401)
    assert shown.items == [] and shown.snoozed[0].until == T0 + 999


def test_estop_comes_before_every_other_critical_item_however_young() -> None:
    snapshot = busy_town()
    old_death = Alert(
        "dead:gastown/slit", "dead", "gastown/slit is dead", T0 - 3600, "gastown/slit"
    )
    estop = Alert("estop", "estop", "ESTOP in force", T0)
    items = queue_items(snapshot, [old_death, estop], {})
    assert [i.id for i in items[:2]] == ["estop", "dead:gastown/slit"]


def test_a_merge_merged_since_and_an_answered_escalation_are_history_not_the_queue() -> None:
    from gt_mcp_tmux.model import Event

    failed = Event("t1", "merge_failed", "gastown/refinery", id="f1", payload={"mr": "mr-7"})
    escalated = Event(
        "t2",
        "escalation_sent",
        "gastown/witness",
        id="e1",
        payload={"target": "gastown/nux", "to": "mayor/"},
    )
    alerts = [
        Alert("merge_failed:f1", "merge_failed", "merge failed mr-7", T0),
        Alert("escalation_sent:e1", "escalation", "nux stuck", T0, "gastown/witness"),
    ]
    town = busy_town()
    open_town = dataclasses.replace(
        town, gastown=dataclasses.replace(town.gastown, events=[failed, escalated])
    )
    items = {i.id: i for i in queue_items(open_town, alerts, {})}
    assert {"merge_failed:f1", "escalation_sent:e1"} <= set(items)
    escalation = items["escalation_sent:e1"]
    assert escalation.agent == "gastown/nux" and escalation.go.session == "gt-nux"  # its target
    merged = Event("t3", "merged", "gastown/refinery", id="m1", payload={"mr": "mr-7"})
    done = Event("t4", "done", "gastown/nux", id="d1")
    settled = dataclasses.replace(
        town,
        gastown=dataclasses.replace(town.gastown, events=[failed, escalated, merged, done]),
    )
    left = {i.id for i in queue_items(settled, alerts, {})}
    assert "merge_failed:f1" not in left and "escalation_sent:e1" not in left


def test_durations_and_ids_are_read_as_typed_or_refused_in_one_line() -> None:
    from gt_mcp_tmux.ui.queue_actions import duration_words

    assert parse_duration("90s") == 90 and parse_duration("1h30m") == 5400
    assert parse_duration("2") == 120 and parse_duration("1d") == 86400
    assert parse_duration("0") == 0
    assert duration_words(5400) == "1h30m" and duration_words(parse_duration(" 1h 30m ")) == "1h30m"
    for bad in ("", "soon", "1y", "-5m", "5m later"):
        with pytest.raises(ConfigError, match="not a duration"):
            parse_duration(bad)
    for huge in ("400d", "9" * 400):
        with pytest.raises(ConfigError, match="a year at most"):
            parse_duration(huge)
    with pytest.raises(ConfigError) as refused:
        resolve_item("x" * 3000, items_of(busy_town()))
    assert len(str(refused.value)) < 200
    items = items_of(busy_town())
    assert resolve_item("stuck", items).id == "stuck:gastown/nux"
    with pytest.raises(ConfigError, match="start with 'mail"):
        resolve_item("mail", items)
    with pytest.raises(ConfigError, match="nothing in the queue"):
        resolve_item("nope", items)


def test_peek_is_ours_in_our_form_and_gts_in_its_own() -> None:
    assert is_own(["peek", "gastown/nux"]) and is_own(["peek", "mayor", "--lines", "5", "--json"])
    assert not is_own(["peek", "gastown/nux", "50"])  # gt's count
    assert not is_own(["peek", "gastown/nux", "-n", "200"])  # gt's flag
    assert is_own(["queue"]) and is_own(["queue", "snooze", "stuck", "1h"])
    assert is_own(["mail", "--project", "p", "--agent", "A"])
    assert not is_own(["mail", "send", "mayor/"])


# --- your reservation warning ----------------------------------------------------------------
def test_a_folder_inside_an_exclusive_reservation_is_found_and_a_parent_is_not() -> None:
    assert covered_folder("src/api/**") == "src/api" and covered_folder("src/*.py") == "src"
    assert covered_folder("./docs/") == "docs" and covered_folder("**/*.py") == ""
    project = MailProject(
        "repo",
        "/work/repo",
        reservations=[
            Reservation(1, "BlueLake", "src/api/**"),
            Reservation(2, "RedStone", "docs", exclusive=False),
        ],
    )
    held = exclusive_reservations(AgentMail("http://x", "ok", projects=[project]))
    assert reservation_here("/work/repo/src/api/v2", held) is not None
    assert reservation_here("/work/repo/src/api", held) is not None
    assert reservation_here("/work/repo/src", held) is None  # above it
    assert reservation_here("/work/repo/docs", held) is None  # shared, not exclusive
    assert reservation_here("/work/repository/src/api", held) is None  # another folder
    assert exclusive_reservations(AgentMail("http://x", "down", projects=[project])) == []


# --- with the plugin's collector -------------------------------------------------------------
def gt_mcp(server: TmuxServer, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TMUX": f"{socket_path(server)},1,0"}
    return subprocess.run(
        [GT_MCP, *args], env=env, capture_output=True, text=True, check=check, timeout=60
    )


def queue_json(server: TmuxServer) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(gt_mcp(server, "queue", "--json").stdout)
    return found


def ids(queue: dict[str, Any]) -> list[str]:
    return [item["id"] for item in queue["items"]]


def collector_sees(server: TmuxServer, wanted: Any, timeout: float = 40) -> dict[str, Any]:
    """The queue once the collector's cache shows what `wanted(ids)` asks for, twice in a row
    (before its first cache a command collects once itself, and that view is not debounced)."""
    seen: list[dict[str, Any]] = []

    def twice() -> bool:
        first = queue_json(server)
        if first["collector_pid"] is None or not wanted(ids(first)):
            return False
        time.sleep(0.5)
        seen[:] = [queue_json(server)]
        return bool(wanted(ids(seen[0])))

    retry_until(twice, timeout=timeout, every=0.5)
    return seen[0]


@pytest.fixture
def town_server(town: StandinTown) -> Iterator[TmuxServer]:
    """Gas Town's server with the example's sessions, nux's among them, each saying who it is."""
    server = TmuxServer(town.socket)
    server.run("-f", "/dev/null", "new-session", "-d", "-s", "hq-mayor", "-x", "100", "-y", "30")
    for name in ("hq-deacon", "gt-witness", "gt-refinery", "gt-furiosa", "gt-nux", "gt-crew-max"):
        server.run(
            "new-session", "-d", "-s", name, "-x", "100", "-y", "30",
            f"printf 'I AM {name.upper()}\\n'; exec sleep 600",
        )  # fmt: skip
    yield server
    server.kill()


@pytest.fixture
def mail_server(agent_mail_python: Path, tmp_path: Path) -> Iterator[Any]:
    """A real Agent Mail server of this test's own (the session's world is others' to count)."""
    from tests.agent_mail_server import AgentMailServer

    server = AgentMailServer(agent_mail_python, tmp_path / "agent-mail").start()
    yield server
    server.stop()


def seed_furiosas_mail(server: Any, town: StandinTown) -> str:
    """furiosa's worktree as an Agent Mail project: BlueLake has an urgent unread message that
    wants an acknowledgement; GreenCastle holds `src/**` exclusively. Its folder, returned."""
    key = str(town.root / "gastown" / "polecats" / "furiosa" / "gastown")
    Path(key, "src", "api").mkdir(parents=True)
    server.tool("ensure_project", human_key=key)
    for name in ("GreenCastle", "BlueLake"):
        server.tool("register_agent", project_key=key, program="claude-code", model="m", name=name)
    server.tool(
        "send_message",
        project_key=key,
        sender_name="GreenCastle",
        to=["BlueLake"],
        subject="Stop: main is red",
        body_md="stop",
        importance="urgent",
        ack_required=True,
    )
    reserve(server, key, "GreenCastle", "src/**")
    return key


def reserve(server: Any, key: str, agent: str, pattern: str) -> None:
    """An exclusive reservation for an hour, made with the server's own tool."""
    server.tool(
        "file_reservation_paths",
        project_key=key,
        agent_name=agent,
        paths=[pattern],
        ttl_seconds=3600,
        exclusive=True,
        reason=f"{agent} edits",
    )


@pytest.mark.integration
def test_items_from_both_systems_in_one_queue_and_the_flag_counts_it(
    town: StandinTown,
    town_server: TmuxServer,
    mail_server: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seed_furiosas_mail(mail_server, town)
    monkeypatch.setenv("AGENT_MAIL_URL", mail_server.url)
    status = example_status(town)
    status["rigs"][0]["mq"]["blocked"] = 2
    town.set_status(status)
    with plugin_server(town, monkeypatch) as server:
        town.estop(reason="halt")
        wanted = ["estop", "stuck:gastown/nux", "mail_urgent:", "merge_queue:gastown"]

        queue = collector_sees(
            server, lambda got: all(any(i.startswith(w) for i in got) for w in wanted)
        )
        items = queue["items"]
        order = [(i["severity"], i["id"].split(":")[0], i["source"]) for i in items]
        assert order[0] == ("critical", "estop", "gastown")
        assert ("high", "mail_urgent", "agent_mail") in order
        assert ("high", "stuck", "gastown") in order
        assert ("normal", "merge_queue", "gastown") in order
        assert ("normal", "mail", "gastown") in order  # the overseer's 2 unread
        ranks = ["critical", "high", "normal", "info"]
        assert [ranks.index(i["severity"]) for i in items] == sorted(
            ranks.index(i["severity"]) for i in items
        )
        urgent = next(i for i in items if i["kind"] == "mail_urgent")
        assert urgent["go"]["kind"] == "mail" and urgent["go"]["mail_agent"] == "BlueLake"
        # one message, urgent and awaiting an ack: one item saying both
        assert urgent["count"] == 2 and "awaiting acknowledgement" in urgent["subject"]
        assert not [i for i in items if i["kind"] == "mail_ack"]
        # the bar's flag counts the queue
        option_when(server, "@gtmcp_status", lambda v: f"⚑{len(items)}" in v, timeout=20)
        human = gt_mcp(server, "queue").stdout
        assert "Needs you" in human and "ESTOP in force" in human and "gt thaw" in human


@pytest.mark.integration
def test_next_opens_the_mail_view_at_the_message_and_the_bridge_at_the_conflict(
    town: StandinTown,
    town_server: TmuxServer,
    mail_server: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    key = seed_furiosas_mail(mail_server, town)
    reserve(mail_server, key, "BlueLake", "src/api/app.py")  # conflicts with GreenCastle's src/**
    monkeypatch.setenv("AGENT_MAIL_URL", mail_server.url)
    with plugin_server(town, monkeypatch) as server:
        queue = collector_sees(
            server,
            lambda got: any(i.startswith("conflict:") for i in got) and "mail:overseer" in got,
        )
        for item in ids(queue):  # leave the urgent mail first, then the conflict
            if not item.startswith(("mail_urgent:", "conflict:")):
                gt_mcp(server, "queue", "snooze", item, "1h")
        collector_sees(server, lambda got: got[0].startswith("mail_urgent:"))
        view = Screen(server, width=140, height=40)
        try:
            view.wait_for(lambda t: bool(t.strip()))
            view.keys("C-b", "N")
            text = view.wait_for(lambda t: "Stop: main is red" in t, timeout=20)
            assert "BlueLake" in text
            view.keys("q")
            view.wait_for(lambda t: "Stop: main is red" not in t)
            first = ids(queue_json(server))[0]
            gt_mcp(server, "queue", "snooze", first, "1h")
            collector_sees(server, lambda got: got[:1] != [] and got[0].startswith("conflict:"))
            view.keys("C-b", "N")
            text = view.wait_for(lambda t: "src/api/app.py" in t and "src/**" in t, timeout=20)
            assert "GreenCastle" in text and "BlueLake" in text, text
            view.keys("q")
        finally:
            view.close()


@pytest.mark.integration
def test_snooze_and_ack_hold_across_a_collector_restart(
    town: StandinTown, town_server: TmuxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    with plugin_server(town, monkeypatch) as server:
        collector_sees(server, lambda got: {"stuck:gastown/nux", "mail:overseer"} <= set(got))
        before = len(queue_json(server)["items"])
        said = gt_mcp(server, "queue", "snooze", "stuck", "1h").stdout
        assert "snoozed stuck:gastown/nux for 1h" in said
        assert "acknowledged mail:overseer" in gt_mcp(server, "queue", "ack", "mail:over").stdout
        option_when(server, "@gtmcp_status", lambda v: f"⚑{before - 2}" in v or "⚑" not in v)
        restart_collector(server)
        queue = queue_json(server)
        assert "stuck:gastown/nux" not in ids(queue) and "mail:overseer" not in ids(queue)
        assert [s["item"]["id"] for s in queue["snoozed"]] == ["stuck:gastown/nux"]
        assert queue["snoozed"][0]["until"] > time.time() + 3000
        assert queue["acknowledged"] >= 1
        # more mail for the overseer: the acknowledged item is back
        grown = copy.deepcopy(example_status(town))
        grown["overseer"]["unread_mail"] = 3
        town.set_status(grown)
        retry_until(lambda: "mail:overseer" in ids(queue_json(server)), 30)
        # woken by hand
        assert "woke" in gt_mcp(server, "queue", "snooze", "stuck:gastown/nux", "0").stdout
        retry_until(lambda: "stuck:gastown/nux" in ids(queue_json(server)), 15)
        # without a collector nothing can keep a snooze: said in one line
        for proc in collectors_for(socket_path(server)):
            proc.kill()
        server.run("set", "-g", "@_gtmcp-collector-pid", "")
        time.sleep(1)
        refused = gt_mcp(server, "queue", "ack", "all", check=False)
        assert refused.returncode == 2 and "no gastown-mcp collector" in refused.stderr
        assert "Traceback" not in refused.stderr


@pytest.mark.integration
def test_prefix_n_goes_to_the_first_items_agent_through_a_real_client(
    town: StandinTown, town_server: TmuxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    with plugin_server(town, monkeypatch) as server:
        collector_sees(server, lambda got: got[:1] == ["stuck:gastown/nux"])
        view = Screen(server, width=140, height=40)
        try:
            view.wait_for(lambda t: bool(t.strip()))
            view.keys("C-b", "N")
            text = view.wait_for(lambda t: "I AM GT-NUX" in t, timeout=20)
            assert "I AM GT-NUX" in text  # the attach to Gas Town's server, in a popup
            view.keys("C-b", "d")
            view.wait_for(lambda t: "I AM GT-NUX" not in t)
            # the queue popup: the list, peek at nux's pane, close
            view.keys("C-b", "Q")
            text = view.wait_for(lambda t: "Needs you" in t and "gastown/nux" in t, timeout=20)
            assert "Enter go" in text
            view.keys("p")
            assert "I AM GT-NUX" in view.wait_for(lambda t: "I AM GT-NUX" in t, timeout=10)
            # nudge nux: the text asked for, the command shown, run on a y
            town.answer("nudge", "Nudged gastown/nux")
            view.keys("n")
            view.wait_for(lambda t: "message (Enter" in t, timeout=10)
            view.keys("-l", "what blocks you?")
            view.keys("Enter")
            shown = view.wait_for(lambda t: "run it?" in t, 10)
            assert "gt nudge gastown/nux '--message=what blocks you?'" in shown  # as a shell would
            view.keys("y", "Enter")
            view.wait_for(lambda t: "nudged gastown/nux" in t, timeout=15)
            log_text = Path(os.environ["STANDIN_GT_LOG"]).read_text()
            log = [json.loads(line) for line in log_text.splitlines()]
            nudges = [r for r in log if r["argv"][:1] == ["nudge"]]
            assert [r["argv"] for r in nudges] == [
                ["nudge", "gastown/nux", "--message=what blocks you?"]
            ]
            assert nudges[0]["cwd"] == str(town.root)
            # s snoozes the first item; z shows the snoozed list, where w wakes it
            view.keys("s")
            view.wait_for(lambda t: "snoozed for 1h: gastown/nux is stuck" in t, timeout=10)
            view.keys("z")
            shown = view.wait_for(lambda t: "Snoozed 1" in t, timeout=10)
            assert "gastown/nux is stuck" in shown and "59m more" in shown and "w wake" in shown
            view.keys("w")
            view.wait_for(lambda t: "woke: gastown/nux is stuck" in t, timeout=10)
            view.wait_for(lambda t: "nothing is snoozed" in t, timeout=10)
            view.keys("z")
            view.wait_for(lambda t: "Needs you" in t and "gastown/nux is stuck" in t, timeout=10)
            assert [s["item"]["id"] for s in queue_json(server)["snoozed"]] == []
            view.keys("q")
            view.wait_for(lambda t: "Needs you" not in t)
            # an empty queue: next says so, and goes nowhere
            for item in ids(queue_json(server)):
                gt_mcp(server, "queue", "snooze", item, "1h")
            collector_sees(server, lambda got: got == [])
            option_when(server, "@gtmcp_status", lambda v: "⚑" not in v, timeout=20)
            view.keys("C-b", "N")
            shown = view.wait_for(lambda t: "nothing needs you" in t)
            assert "nothing needs you" in shown, shown
        finally:
            view.close()


@pytest.mark.integration
def test_next_says_so_when_the_agents_session_is_gone_and_nothing_covers_the_pane(
    town: StandinTown, town_server: TmuxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    with plugin_server(town, monkeypatch) as server:
        collector_sees(server, lambda got: got[:1] == ["stuck:gastown/nux"])
        town_server.run("kill-session", "-t", "=gt-nux:")
        view = Screen(server, width=140, height=40)
        try:
            view.wait_for(lambda t: bool(t.strip()))
            view.keys("C-b", "N")
            shown = view.wait_for(lambda t: "session gt-nux is gone" in t, timeout=20)
            # what happened first: the end of a long message may be cut at the client's width
            assert "gastown-mcp: session gt-nux is gone: gastown/nux is stuck" in shown
            time.sleep(6)  # the message has gone: no tmux error in view mode under it
            assert "returned" not in view.text() and "popup.sh" not in view.text()
        finally:
            view.close()


@pytest.mark.integration
def test_peek_shows_the_panes_text_and_passes_no_escape(
    town: StandinTown, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("GT_TOWN_ROOT", str(town.root))
    server = TmuxServer(town.socket)
    hostile = (
        "printf 'hello from nux\\n\\033]2;PWNED\\007\\033[31mred\\033[0m #(touch {p}) #[fg=red]"
        " \\342\\200\\256evil\\n'; exec sleep 600"
    ).format(p=tmp_path / "pwned")
    server.run("-f", "/dev/null", "new-session", "-d", "-s", "hq-mayor")
    server.run("new-session", "-d", "-s", "gt-nux", "-x", "100", "-y", "20", hostile)
    try:
        retry_until(lambda: "hello" in server.out("capture-pane", "-p", "-t", "=gt-nux:"), 10)
        done = subprocess.run(
            [GT_MCP, "peek", "gastown/nux", "--json"], capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
        peeked = json.loads(done.stdout)
        assert peeked["session"] == "gt-nux" and peeked["orchestrator"] == "gastown"
        text = "\n".join(peeked["lines"])
        assert "hello from nux" in text and "red" in text and "#(touch" in text
        assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
        human = subprocess.run(
            [GT_MCP, "peek", "gastown/nux", "--lines", "3"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert "hello from nux" in human.stdout and "\x1b" not in human.stdout
        assert not (tmp_path / "pwned").exists()
        missing = subprocess.run(
            [GT_MCP, "peek", "gastown/nobody"], capture_output=True, text=True, timeout=60
        )
        assert missing.returncode == 2 and "no agent 'gastown/nobody'" in missing.stderr
    finally:
        server.kill()


@pytest.mark.integration
def test_your_pane_in_a_reserved_folder_shows_on_your_bar(
    town: StandinTown,
    town_server: TmuxServer,
    mail_server: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder = seed_furiosas_mail(mail_server, town)
    monkeypatch.setenv("AGENT_MAIL_URL", mail_server.url)
    with plugin_server(town, monkeypatch) as server:
        server.run("new-window", "-t", "main", "-c", f"{folder}/src/api")
        inside = server.out("display-message", "-p", "-t", "main", "#{pane_id}")
        server.run("new-window", "-t", "main", "-c", folder)
        above = server.out("display-message", "-p", "-t", "main", "#{pane_id}")

        def note(pane: str) -> str:
            return server.out("display-message", "-p", "-t", pane, "#{@gtmcp_reserved}")

        retry_until(lambda: "src/**" in note(inside), timeout=40, every=0.5)
        assert "⛔ src/** GreenCastle" in note(inside)
        assert note(above) == ""  # the project's root is above the reserved folder
        # the combined segment carries it, for the client in that pane only
        server.run("select-window", "-t", inside)
        shown = server.out("display-message", "-p", "-t", inside, "#{T:status-right}")
        assert "src/** GreenCastle" in shown
        assert "GreenCastle" not in server.out(
            "display-message", "-p", "-t", above, "#{T:status-right}"
        )


def test_ids_are_printed_whole_to_be_copied_even_on_a_narrow_terminal() -> None:
    from rich.console import Console

    from gt_mcp_tmux.render.queue_view import queue_table

    long_id = "mail_urgent:" + "very-long-project-slug-" * 5 + ":BlueLake"
    item = QueueItem(long_id, "mail_urgent", "high", T0, "1 urgent unread", "read it")
    queue = QueueState().apply([item], T0)
    console = Console(width=60, color_system=None)
    with console.capture() as captured:
        console.print(queue_table(queue, T0))
    assert long_id in "".join(line.strip() for line in captured.get().splitlines())


def test_hostile_item_text_reaches_the_terminal_as_text() -> None:
    from rich.console import Console

    from gt_mcp_tmux.render.queue_view import queue_popup, queue_table

    town = GasTown(
        root="/t",
        socket="gt-x",
        agents=[
            Agent(
                "gastown/x\x1b]2;T\x07",
                "x",
                "polecat",
                session="gt-x",
                status="stuck",
                work_title="\x1b[2J[red]boom[/red]",
            )
        ],
    )
    mail = AgentMail(
        "http://x",
        "ok",
        projects=[MailProject("p", "/p", agents=[MailAgent("\x1b[31mEvil", urgent_unread=1)])],
    )
    snapshot = Snapshot(T0, "t", town, agent_mail=mail)
    queue = QueueState().apply(items_of(snapshot), T0)
    assert len(queue.items) == 2
    for view in (queue_table(queue, T0), queue_popup(queue, T0, 0, 20, ["\x1b[1mpane"])):
        console = Console(width=100, force_terminal=True, color_system=None)
        with console.capture() as captured:
            console.print(view)
        out = captured.get()
        assert "\x1b]" not in out and "\x1b[2J" not in out and "\x1b[31m" not in out
        assert "[red]boom[/red]" in out
