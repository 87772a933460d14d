"""`gt-mcp demo`: the simulated fleet's story, and the whole demo started and stopped for real.

The fleet is stepped by hand (it is pure and seeded). The demo itself runs as a user runs it:
`gt-mcp demo --no-attach` in a subprocess, then the Gas Town server, the stand-in `gt`, the viewer's
status line and the collector's snapshot are read from outside, and `gt-mcp demo --stop` must
leave no process and no file.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psutil
import pytest

from gt_mcp_tmux.collector.cache import snapshot_path
from gt_mcp_tmux.demo.fleet import OPENING, Fleet
from gt_mcp_tmux.demo.state import VIEWER_SOCKET, load_state, state_path
from gt_mcp_tmux.demo.viewer import tmux_quote, viewer_config
from tests.townkit import StandinTown
from tests.waiting import retry_until

GT_MCP = [sys.executable, "-m", "gt_mcp_tmux"]
TOWN_SESSIONS = {
    "hq-mayor": "mayor",
    "hq-deacon": "deacon",
    "gt-witness": "gastown/witness",
    "gt-refinery": "gastown/refinery",
    "gt-crew-max": "gastown/crew/max",
    "gt-furiosa": "gastown/polecats/furiosa",
    "gt-nux": "gastown/polecats/nux",
    "gt-slit": "gastown/polecats/slit",
    "bd-witness": "beads/witness",
    "bd-refinery": "beads/refinery",
    "bd-toast": "beads/polecats/toast",
}


def agents_of(status: dict[str, Any]) -> dict[str, dict[str, Any]]:
    every = [*status["agents"], *(a for rig in status["rigs"] for a in rig["agents"])]
    return {a["session"]: a for a in every}


# --- the fleet, stepped by hand -----------------------------------------------------------------


def test_the_opening_shows_every_state_within_a_few_beats(tmp_path: Path) -> None:
    fleet = Fleet(tmp_path / "gt", "gt-abc123")
    start = agents_of(fleet.status_document())
    assert set(start) == {*TOWN_SESSIONS, "bd-capable"}
    assert not start["bd-capable"]["running"] and not start["bd-capable"]["has_work"]
    assert start["gt-slit"]["running"] and start["gt-slit"]["hook_bead"].startswith("gt-")
    assert {a["role"] for a in start.values()} >= {"coordinator", "health-check", "polecat"}

    beats = [fleet.step() for _ in range(4)]
    assert [a.session for a in beats[0].started] == ["bd-capable"]  # slung work: a session starts
    assert any(e["type"] == "sling" for e in beats[0].events)
    (_, stuck_name, _), (death_beat, dead_name, _) = OPENING
    stuck = agents_of(fleet.status_document())[f"gt-{stuck_name}"]
    assert stuck["state"] == "stuck" and stuck["running"]
    assert [a.session for a in beats[death_beat - 1].killed] == [f"gt-{dead_name}"]
    death = next(e for e in beats[death_beat - 1].events if e["type"] == "session_death")
    assert death["payload"]["session"] == f"gt-{dead_name}"
    dead = agents_of(fleet.status_document())[f"gt-{dead_name}"]
    assert dead["running"] is False and dead["has_work"] is True  # work on the hook, no session
    assert f"gt-{dead_name}" not in fleet.heartbeats()
    assert fleet.heartbeats()[f"gt-{stuck_name}"][0] == "stuck"


def test_convoys_progress_land_and_leave_the_open_list(tmp_path: Path) -> None:
    fleet = Fleet(tmp_path / "gt", "gt-abc123")
    first = fleet.convoys_document()
    progress: dict[str, list[int]] = {c["id"]: [c["completed"]] for c in first}
    landed: set[str] = set()
    events: list[str] = []
    subjects: list[str] = []
    for _ in range(80):
        beat = fleet.step()
        events += [e["type"] for e in beat.events]
        subjects += [e["payload"]["subject"] for e in beat.events if e["type"] == "mail"]
        listed = {c["id"]: c for c in fleet.convoys_document()}
        for ident in progress:
            if ident in listed:
                progress[ident].append(listed[ident]["completed"])
            else:
                landed.add(ident)
    assert landed == {c["id"] for c in first}  # both first convoys landed and left the list
    for counts in progress.values():
        assert counts == sorted(counts) and counts[-1] > counts[0]  # completed only grows
    assert fleet.convoys_document(), "new convoys open after the first land"
    for kind in ("sling", "done", "merged", "merge_failed", "session_death", "escalation_sent"):
        assert kind in events, kind
    assert subjects[:2] == [f"Convoy landed: {c['title']}" for c in first]  # the mayor is told


def test_a_landed_convoy_is_closed_when_gt_is_asked_about_it(
    tmp_path: Path, town: StandinTown
) -> None:
    """The collector asks `gt convoy status <id> --json` of a convoy that left the list: the
    demo's gt says `closed` for a landed one (so the bar's count lands it, not keeps it open)."""
    from gt_mcp_tmux.demo.town_layout import write_answer
    from gt_mcp_tmux.sources.gastown.convoys import read_convoy_status

    fleet = Fleet(tmp_path / "gt", "gt-abc123")
    first = [c["id"] for c in fleet.convoys_document()]
    for _ in range(80):
        fleet.step()
    folder = town.data / "convoy_status"
    folder.mkdir()
    for ident, document in fleet.convoy_status_documents().items():
        write_answer(folder, ident, document)
    for ident in first:
        convoy = read_convoy_status(town.root, ident, 20)
        assert not isinstance(convoy, Exception) and getattr(convoy, "status", None) == "closed"
    still = fleet.convoys_document()[0]["id"]
    assert getattr(read_convoy_status(town.root, still, 20), "status", None) == "open"


def test_the_overseers_nudge_gets_a_stuck_polecat_going(tmp_path: Path) -> None:
    fleet = Fleet(tmp_path / "gt", "gt-abc123")
    for _ in range(4):
        fleet.step()
    (_, stuck_name, _) = OPENING[0]
    stuck = fleet.agent(stuck_name)
    assert stuck.phase == "stuck"
    beat = fleet.step([(stuck.address, "try the other API")])
    assert "Nudge from the overseer: try the other API" in "\n".join(beat.lines[stuck.session])
    assert stuck.phase == "working"
    assert any(e["type"] == "nudge" and e["actor"] == "overseer" for e in beat.events)
    unknown = fleet.step([("gastown/nobody", "hi")])
    assert not [e for e in unknown.events if e["type"] == "nudge"]


def test_the_same_seed_tells_the_same_story(tmp_path: Path) -> None:
    def story(seed: int) -> list[tuple[str, str]]:
        fleet = Fleet(tmp_path / "gt", "gt-abc123", seed)
        steps = [fleet.step() for _ in range(40)]
        return [(e["type"], e["actor"]) for beat in steps for e in beat.events]

    assert story(7) == story(7)
    assert story(7) != story(8)


def test_sessions_carry_gas_towns_environment(tmp_path: Path) -> None:
    fleet = Fleet(tmp_path / "gt", "gt-abc123")
    for agent in fleet.agents:
        env = agent.environment(tmp_path / "gt")
        role = TOWN_SESSIONS.get(agent.session, "beads/polecats/capable")
        assert env["GT_ROLE"] == role and env["BD_ACTOR"] == role  # the real forms
        # as the real gt sets them: no GT_SESSION for crew, GT_TOWN_ROOT only for polecats
        assert env.get("GT_SESSION") == (None if agent.role == "crew" else agent.session)
        assert ("GT_TOWN_ROOT" in env) == (agent.role == "polecat")
        assert env["GT_PROCESS_NAMES"] == "tail"  # what runs in a demo pane
        if agent.rig:
            assert env["GT_RIG"] == agent.rig


def test_viewer_config_quotes_odd_paths(tmp_path: Path) -> None:
    odd = tmp_path / "it's #{here} $HOME"
    conf = viewer_config("/venv/bin/python", odd, "http://127.0.0.1:1", True, odd / "p.tmux")
    assert tmux_quote("a'b") == '"a\'b"'
    assert '"' + str(odd).replace("$", "\\$") + '"' in conf
    assert "#{gtmcp_status}" in conf and "run-shell" in conf


# --- the demo, for real ---------------------------------------------------------------------


def gt_mcp(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*GT_MCP, *args], capture_output=True, text=True, timeout=120, env=env, check=False
    )


def tmux(socket: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["tmux", "-u", "-L", socket, *args], capture_output=True, text=True, timeout=10, check=False
    )


def status_right() -> str:
    return tmux(VIEWER_SOCKET, "display-message", "-p", "#{T:status-right}").stdout


def fleet_counts(text: str) -> tuple[int, int] | None:
    found = re.search(r"⛽ (\d+)/(\d+)", text)
    return (int(found.group(1)), int(found.group(2))) if found else None


def _running(pid: int) -> bool:
    """Alive and not a zombie (a process that ends while it is looked at is gone)."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def assert_all_gone(recorded: dict[str, int], base: Path, sockets: list[str]) -> None:
    left = [f"{name} {pid}" for name, pid in recorded.items() if _running(pid)]
    assert left == []
    assert not base.exists()
    assert not state_path().exists()
    from gt_mcp_tmux.sources.gastown.town import gastown_socket_dirs

    for socket in sockets:
        assert tmux(socket, "list-sessions").returncode != 0, socket
        # nor their socket files (tmux leaves them; the town's name changes every run)
        assert not [d / socket for d in gastown_socket_dirs() if (d / socket).exists()]
    runtime = state_path().parent
    assert sorted(p.name for p in runtime.iterdir()) == []


