"""Alerts: each kind from scripted state changes and event lines, debounce, ack, clear, actions."""

from __future__ import annotations

import itertools
import json
import sys
import time
import typing
from dataclasses import replace
from pathlib import Path

import pytest

from gt_mcp_tmux.collector.alerts import AlertTracker, request_ack, take_ack_requests
from gt_mcp_tmux.collector.announce import message_commands, notify_clients, run_hook
from gt_mcp_tmux.model import (
    Agent,
    AgentMail,
    AgentStatus,
    Alert,
    Conflict,
    Convoy,
    Event,
    GasTown,
    Snapshot,
    SourceHealth,
)
from tests.harness import Screen, TmuxServer
from tests.waiting import retry_until

T0 = 1_800_000_000.0


def snap(step: int, agents: list[Agent] | None = None, **town: object) -> Snapshot:
    mail = town.pop("mail", None)
    answered = typing.cast(tuple[str, ...], town.pop("answered", ("gt_status_fast", "convoys")))
    if "deacon_age" in town:
        town["deacon_heartbeat_age"] = town.pop("deacon_age")
    base = GasTown(town="gt", root="/t", agents=agents or [], **town)  # type: ignore[arg-type]
    sources = [SourceHealth(name, last_ok=T0) for name in answered]
    return Snapshot(T0 + step, "test", base, mail, sources=sources)  # type: ignore[arg-type]


def polecat(status: AgentStatus, name: str = "nux") -> Agent:
    return Agent(
        f"gastown/{name}", name, "polecat", rig="gastown", status=status, work_title="Fix it"
    )


def kinds(alerts: list[Alert]) -> list[str]:
    return [a.kind for a in alerts]


def test_state_alert_needs_two_cycles_fires_once_and_clears_with_hysteresis() -> None:
    tracker = AlertTracker(hold=2)
    assert tracker.update(snap(0, [polecat("stuck")]), []) == []  # one cycle is not enough
    fired = tracker.update(snap(1, [polecat("stuck")]), [])
    assert kinds(fired) == ["stuck"] and fired[0].agent == "gastown/nux"
    assert fired[0].message == "gastown/nux is stuck: Fix it"
    assert tracker.update(snap(2, [polecat("stuck")]), []) == []  # once per transition
    tracker.update(snap(3, [polecat("working")]), [])
    assert kinds(tracker.current()) == ["stuck"]  # one good cycle does not clear it
    tracker.update(snap(4, [polecat("working")]), [])
    assert tracker.current() == []


def test_flicker_never_fires() -> None:
    tracker = AlertTracker(hold=2)
    for step in range(10):
        status: AgentStatus = "stuck" if step % 2 else "working"
        assert tracker.update(snap(step, [polecat(status)]), []) == []
    assert tracker.current() == []


def test_each_state_kind() -> None:
    tracker = AlertTracker(hold=1)
    agents = [
        polecat("stuck", "a"),
        polecat("stalled", "b"),
        polecat("dead", "c"),
        polecat("working", "d"),
    ]
    mail = AgentMail("u", "ok", conflicts=[Conflict("proj", "src/*", "Blue", "src/a.py", "Red")])
    fired = tracker.update(snap(0, agents, estop=True, estop_reason="halt", mail=mail), [])
    assert sorted(kinds(fired)) == ["conflict", "dead", "estop", "stalled", "stuck"]
    assert kinds(tracker.current())[0] == "estop"  # most urgent first


def test_two_agents_overlapping_reservations_are_one_alert_and_a_new_pair_another() -> None:
    tracker = AlertTracker(hold=1)
    overlaps = [Conflict("proj", f"src/m{n}/*", "Blue", f"src/m{n}/a.py", "Red") for n in range(40)]
    overlaps.append(Conflict("proj", "docs/x.md", "Red", "docs/*", "Blue"))  # the pair reversed
    fired = tracker.update(snap(0, mail=AgentMail("u", "ok", conflicts=overlaps)), [])
    assert [a.id for a in fired] == ["conflict:proj:Blue:Red"]
    assert fired[0].message == (
        "reservation conflict in proj: Blue src/m0/* vs Red src/m0/a.py (+40 more between them)"
    )
    again = [*overlaps, Conflict("proj", "lib/*", "Green", "lib/b.py", "Blue")]
    fired = tracker.update(snap(1, mail=AgentMail("u", "ok", conflicts=again)), [])
    assert [(a.id, a.message) for a in fired] == [
        ("conflict:proj:Blue:Green", "reservation conflict in proj: Green lib/* vs Blue lib/b.py")
    ]
    assert len(tracker.current()) == 2


