"""gastown-mcp against live towns made by the real `gt` (see tests/realtown.py).

Each test drives what a user would: `gt-mcp detect` / `status --json` from the town, the collector
of the user's own tmux server watching the town, Prefix+g through a real client, and the plugin
loaded inside Gas Town's own server (which reads the town HOME's ~/.tmux.conf).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from gt_mcp_tmux.collector.cache import read_snapshot, snapshot_path
from tests.harness import PROJECT, Screen, TmuxServer
from tests.realtown import RealTown, make_real_town
from tests.waiting import retry_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]

GT_MCP = str(Path(sys.executable).parent / "gt-mcp")


def gt_mcp(town: RealTown, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [GT_MCP, *args],
        cwd=town.root,
        env={**os.environ, "COLUMNS": "100", "NO_COLOR": "1", "PWD": str(town.root), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def status_json(town: RealTown, **env: str) -> dict[str, Any]:
    done = gt_mcp(town, "status", "--json", **env)
    assert done.returncode == 0, done.stderr
    data: dict[str, Any] = json.loads(done.stdout)
    return data


def agents_of(snapshot: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {a["address"]: a for a in snapshot["gastown"]["agents"]}


# --- the CLI against a real town ------------------------------------------------------------------


def test_detect_finds_the_real_town_and_its_server(real_town: RealTown) -> None:
    done = gt_mcp(real_town, "detect", "--json")
    found = json.loads(done.stdout)["gastown"]
    assert found["town_root"] == str(real_town.root) and found["found_by"] == "cwd"
    assert found["socket"] == real_town.socket  # named exactly as gt names it
    assert found["server_running"] and found["sessions"] == 6
    assert found["version"].startswith("gt version v1.0.1")


def test_status_of_a_real_town_tells_the_truth(real_town: RealTown) -> None:
    snapshot = status_json(real_town)
    agents = agents_of(snapshot)
    running = {address for address, a in agents.items() if a["running"]}
    assert running == {
        "mayor/",
        "deacon/",
        "demorig/witness",
        "demorig/refinery",  # runs, though gt's own answer leaves it out (adopted rig)
        "demorig/crew/max",
        "demorig/obsidian",
    }
    assert agents["demorig/quartz"]["status"] == "stopped"  # no session, nothing hooked
    assert not [a for a in agents.values() if a["status"] in ("dead", "stuck", "stalled")]
    errors = {e["source"]: e for e in snapshot["gastown"]["errors"]}
    # without beads the convoy list fails: the real Error: line is shown, not gt's banner
    assert errors["convoys"]["message"].startswith("gt exited 1: Error: listing convoys")
    assert snapshot["gastown"]["socket"] == real_town.socket


def test_a_shell_window_opened_in_a_crew_session_does_not_make_it_dead(real_town: RealTown) -> None:
    """Gas Town looks at the pane in GT_PANE_ID, not at whatever window a person is in."""
    real_town.tmux("new-window", "-t", "=dr-crew-max:", "sh")
    assert real_town.tmux(
        "display-message", "-p", "-t", "=dr-crew-max:", "#{pane_current_command}"
    ).stdout.strip() in ("sh", "dash", "bash")
    agents = agents_of(status_json(real_town))
    assert agents["demorig/crew/max"]["running"] is True


def test_an_agent_that_exits_leaves_its_session_seen_as_not_running(real_town: RealTown) -> None:
    """The crew pane back at a shell (the agent exited inside it) is not running."""
    real_town.tmux("respawn-pane", "-k", "-t", "=dr-crew-max:", "sh")
    agents = agents_of(status_json(real_town))
    assert agents["demorig/crew/max"]["running"] is False
    assert agents["demorig/crew/max"]["status"] == "stopped"  # nothing hooked: not "dead"


def test_an_agent_below_a_shell_counts_as_running(real_town: RealTown, gtagent: Path) -> None:
    """A shell in front counts when a process below it is the agent (GT_PROCESS_NAMES)."""
    real_town.tmux("respawn-pane", "-k", "-t", "=dr-crew-max:", f"sh -c '{gtagent}; true'")
    agents = agents_of(status_json(real_town))
    assert agents["demorig/crew/max"]["running"] is True


def test_gt_runs_without_an_agent_sessions_variables(real_town: RealTown) -> None:
    """gt touches GT_SESSION's heartbeat when GT_ROLE is a polecat's: never do that for it."""
    beat = real_town.root / ".runtime" / "heartbeats" / "dr-obsidian.json"
    before = beat.stat().st_mtime_ns
    time.sleep(1.1)
    status_json(real_town, GT_ROLE="demorig/polecats/obsidian", GT_SESSION="dr-obsidian")
    assert beat.stat().st_mtime_ns == before


def test_a_symlinked_town_is_watched_on_the_server_it_runs_on(real_town: RealTown) -> None:
    """Through a symlink gt names the socket after the link (`my-town-<hash>`); the town runs
    as `rt-town-...-<hash>`: the running server is watched, and detect says why, instead of
    telling the user to `gt up` a second copy of the town."""
    link = real_town.base / "my-town"
    link.symlink_to(real_town.root)
    gt_said = subprocess.run(
        ["gt", "status", "--fast", "--json"],
        cwd=link,
        env={**real_town.env(), "PWD": str(link)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    named = json.loads(gt_said.stdout)["tmux"]["socket"]
    assert named.startswith("my-town-") and named.split("-")[-1] == real_town.socket.split("-")[-1]
    done = subprocess.run(
        [GT_MCP, "detect", "--json"],
        cwd=link,
        env={**os.environ, "PWD": str(link)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    found = json.loads(done.stdout)["gastown"]
    assert found["town_root"] == str(link)
    assert found["socket"] == real_town.socket and found["server_running"]
    assert any(named in hint and real_town.socket in hint for hint in found["hints"])


def test_peek_and_the_queues_nudge_reach_an_agent_of_a_real_town(real_town: RealTown) -> None:
    """`gt-mcp peek` reads a real agent's pane, escapes and all neutralised; the nudge the
    queue's popup runs is one the real gt delivers (the stand-in agent never takes the Enter,
    so gt may say `Enter not processed`: the text still reaches the pane)."""
    from gt_mcp_tmux.model import Agent
    from gt_mcp_tmux.ui.queue_actions import ItemAgent, nudge_argv

    done = gt_mcp(real_town, "peek", "demorig/obsidian", "--json")
    assert done.returncode == 0, done.stderr
    peeked = json.loads(done.stdout)
    assert peeked["session"] == "dr-obsidian" and peeked["socket"] == real_town.socket
    assert "stand-in agent" in "\n".join(peeked["lines"])
    agent = Agent("demorig/obsidian", "obsidian", "polecat", session="dr-obsidian")
    found = ItemAgent(agent, real_town.socket, "gastown", str(real_town.root))
    argv = nudge_argv(found, "overseer-says-hi")
    assert argv == ["nudge", "demorig/obsidian", "--message=overseer-says-hi"]
    real_town.gt(*argv, timeout=90)

    def delivered() -> bool:
        shown = gt_mcp(real_town, "peek", "demorig/obsidian", "--lines", "40", "--json").stdout
        return "overseer-says-hi" in "\n".join(json.loads(shown)["lines"])

    assert retry_until(delivered, 30)


# --- the collector of the user's own tmux server, watching a real town ---------------------------


@pytest.fixture
def user_server(real_town: RealTown) -> Iterator[TmuxServer]:
    server = TmuxServer(f"gtmcp-user-{uuid.uuid4().hex[:10]}")
    server.run("-f", "/dev/null", "new-session", "-d", "-s", "main", "-x", "120", "-y", "30")
    server.run("set", "-g", "@gtmcp-python", sys.executable)
    server.run("set", "-g", "@gtmcp-town-root", str(real_town.root))
    server.run("set", "-g", "@gtmcp-status-interval", "10")
    server.run("set", "-g", "status-right", "#{gtmcp_status}")
    server.run("set", "-g", "status-right-length", "120")
    server.load_plugin()
    try:
        yield server
    finally:
        server.kill()


def snapshot_of(server: TmuxServer) -> Any:
    return read_snapshot(snapshot_path(server.out("display-message", "-p", "#{socket_path}")))


def test_the_bar_and_prefix_g_show_the_real_town(user_server: TmuxServer) -> None:
    shown = retry_until(lambda: "6/7" in user_server.option("@gtmcp_gastown"), 30)
    assert shown, user_server.option("@gtmcp_gastown")
    assert "⚠" not in user_server.option("@gtmcp_gastown")  # nobody dead, stuck or stalled
    screen = Screen(user_server)
    try:
        screen.wait_for(lambda text: bool(text.strip()))
        screen.keys("C-b", "g")
        text = screen.wait_for(lambda t: "demorig/obsidian" in t and "crew/max" in t, 20)
        assert "demorig/obsidian" in text and "demorig/crew/max" in text
    finally:
        screen.close()


def test_estop_and_gt_down_as_a_user_does_them(
    real_town: RealTown, user_server: TmuxServer
) -> None:
    """`gt estop` reaches the bar; `gt down`'s deaths are routine: in the feed, never alerts."""
    assert retry_until(lambda: "6/7" in user_server.option("@gtmcp_gastown"), 30)
    real_town.gt("estop", "--rig", "demorig", "-r", "maintenance", timeout=60)
    assert retry_until(lambda: "ESTOP:demorig" in user_server.option("@gtmcp_gastown"), 15)
    assert retry_until(lambda: any(a.kind == "estop" for a in snapshot_of(user_server).alerts), 10)
    (real_town.root / "ESTOP.demorig").unlink()
    real_town.gt("estop", "-r", "closing the laptop", timeout=60)
    assert retry_until(lambda: "ESTOP" in user_server.option("@gtmcp_gastown"), 15)
    (real_town.root / "ESTOP").unlink()  # `gt thaw` needs beads to finish
    real_town.gt("down", timeout=120)
    log = (real_town.root / ".events.jsonl").read_text()
    assert '"reason":"user shutdown"' in log
    # gt down stops every service; a polecat keeps its session (Gas Town leaves them be)
    assert retry_until(lambda: "⛽ 1/" in user_server.option("@gtmcp_gastown"), 20), (
        user_server.option("@gtmcp_gastown"),
        real_town.tmux("list-sessions", check=False).stdout,
    )
    time.sleep(3)  # alerts are held two cycles
    snapshot = snapshot_of(user_server)
    assert snapshot is not None
    assert [e.type for e in snapshot.gastown.events].count("session_death") >= 2
    assert not [a for a in snapshot.alerts if a.kind in ("session_death", "dead")]
    # gt keeps its server up with no session left: the bar says nobody runs, at once
    real_town.tmux("kill-session", "-t", "=dr-obsidian:")
    assert retry_until(lambda: "⛽ 0/" in user_server.option("@gtmcp_gastown"), 10), (
        user_server.option("@gtmcp_gastown")
    )