@pytest.fixture
def stop_demo_after() -> Any:
    yield
    gt_mcp("demo", "--stop")


def test_demo_lives_and_stops_leaving_nothing(stop_demo_after: None) -> None:
    started = gt_mcp("demo", "--no-attach", "--speed", "4", "--no-mail")
    assert started.returncode == 0, started.stderr
    assert "tmux -L gtmcp-demo attach" in started.stdout
    assert "tmux -L gtmcp-demo-city ls" in started.stdout  # its city is named too
    state = load_state()
    assert state is not None
    root = state.paths.root
    assert (root / "mayor" / "town.json").is_file() and (root / "mayor" / "rigs.json").is_file()
    assert Path(state.base).parent == Path(os.environ["XDG_RUNTIME_DIR"])

    # Gas Town's own server: sessions named as Gas Town names them, with its environment.
    names = tmux(state.gt_socket, "list-sessions", "-F", "#{session_name}").stdout.split()
    assert set(TOWN_SESSIONS) | {"bd-capable"} >= set(names) >= set(TOWN_SESSIONS) - {"gt-slit"}
    env = tmux(state.gt_socket, "show-environment", "-t", "=gt-furiosa").stdout
    assert "GT_ROLE=gastown/polecats/furiosa" in env and "GT_RIG=gastown" in env
    pane = retry_until(
        lambda: (
            "esc to interrupt"
            in tmux(state.gt_socket, "capture-pane", "-p", "-t", "=gt-furiosa:").stdout
        ),
        10,
    )
    assert pane, "an agent pane shows a working agent"

    # The stand-in answers for this town, through the demo's own gt.
    answer = subprocess.run(
        [str(state.paths.bin / "gt"), "status", "--json"],
        capture_output=True,
        text=True,
        timeout=10,
        check=True,
    )
    status = json.loads(answer.stdout)
    assert status["location"] == str(root) and status["tmux"]["socket"] == state.gt_socket

    # A nudge (the queue popup's `n`) through the demo's gt reaches the agent's pane.
    nudge = [str(state.paths.bin / "gt"), "nudge", "gastown/furiosa"]
    sent = subprocess.run(
        [*nudge, "--message=what blocks you?"], capture_output=True, text=True, timeout=10
    )
    assert (sent.returncode, sent.stdout) == (0, "Nudged gastown/furiosa\n")
    assert retry_until(
        lambda: (
            "Nudge from the overseer: what blocks you?"
            in tmux(state.gt_socket, "capture-pane", "-p", "-t", "=gt-furiosa:").stdout
        ),
        15,
    ), "the nudge never showed in the agent's pane"
    wrong = subprocess.run(
        [str(state.paths.bin / "gt"), "nudge", "gastown/nobody", "-m", "hi"],
        capture_output=True,
        text=True,
        timeout=10,
    )
    assert wrong.returncode == 1 and wrong.stderr.startswith("Error: no agent")

    # The viewer's status bar shows the fleet, then the simulator kills an agent with work.
    assert retry_until(lambda: fleet_counts(status_right()), 15), status_right()
    socket_path = state.viewer_socket_path
    assert socket_path

    def dead_agents() -> list[str]:
        try:
            data = json.loads(snapshot_path(socket_path).read_text())
        except (OSError, ValueError):
            return []
        return [a["address"] for a in data["gastown"]["agents"] if a["status"] == "dead"]

    assert retry_until(dead_agents, 20), "the simulator's death never showed"
    bar = retry_until(
        lambda: (c := fleet_counts(status_right())) and c[0] < c[1] and status_right(), 10
    )
    assert bar and "⚠" in bar, status_right()
    assert (root / ".events.jsonl").read_text().count('"session_death"') >= 1
    assert any((root / ".runtime" / "heartbeats").iterdir())

    # The simulated city beside it: its own server, watched by the same collector.
    city = tmux("gtmcp-demo-city", "list-sessions", "-F", "#{session_name}").stdout.split()
    assert {"mayor", "deacon", "webapp--witness"} <= set(city)
    city_env = tmux("gtmcp-demo-city", "show-environment", "-t", "=webapp--witness").stdout
    assert "GC_TEMPLATE=webapp/witness" in city_env and "GC_ALIAS=webapp/witness" in city_env

    def city_agents() -> list[str]:
        try:
            data = json.loads(snapshot_path(socket_path).read_text())
        except (OSError, ValueError):
            return []
        return [a["address"] for a in data["gascity"]["agents"] if a["running"]]

    assert retry_until(lambda: "webapp/witness" in city_agents(), 20), city_agents()
    assert "▦" in status_right()

    # A second start finds it running; from inside tmux it never nests, it says how to look.
    inside = dict(os.environ, TMUX="/tmp/elsewhere,1,0")
    again = gt_mcp("demo", env=inside)
    assert again.returncode == 0 and "already running" in again.stdout
    assert "inside tmux" in again.stdout and load_state() == state
    other_mail = gt_mcp("demo", "--no-attach", "--no-mail")
    assert other_mail.returncode == 0 and "its Agent Mail stays as it started" in other_mail.stdout

    recorded = load_state()
    assert recorded is not None
    pids = recorded.pids()
    assert {"simulator", "gastown tmux server", "viewer tmux server", "collector"} <= set(pids)
    assert "gas city tmux server" in pids
    stopped = gt_mcp("demo", "--stop")
    assert stopped.returncode == 0, stopped.stderr
    assert_all_gone(pids, Path(state.base), [state.gt_socket, VIEWER_SOCKET, "gtmcp-demo-city"])