def test_agent_mail_down_only_after_it_was_up() -> None:
    tracker = AlertTracker(hold=1)
    assert tracker.update(snap(0, mail=AgentMail("u", "down")), []) == []  # never up: no alarm
    tracker.update(snap(1, mail=AgentMail("u", "ok")), [])
    fired = tracker.update(snap(2, mail=AgentMail("u", "down", error="connection refused")), [])
    assert kinds(fired) == ["down"] and "connection refused" in fired[0].message


def test_event_alerts_fire_once_and_expire() -> None:
    tracker = AlertTracker(hold=2, event_ttl=60)
    crash = {"reason": "crash detected by daemon health check", "caller": "daemon"}
    events = [
        Event("2026-11-25T08:00:00Z", "session_death", "gt-nux", "nux died", id="a", payload=crash),
        Event("2026-11-25T08:00:01Z", "mass_death", "daemon", "5 sessions died", id="b"),
        Event("2026-11-25T08:00:02Z", "merge_failed", "gastown/refinery", "merge failed", id="c"),
        Event("2026-11-25T08:00:03Z", "escalation_sent", "gastown/witness", "escalated", id="d"),
        Event("2026-11-25T08:00:04Z", "sling", "mayor", "sling gt-1", id="e"),
    ]
    fired = tracker.update(snap(0), events)
    assert kinds(fired) == ["session_death", "session_death", "merge_failed", "escalation"]
    assert tracker.update(snap(1), events[:1]) == []  # the same event line does not fire twice
    tracker.update(snap(61), [])
    assert tracker.current() == []


def test_an_answered_event_alert_is_history_however_long_ago_it_was_raised(
    tmp_path: Path,
) -> None:
    """A failed merge merged since, an escalation whose agent is done, a crashed session started
    again: each alert closes when the answer comes, even when the raising event left the feed
    long ago and the collector restarted in between (the tracker keeps what raised it)."""
    from gt_mcp_tmux.collector.alerts import load_tracker, save_tracker

    crash = {"reason": "crash detected by daemon health check", "session": "gt-nux"}
    raised = [
        Event("2026-11-25T08:00:00Z", "merge_failed", "gastown/refinery", id="m",
              payload={"mr": "mr-gt-1", "worker": "gastown/furiosa"}),
        Event("2026-11-25T08:00:01Z", "escalation_sent", "gastown/witness", id="e",
              payload={"target": "gastown/slit", "to": "mayor/"}),
        Event("2026-11-25T08:00:02Z", "session_death", "gt-nux", id="d", payload=crash),
        Event("2026-11-25T08:00:03Z", "session.crashed", "city", id="c",
              payload={"subject": "webapp/reviewer"}),
    ]  # fmt: skip
    tracker = AlertTracker(hold=1)
    assert len(tracker.update(snap(0), raised)) == 4
    save_tracker(tracker, str(tmp_path / "socket"))
    tracker = AlertTracker(hold=1)
    load_tracker(tracker, str(tmp_path / "socket"))
    for step in range(1, 300):  # hundreds of cycles: the raising events are long out of any feed
        tracker.update(snap(step), [])
    assert len(tracker.current()) == 4
    unrelated = Event("2026-11-25T08:05:00Z", "merged", "gastown/refinery", id="u",
                      payload={"mr": "mr-gt-2"})  # fmt: skip
    tracker.update(snap(300), [unrelated])
    assert len(tracker.current()) == 4
    answers = [
        Event("2026-11-25T08:05:01Z", "merged", "gastown/refinery", id="a1",
              payload={"mr": "mr-gt-1"}),
        Event("2026-11-25T08:05:02Z", "done", "gastown/slit", id="a2", payload={"bead": "gt-5"}),
        Event("2026-11-25T08:05:03Z", "session.woke", "city", id="a3",
              payload={"subject": "webapp/reviewer"}),
    ]  # fmt: skip
    tracker.update(snap(301), answers)
    assert [a.id for a in tracker.current()] == ["session_death:d"]
    # Gas Town's restart may write no event: the session running again, made after the death
    from gt_mcp_tmux.model import TmuxSession

    died = 1_795_593_602.0  # 2026-11-25T08:00:02Z
    old = [TmuxSession("gt-nux", created=died - 3600)]
    tracker.update(snap(302, sessions=old), [])
    assert [a.id for a in tracker.current()] == ["session_death:d"]  # the dead one's own session
    again = [TmuxSession("gt-nux", created=died + 60)]
    tracker.update(snap(303, sessions=again), [])
    assert tracker.current() == []