def test_the_daemons_start_rewrites_the_log_and_nothing_is_announced_twice(
    real_town: RealTown, user_server: TmuxServer
) -> None:
    """The daemon prunes .events.jsonl at start (tmp + rename): same lines, a new inode."""
    assert retry_until(lambda: snapshot_of(user_server) is not None, 20)
    real_town.gt(
        "activity",
        "emit",
        "escalation_sent",
        "--rig",
        "demorig",
        "--target",
        "obsidian",
        "--to",
        "mayor",
        "--reason",
        "unresponsive",
    )

    def escalations() -> list[Any]:
        snap = snapshot_of(user_server)
        return [a for a in snap.alerts if a.kind == "escalation"] if snap else []

    assert retry_until(lambda: len(escalations()) == 1, 15)
    inode = (real_town.root / ".events.jsonl").stat().st_ino
    real_town.gt("daemon", "start", timeout=60)
    assert retry_until(lambda: (real_town.root / ".events.jsonl").stat().st_ino != inode, 30)
    time.sleep(3)
    snapshot = snapshot_of(user_server)
    assert len(escalations()) == 1
    assert [e.type for e in snapshot.gastown.events].count("escalation_sent") == 1


# --- the plugin inside Gas Town's own server ----------------------------------------------------


def gt_callers(log: Path) -> set[int]:
    """Which processes ran gt status / convoy list (pids of the callers, from the wrapper's log)."""
    callers: set[int] = set()
    for line in log.read_text().splitlines() if log.exists() else []:
        ppid, _, argv = line.partition(" ")
        words = argv.split()
        polls = words[:1] == ["status"] or words[:2] == ["convoy", "list"]
        # not `status-line`: that is Gas Town's own status-right job, run by its tmux server
        if polls and int(ppid) != os.getpid():
            callers.add(int(ppid))
    return callers