def test_closing_the_viewer_ends_the_demo(stop_demo_after: None) -> None:
    started = gt_mcp("demo", "--no-attach", "--speed", "10", "--no-mail")
    assert started.returncode == 0, started.stderr
    state = load_state()
    assert state is not None
    pids = state.pids()
    tmux(VIEWER_SOCKET, "kill-server")
    assert retry_until(lambda: not state_path().exists(), 20), "the simulator did not clean up"
    assert retry_until(lambda: not any(psutil.pid_exists(p) for p in pids.values()), 10), (
        "processes left"
    )
    assert_all_gone(pids, Path(state.base), [state.gt_socket, VIEWER_SOCKET])


def test_a_removed_state_file_still_ends_everything() -> None:
    """Someone wipes the runtime folder: the simulator ends what it started, leaves no orphan."""
    started = gt_mcp("demo", "--no-attach", "--speed", "10", "--no-mail")
    assert started.returncode == 0, started.stderr
    state = load_state()
    assert state is not None
    pids = state.pids()
    state_path().unlink()
    try:
        gone = retry_until(lambda: not any(psutil.pid_exists(p) for p in pids.values()), 20)
        assert gone, pids
        assert not Path(state.base).exists()
        for socket in (state.gt_socket, VIEWER_SOCKET):
            assert tmux(socket, "list-sessions").returncode != 0, socket
    finally:  # no record is left for `--stop`: end the servers here if the simulator did not
        for socket in (state.gt_socket, VIEWER_SOCKET):
            tmux(socket, "kill-server")