def test_an_answer_in_the_same_lines_fires_nothing() -> None:
    tracker = AlertTracker(hold=1)
    lines = [
        Event("2026-11-25T08:00:00Z", "merge_failed", "r", id="m", payload={"mr": "mr-1"}),
        Event("2026-11-25T08:00:05Z", "merged", "r", id="n", payload={"mr": "mr-1"}),
    ]
    assert tracker.update(snap(0), lines) == [] and tracker.current() == []


@pytest.mark.parametrize(
    ("reason", "caller"),
    [
        ("idle-reap: idle, idle 15m0s (threshold 15m0s)", "daemon"),
        ("self-clean: done means idle", "gt done"),
        ("user shutdown", "gt down"),
        ("forced shutdown", "gt down"),
        ("orphan cleanup", "gt doctor"),
        ("zombie cleanup", "gt doctor"),
    ],
)
def test_routine_session_deaths_are_feed_only(reason: str, caller: str) -> None:
    """A polecat reaped after `gt done`, `gt down`, a doctor's clean-up: no alert."""
    tracker = AlertTracker(hold=1)
    death = Event(
        "2026-11-25T08:00:00Z",
        "session_death",
        "gt-nux",
        "session died",
        id="x",
        payload={"session": "gt-nux", "reason": reason, "caller": caller},
    )
    assert tracker.update(snap(0), [death]) == []


def test_two_crashes_in_one_second_are_two_alerts() -> None:
    tracker = AlertTracker(hold=1)
    crash = {"reason": "crash detected by daemon health check", "caller": "daemon"}
    deaths = [
        Event(
            "2026-11-25T08:00:00Z",
            "session_death",
            "daemon",
            "died",
            id=ident,
            payload={**crash, "session": name},
        )
        for ident, name in (("f1", "gt-nux"), ("f2", "gt-furiosa"))
    ]
    fired = tracker.update(snap(0), deaths)
    assert [a.agent for a in fired] == ["gt-nux", "gt-furiosa"]


def test_a_rig_estop_alone_alerts() -> None:
    tracker = AlertTracker(hold=1)
    fired = tracker.update(snap(0, estop_rigs=["gastown"], estop_reason="maintenance"), [])
    assert kinds(fired) == ["estop"] and "on gastown: maintenance" in fired[0].message


def test_a_stale_watchdog_alerts_and_a_very_stale_one_again() -> None:
    tracker = AlertTracker(hold=1)
    assert tracker.update(snap(0, deacon_age=200.0), []) == []
    fired = tracker.update(snap(1, deacon_age=6 * 60.0), [])
    assert kinds(fired) == ["watchdog"] and "stale (6 min old)" in fired[0].message
    fired = tracker.update(snap(2, deacon_age=21 * 60.0), [])
    assert kinds(fired) == ["watchdog"] and "very stale" in fired[0].message