def test_inside_gas_towns_own_server_no_key_is_taken_and_one_process_polls(
    tmp_path: Path, gtagent: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """gt starts its server without -f: the HOME's ~/.tmux.conf (and so the plugin) loads there."""
    log = tmp_path / "gt-calls.log"
    monkeypatch.setenv("GT_MCP_GT_SOCKET_DIR", f"/tmp/tmux-{os.getuid()}")
    conf = (
        f"set -g @gtmcp-python {sys.executable}\n"
        f"set -g @gtmcp-status-interval 10\n"
        f"run-shell {PROJECT / 'gastown-mcp.tmux'}\n"
    )
    town = make_real_town(tmp_path / "rt", gtagent, tmux_conf=conf)
    assert town.socket  # asked once, before gt is wrapped
    try:
        # the `gt` on the town's PATH (and ours) logs who calls it, then runs the real one
        wrapper = town.base / "bin" / "gt"
        wrapper.unlink()
        wrapper.write_text(f'#!/bin/sh\necho "$PPID $*" >> {log}\nexec {town.gt_binary} "$@"\n')
        wrapper.chmod(0o755)
        # Gas Town's keys are Gas Town's there: g and a still run gt, not our popups
        keys = town.tmux("list-keys", "-T", "prefix").stdout
        g_line = next(line for line in keys.splitlines() if " g " in line)
        assert "gt agents menu" in g_line
        assert "popup.sh" not in next(line for line in keys.splitlines() if " a " in line)
        # the user's own server watches the same town; both collectors run
        monkeypatch.setenv("GT_MCP_GT", str(wrapper))
        town.tmux("set-environment", "-g", "GT_MCP_GT", str(wrapper))
        town.tmux("set", "-g", "@gtmcp-town-root", str(town.root))
        town.tmux("run-shell", f"{PROJECT / 'gastown-mcp.tmux'}")
        user = TmuxServer(f"gtmcp-user-{uuid.uuid4().hex[:10]}")
        user.run("-f", "/dev/null", "new-session", "-d", "-s", "main")
        user.run("set", "-g", "@gtmcp-python", sys.executable)
        user.run("set", "-g", "@gtmcp-town-root", str(town.root))
        user.run("set", "-g", "@gtmcp-status-interval", "10")
        user.load_plugin()
        try:

            def collectors() -> list[psutil.Process]:
                found = []
                for proc in psutil.process_iter(["cmdline"]):
                    cmd = proc.info["cmdline"] or []
                    if "gt_mcp_tmux" in cmd and "collector" in cmd and "run" in cmd:
                        found.append(proc)
                return found

            assert retry_until(lambda: len(collectors()) >= 2, 20)
            assert retry_until(lambda: gt_callers(log), 30)
            time.sleep(12)  # past a second status interval
            assert len(gt_callers(log)) == 1, log.read_text()
            assert retry_until(lambda: "6/7" in user.option("@gtmcp_gastown"), 20)
        finally:
            user.kill()
    finally:
        town.kill()