def test_stop_without_a_demo_is_quiet() -> None:
    done = gt_mcp("demo", "--stop")
    assert done.returncode == 0 and done.stderr == ""
    assert "no demo is running" in done.stdout


def test_bad_speed_is_one_line() -> None:
    done = gt_mcp("demo", "--speed", "fast")
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1


def test_with_mail_seeds_a_server_of_its_own(
    agent_mail_python: Path, stop_demo_after: None
) -> None:
    started = gt_mcp("demo", "--no-attach", "--speed", "2", "--mail-python", str(agent_mail_python))
    assert started.returncode == 0, started.stdout + started.stderr
    state = load_state()
    assert state is not None and state.mail_pid and state.mail_seeded
    bar = retry_until(lambda: "⚔1" in (text := status_right()) and "⇄ 3" in text and text, 30)
    assert bar, status_right()
    assert re.search(r"✉ \d+", bar)
    pids = state.pids()
    assert gt_mcp("demo", "--stop").returncode == 0
    assert_all_gone(pids, Path(state.base), [state.gt_socket, VIEWER_SOCKET])


def test_with_mail_but_no_server_installed_starts_nothing(tmp_path: Path) -> None:
    done = gt_mcp("demo", "--no-attach", "--mail-python", str(tmp_path / "no-python"))
    assert done.returncode == 1 and "mcp_agent_mail" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert not state_path().exists()
    assert not list(Path(os.environ["XDG_RUNTIME_DIR"]).glob("gtmcp-demo-*"))