def test_convoy_landing_and_overseer_mail() -> None:
    tracker = AlertTracker(hold=2)
    open_convoy = [Convoy("hq-cv-1", "Deploy v2", "open", 4, 5)]
    tracker.update(snap(0, convoys=open_convoy, overseer_unread=1), [])
    fired = tracker.update(
        snap(1, convoys=[replace(open_convoy[0], status="closed", completed=5)], overseer_unread=3),
        [],
    )
    assert sorted(kinds(fired)) == ["convoy_landed", "mail"]
    assert any("Deploy v2 (5/5)" in a.message for a in fired)
    assert any("2 new mail" in a.message for a in fired)
    tracker.update(snap(2, overseer_unread=0), [])
    assert kinds(tracker.current()) == ["convoy_landed"]  # mail alert clears once read


def test_nothing_fires_before_gt_has_answered() -> None:
    """The first answer of gt status is not "new mail": 0 before it was only "not known yet"."""
    tracker = AlertTracker(hold=1)
    tracker.update(snap(0, overseer_unread=0, answered=()), [])
    assert tracker.update(snap(1, overseer_unread=2, answered=("gt_status_fast",)), []) == []
    assert kinds(tracker.update(snap(2, overseer_unread=3), [])) == ["mail"]


def test_ack_hides_until_the_condition_clears_and_returns() -> None:
    tracker = AlertTracker(hold=1)
    tracker.update(snap(0, [polecat("dead")]), [])
    tracker.acknowledge(["dead:gastown/nux"])
    assert tracker.current() == []
    assert tracker.update(snap(1, [polecat("dead")]), []) == []
    tracker.update(snap(2, [polecat("working")]), [])
    fired = tracker.update(snap(3, [polecat("dead")]), [])
    assert kinds(fired) == ["dead"]  # a new transition fires again


def test_ack_requests_travel_through_a_private_file() -> None:
    request_ack("/tmp/sock-x", ["a"])
    request_ack("/tmp/sock-x", ["b", "all"])
    assert take_ack_requests("/tmp/sock-x") == ["a", "all", "b"]
    assert take_ack_requests("/tmp/sock-x") == []


HOSTILE = Alert(
    "x", "stuck", "gastown/#(touch ~/P) is stuck: #[fg=red]%H;$(id)`id`", T0, "gastown/x"
)


def test_messages_are_escaped_for_display_message(
    tmux: TmuxServer, screen: Screen, isolated_home: Path
) -> None:
    notify_clients(["-L", tmux.socket], [HOSTILE, HOSTILE])
    text = screen.wait_for(lambda t: "gastown-mcp:" in t)
    assert "2 new: gastown/#(touch ~/P) is stuck: #[fg=red]%H;$(id)`id` (+1 more" in text
    time.sleep(0.5)
    assert not (isolated_home / "P").exists()
    assert message_commands([], [HOSTILE]) == []


def test_hook_gets_json_on_stdin_and_no_shell(tmp_path: Path) -> None:
    out = tmp_path / "got.json"
    script = tmp_path / "hook.py"
    script.write_text(f"import sys; open({str(out)!r}, 'w').write(sys.stdin.read())")
    assert run_hook(f"{sys.executable} {script}", HOSTILE) is None
    got = json.loads(out.read_text())
    assert (
        got["message"] == HOSTILE.message and got["kind"] == "stuck" and got["agent"] == "gastown/x"
    )
    assert not (tmp_path / "P").exists()


def test_hook_failures_are_one_line(tmp_path: Path) -> None:
    assert (
        run_hook(str(tmp_path / "missing-hook"), HOSTILE)
        == "alert_command failed to start: No such file or directory"
    )
    assert run_hook("false", HOSTILE) == "alert_command exited 1"
    assert run_hook("'unclosed", HOSTILE) is not None


def test_alerts_command_lists_and_acknowledges(tmp_path: Path) -> None:
    import os
    import subprocess

    from gt_mcp_tmux.collector.alerts import acks_path
    from gt_mcp_tmux.collector.cache import write_snapshot
    from gt_mcp_tmux.private_files import current_server_socket

    gt_mcp = str(Path(sys.executable).parent / "gt-mcp")
    saved = tmp_path / "snapshot.json"
    write_snapshot(Snapshot(T0, "t", GasTown(), alerts=[HOSTILE]), saved)
    env = {**os.environ, "GT_MCP_SNAPSHOT": str(saved)}
    listed = subprocess.run(
        [gt_mcp, "alerts", "--json"], env=env, capture_output=True, text=True, check=True
    )
    assert json.loads(listed.stdout) == {
        "alerts": [
            {
                "id": "x",
                "kind": "stuck",
                "message": HOSTILE.message,
                "since": T0,
                "agent": "gastown/x",
            }
        ],
        "server": None,  # a saved snapshot: no tmux server's collector
        "collector_pid": None,
    }
    human = subprocess.run([gt_mcp, "alerts"], env=env, capture_output=True, text=True, check=True)
    assert "#(touch ~/P)" in human.stdout and "stuck" in human.stdout
    assert " ".join(human.stdout.split()).startswith(f"saved snapshot {saved}")
    unknown = subprocess.run(
        [gt_mcp, "alerts", "--ack", "nosuch"], env=env, capture_output=True, text=True, check=False
    )
    assert unknown.returncode == 2 and "no open alert 'nosuch'" in unknown.stderr
    subprocess.run([gt_mcp, "alerts", "--ack", "x"], env=env, capture_output=True, check=True)
    subprocess.run([gt_mcp, "alerts", "--ack", "all"], env=env, capture_output=True, check=True)
    assert json.loads(acks_path(current_server_socket()).read_text()) == ["all", "x"]