@pytest.mark.parametrize("attempt", range(3))
def test_killing_the_towns_server_ends_the_demo_and_starts_no_new_one(
    stop_demo_after: None, attempt: int
) -> None:
    """The simulator restarts sessions with new-session, which would start a fresh server."""
    started = gt_mcp("demo", "--no-attach", "--speed", "10", "--no-mail")
    assert started.returncode == 0, started.stderr
    state = load_state()
    assert state is not None
    pids = state.pids()
    time.sleep(1 + attempt)
    tmux(state.gt_socket, "kill-server")
    assert retry_until(lambda: not state_path().exists(), 20), "the simulator did not clean up"
    time.sleep(1)  # a late respawn would show up now
    assert tmux(state.gt_socket, "list-sessions").returncode != 0, "a new town server runs"
    assert_all_gone(pids, Path(state.base), [state.gt_socket, VIEWER_SOCKET])


# --- the user's own Agent Mail: left alone unless --seed-mail, which says first what it adds ---


@pytest.fixture(scope="module", params=["fork", "upstream"])
def users_mail(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A real server standing for the user's own (each variant), with a project of theirs."""
    from tests.test_agent_mail import started

    server = started(request.param, tmp_path_factory.mktemp(f"users-mail-{request.param}"))
    server.tool("ensure_project", human_key=str(tmp_path_factory.mktemp("their-repo")))
    yield server
    server.stop()


def mail_rows(server: Any) -> dict[str, int]:
    import sqlite3

    conn = sqlite3.connect(f"file:{server.db_path}?mode=ro", uri=True)
    try:
        tables = ("projects", "agents", "messages", "file_reservations")
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}
    finally:
        conn.close()


def test_the_users_own_mail_is_left_alone_without_a_flag(
    users_mail: Any, stop_demo_after: None
) -> None:
    before = mail_rows(users_mail)
    env = dict(os.environ, AGENT_MAIL_URL=users_mail.url)
    started = gt_mcp("demo", "--no-attach", "--speed", "10", env=env)
    assert started.returncode == 0, started.stderr
    assert f"yours at {users_mail.url} is left alone" in started.stdout
    state = load_state()
    assert state is not None and state.mail_url is None and not state.mail_seeded
    assert retry_until(lambda: fleet_counts(status_right()), 15), status_right()
    # Not watched either (an HTTP read would make it sweep): no Agent Mail segment (`✉ 3`,
    # `✉ down`); `✉1` alone is the simulated city's mail for the overseer.
    assert not re.search(r"✉ ", status_right())
    assert gt_mcp("demo", "--stop").returncode == 0
    assert mail_rows(users_mail) == before


def test_seed_mail_says_what_it_adds_then_adds_it(users_mail: Any, stop_demo_after: None) -> None:
    before = mail_rows(users_mail)
    env = dict(os.environ, AGENT_MAIL_URL=users_mail.url)
    started = gt_mcp("demo", "--no-attach", "--speed", "10", "--seed-mail", env=env)
    assert started.returncode == 0, started.stderr
    lines = started.stdout.splitlines()
    said = next(
        i for i, line in enumerate(lines) if "--seed-mail: adding to your Agent Mail" in line
    )
    seeding = next(i for i, line in enumerate(lines) if "seeding Agent Mail at" in line)
    assert said < seeding
    state = load_state()
    assert state is not None and state.mail_seeded and state.mail_url == users_mail.url
    planned = [line for line in lines[said:seeding] if "project " in line]
    assert len(planned) == 3 and all(str(state.paths.root) in line for line in planned)
    assert "stay after --stop" in started.stdout
    after = mail_rows(users_mail)
    assert after["projects"] == before["projects"] + 3
    assert after["agents"] == before["agents"] + 5
    assert after["messages"] == before["messages"] + 6
    assert after["file_reservations"] == before["file_reservations"] + 4
    bar = retry_until(lambda: re.search(r"✉ \d+", text := status_right()) and text, 30)
    assert bar, status_right()


def test_seed_mail_with_no_server_is_one_line_and_starts_nothing() -> None:
    env = dict(os.environ, AGENT_MAIL_URL=f"http://127.0.0.1:{free_port()}")
    done = gt_mcp("demo", "--no-attach", "--seed-mail", env=env)
    assert done.returncode == 1
    assert (
        done.stderr.count("\n") == 1 and "--seed-mail: no Agent Mail server answers" in done.stderr
    )
    assert "Traceback" not in done.stderr + done.stdout
    assert not state_path().exists()


def test_mail_choices_exclude_each_other() -> None:
    done = gt_mcp("demo", "--no-attach", "--seed-mail", "--no-mail")
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "choose one" in done.stderr
    assert not state_path().exists()


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