def test_alerts_says_when_the_collector_is_down() -> None:
    import os
    import subprocess

    gt_mcp = str(Path(sys.executable).parent / "gt-mcp")
    env = {k: v for k, v in os.environ.items() if k != "GT_MCP_SNAPSHOT"}
    done = subprocess.run(
        [gt_mcp, "alerts", "--json"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    listed = json.loads(done.stdout)
    alerts = listed["alerts"]
    assert alerts[0]["id"] == "down:collector" and alerts[0]["kind"] == "down"
    assert listed["server"].endswith("/default") and listed["collector_pid"] is None
    assert "no gastown-mcp collector runs for the default tmux server" in alerts[0]["message"]


def test_ack_takes_an_id_or_the_one_id_starting_so() -> None:
    from gt_mcp_tmux.cli.alerts import resolve_ack
    from gt_mcp_tmux.config import ConfigError

    ids = ["stuck:gastown/nux", "stalled:gastown/crew/max", "conflict:home-me:A:src/**:B:x"]
    assert resolve_ack("conflict:", ids) == "conflict:home-me:A:src/**:B:x"
    assert resolve_ack("stuck:gastown/nux", ids) == "stuck:gastown/nux"
    assert resolve_ack("all", ids) == "all"
    with pytest.raises(ConfigError, match="2 open alerts start with 'st'"):
        resolve_ack("st", ids)
    with pytest.raises(ConfigError, match="no open alert 'dead'"):
        resolve_ack("dead", ids)
    with pytest.raises(ConfigError, match="no open alert ''"):
        resolve_ack("", ids)


def test_alerts_says_whose_collector_it_reads(tmux: TmuxServer) -> None:
    """Outside tmux `gt-mcp alerts` reads the default server's collector: it says so, and, when
    that server has none, which servers have one; inside a tmux it names that server's."""
    import os
    import subprocess

    from gt_mcp_tmux.collector.control import collector_status
    from tests.waiting import retry_until

    tmux.run("set", "-g", "@gtmcp-python", sys.executable)
    tmux.load_plugin()
    socket = tmux.out("display-message", "-p", "#{socket_path}")
    retry_until(lambda: collector_status(socket).pid is not None, 20)
    gt_mcp = str(Path(sys.executable).parent / "gt-mcp")
    env = {k: v for k, v in os.environ.items() if k not in ("GT_MCP_SNAPSHOT", "TMUX")}

    def alerts(*args: str, inside: bool = False) -> subprocess.CompletedProcess[str]:
        there = {**env, "TMUX": f"{socket},1,0"} if inside else env
        return subprocess.run(
            [gt_mcp, "alerts", *args], env=there, capture_output=True, text=True, timeout=60
        )

    outside = alerts()
    assert outside.returncode == 0, outside.stderr
    words = " ".join(outside.stdout.split())  # however the terminal's width folded it
    assert "outside tmux: the default server" in words and "no collector" in words
    assert f"collectors run for {socket}: run gt-mcp alerts inside that tmux" in words
    refused = alerts("--ack", "all")
    assert refused.returncode == 2
    assert "no gastown-mcp collector runs for the default tmux server" in refused.stderr
    inside = alerts(inside=True)
    pid = collector_status(socket).pid
    assert f"tmux server {socket} · collector {pid}" in " ".join(inside.stdout.split())
    assert "no collector" not in inside.stdout
    assert json.loads(alerts("--json", inside=True).stdout)["collector_pid"] == pid


def test_messages_are_one_at_a_time_coalesced_urgent_only_and_leave_the_bar_visible() -> None:
    """A burst of crashes: at most one 3 s message every 20 s (the bar visible 85% of the time),
    what fired meanwhile comes as one `N new:` message, and non-urgent kinds never cover the bar."""
    from gt_mcp_tmux.collector.announce import (
        MESSAGE_EVERY,
        MESSAGE_MS,
        MessageGate,
        message_text,
    )

    gate = MessageGate()
    shown: list[tuple[float, list[Alert]]] = []
    for second in range(120):  # a crash every 2 s for two minutes, a landed convoy every 5 s
        fired = []
        if second % 2 == 0:
            fired.append(
                Alert(f"session_death:{second}", "session_death", f"crash {second}", second)
            )
        if second % 5 == 0:
            fired.append(Alert(f"convoy_landed:{second}", "convoy_landed", "landed", second))
        batch = gate.offer(fired, float(second))
        if batch:
            shown.append((float(second), batch))
    starts = [at for at, _ in shown]
    assert all(b - a >= MESSAGE_EVERY for a, b in itertools.pairwise(starts))
    covered = len(shown) * MESSAGE_MS / 1000
    assert covered / 120 <= 0.15
    assert all(a.kind == "session_death" for _, batch in shown for a in batch)
    assert sum(len(batch) for _, batch in shown) >= 50  # nothing urgent is dropped, only grouped
    assert message_text(shown[1][1]).startswith("gastown-mcp: 10 new: crash")


def test_alerts_and_acks_survive_a_collector_restart(tmp_path: Path) -> None:
    from gt_mcp_tmux.collector.alerts import load_tracker, save_tracker

    crash = Event(
        "2026-11-25T08:00:00Z",
        "session_death",
        "gt-nux",
        "nux died",
        id="x1",
        payload={"reason": "crash detected by daemon health check"},
    )
    before = AlertTracker(hold=1)
    before.update(snap(0, [polecat("dead")]), [crash])
    before.acknowledge(["dead:gastown/nux"])
    save_tracker(before, "/tmp/some-socket")
    after = AlertTracker(hold=1)
    load_tracker(after, "/tmp/some-socket")
    assert [a.id for a in after.current()] == ["session_death:x1"]  # still open; the ack held
    assert after.update(snap(1, [polecat("dead")]), [crash]) == []  # nothing announced again


# --- the bell and desktop notifications: bytes at a real client's terminal ---------------------


def nux_town(socket: str, attached: int = 1) -> GasTown:
    from gt_mcp_tmux.model import TmuxSession

    nux = replace(polecat("stuck"), session="gt-nux")
    return GasTown(
        town="gt",
        root="/t",
        socket=socket,
        agents=[nux],
        sessions=[TmuxSession("gt-nux", attached=attached)],
    )


STUCK = Alert("stuck:gastown/nux", "stuck", "gastown/nux is stuck: Fix it", T0, "gastown/nux")
ESTOP = Alert("estop", "estop", "ESTOP in force", T0)


def test_an_urgent_alert_rings_every_client_but_the_one_looking_at_that_agent(
    tmux: TmuxServer,
) -> None:
    """Two real clients: one on the user's session, one on the stuck agent's. The bell reaches
    the first's terminal only; an alert about no agent (ESTOP) reaches both."""
    from gt_mcp_tmux.collector.announce import announce_batch

    tmux.run("new-session", "-d", "-s", "gt-nux")
    elsewhere = Screen(tmux, name="elsewhere")
    on_nux = Screen(tmux, session="gt-nux", name="on-nux")
    try:
        for view in (elsewhere, on_nux):
            view.wait_for(lambda t: bool(t.strip()))
        town = nux_town(tmux.socket)  # the agents live on this very server
        announce_batch(["-L", tmux.socket], [STUCK], display=True, notify="bell", town=town)
        assert retry_until(elsewhere.bell_flag, 10)
        assert "gastown-mcp: gastown/nux is stuck" in on_nux.wait_for(lambda t: "stuck" in t)
        time.sleep(0.5)
        assert not on_nux.bell_flag()  # it showed the message, and rang no bell
        announce_batch(["-L", tmux.socket], [ESTOP], display=False, notify="bell", town=town)
        assert retry_until(on_nux.bell_flag, 10)
    finally:
        elsewhere.close()
        on_nux.close()


def test_a_notification_reaches_a_terminal_that_shows_one_and_the_bell_the_others(
    tmux: TmuxServer, tmp_path: Path
) -> None:
    """osc9: an xterm-like terminal gets `ESC ] 9 ; text BEL` with the text's own controls gone
    (it can neither end the notification early nor start a sequence of its own); a client inside
    another tmux (TERM=screen: the outer tmux would drop it) gets the bell instead."""
    from gt_mcp_tmux.collector.announce import announce_batch

    xterm = Screen(tmux, term="xterm-256color", name="xterm")
    nested = Screen(tmux, name="nested")  # TERM is the outer tmux's own: screen
    try:
        for view in (xterm, nested):
            view.wait_for(lambda t: bool(t.strip()))
        log = tmp_path / "xterm.bytes"
        xterm.record_bytes(log)
        hostile = Alert(
            "x", "dead", "gastown/x is dead: \x07\x1b]0;pwned\x07\x9b2J ok", T0, "gastown/x"
        )
        announce_batch(
            ["-L", tmux.socket], [hostile], display=False, notify="osc9", town=nux_town("other")
        )
        assert retry_until(nested.bell_flag, 10)
        written = retry_until(
            lambda: log.exists() and b"\x1b]9;" in log.read_bytes() and log.read_bytes(), 10
        )
        assert isinstance(written, bytes)
        assert b"\x1b]9;gastown-mcp: gastown/x is dead: ]0;pwned2J ok\x07" in written
        assert b"\x1b]0;pwned" not in written and b"\x9b" not in written
        assert not xterm.bell_flag()  # the notification, not a bell as well
    finally:
        xterm.close()
        nested.close()


def test_notice_bytes_per_mode_and_terminal() -> None:
    from gt_mcp_tmux.collector.bell import Client, notice_bytes, parse_clients, printable, to_ring

    assert notice_bytes("bell", "x", "xterm-256color") == b"\x07"
    assert notice_bytes("osc9", "hi", "xterm-256color") == b"\x1b]9;hi\x07"
    assert notice_bytes("osc777", "hi", "foot") == b"\x1b]777;notify;gastown-mcp;hi\x07"
    for term in ("linux", "dumb", "screen-256color", "tmux-256color", ""):
        assert notice_bytes("osc9", "hi", term) == b"\x07", term  # would print it, or drop it
    assert printable("a\x1b]52;c;x\x07b\u202ec\x85") == "a]52;c;xbc"
    clients = parse_clients(
        "\x1f".join(["/dev/pts/1", "/dev/pts/1", "main", "xterm", "0"])
        + "\n"
        + "\x1f".join(["/dev/pts/2", "/dev/pts/2", "main", "xterm", "1"])
    )
    assert clients == [
        Client("/dev/pts/1", "/dev/pts/1", "main", "xterm", False),
        Client("/dev/pts/2", "/dev/pts/2", "main", "xterm", True),
    ]
    town = nux_town("s")
    assert to_ring(clients, [STUCK], town, frozenset()) == clients[:1]  # never control mode
    # the agent is looked at from Gas Town's server (a jump's popup): no client of ours rings
    assert to_ring(clients, [STUCK], town, frozenset({"gt-nux"})) == []
    assert to_ring(clients, [STUCK, ESTOP], town, frozenset({"gt-nux"})) == clients[:1]
