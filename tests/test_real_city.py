"""gastown-mcp against live cities made by the real `gc` (see tests/realcity.py).

What a user does: `gt-mcp detect` / `status --json` from the city's folder, the bar and Prefix+g
of their own tmux watching a city (and a town beside it), a crash-looping agent alerted, a jump
into a city session on the city's own server, the supervisor stopped under the collector.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gt_mcp_tmux.collector.cache import read_snapshot, snapshot_path
from gt_mcp_tmux.model import Snapshot
from tests.harness import Screen, TmuxServer
from tests.realcity import (
    RealCity,
    crashing_city,  # noqa: F401  (fixture)
    gc_agent,  # noqa: F401  (fixture)
    running_city,
    wait_for_quarantine,
)
from tests.realtown import RealTown
from tests.waiting import retry_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]

GT_MCP = str(Path(sys.executable).parent / "gt-mcp")


@pytest.fixture(autouse=True)
def city_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """gc's servers live under /tmp/tmux-<uid> whatever TMUX_TMPDIR says."""
    monkeypatch.setenv("GT_MCP_GT_SOCKET_DIR", f"/tmp/tmux-{os.getuid()}")


def city_env(city: RealCity) -> dict[str, str]:
    """What a user of that city has: its GC_HOME (registry, supervisor.toml) and its gc."""
    return {"GC_HOME": str(city.gc_home), "GT_MCP_GC": str(city.gc_binary)}


def gt_mcp(
    city: RealCity, *args: str, cwd: Path | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    where = cwd or city.root
    return subprocess.run(
        [GT_MCP, *args],
        cwd=where,
        env={
            **os.environ,
            **city_env(city),
            "COLUMNS": "110",
            "NO_COLOR": "1",
            "PWD": str(where),
            "GT_MCP_GT": "/nonexistent/gt",  # a Gas City user without Gas Town
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )


def city_agents(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {a["session"]: a for a in data["gascity"]["agents"]}


# --- helpers for the tests that only look (the ones that break it come last) ---------------


def user_server_for(
    city: RealCity, monkeypatch: pytest.MonkeyPatch, town: RealTown | None = None
) -> TmuxServer:
    for name, value in city_env(city).items():
        monkeypatch.setenv(name, value)  # the collector inherits the server's environment
    server = TmuxServer(f"gtmcp-user-{uuid.uuid4().hex[:10]}")
    server.run("-f", "/dev/null", "new-session", "-d", "-s", "main", "-x", "130", "-y", "40")
    server.run("set", "-g", "@gtmcp-python", sys.executable)
    server.run("set", "-g", "@gtmcp-city-root", str(city.root))
    if town is not None:
        server.run("set", "-g", "@gtmcp-town-root", str(town.root))
    else:
        server.run("set", "-g", "@gtmcp-town-root", "/nonexistent/town")
    server.run("set", "-g", "@gtmcp-status-interval", "10")
    server.run("set", "-g", "@gtmcp-agent-mail", "off")
    server.run("set", "-g", "status-right", "#{gtmcp_status}")
    server.run("set", "-g", "status-right-length", "150")
    server.load_plugin()
    return server


def inside(server: TmuxServer) -> dict[str, str]:
    """The environment of a command typed in one of the server's panes (`$TMUX` names it)."""
    return {**os.environ, "TMUX": f"{server.out('display-message', '-p', '#{socket_path}')},0,0"}


def snapshot_of(server: TmuxServer) -> Snapshot | None:
    return read_snapshot(snapshot_path(server.out("display-message", "-p", "#{socket_path}")))


class TestInALiveCity:
    """One city for these tests; the last two break it (an agent killed, the supervisor stopped)."""

    @pytest.fixture(scope="class")
    @classmethod
    def city(cls, tmp_path_factory: pytest.TempPathFactory, gc_agent: Path) -> Iterator[RealCity]:  # noqa: F811
        with running_city(tmp_path_factory.mktemp("city"), gc_agent) as up:
            yield up

    def test_detect_lists_the_city_how_it_was_found_and_its_supervisor(
        self, city: RealCity
    ) -> None:
        # from elsewhere (the recipe leaves a seed city.toml above the rig): the registry
        done = gt_mcp(city, "detect", "--json", cwd=Path("/"))
        found = json.loads(done.stdout)["gascity"]
        assert found["supervisor_url"] == city.url and found["supervisor_running"] is True
        assert len(found["cities"]) == 1, found["cities"]
        (seen,) = found["cities"]
        assert (seen["name"], seen["root"], seen["watched"]) == (city.name, str(city.root), True)
        assert seen["found_by"] == "registry" and seen["server_running"] is True
        shown = gt_mcp(city, "detect")
        assert f"{city.name} {city.root}" in shown.stdout and "Traceback" not in shown.stderr

    def test_status_json_tells_the_truth_about_a_city(self, city: RealCity) -> None:
        done = gt_mcp(city, "status", "--json")
        assert done.returncode == 0, done.stderr
        data = json.loads(done.stdout)
        found = data["gascity"]
        assert (found["city"], found["found_by"], found["via"]) == (city.name, "cwd", "api")
        assert (
            found["server_running"] and found["supervisor_running"] and found["controller_running"]
        )
        agents = city_agents(data)
        polecat = next(name for name in agents if name.startswith("polecat-"))
        for session in ("mayor", "deacon", "demorig--witness", polecat):
            assert agents[session]["running"] is True, agents[session]
            assert agents[session]["status"] in ("idle", "working")
        assert agents["demorig--witness"]["address"] == "demorig/witness"
        assert agents["demorig--witness"]["role"] == "witness"
        assert agents[polecat]["rig"] == "demorig" and agents[polecat]["role"] == "polecat"
        assert found["human_unread"] >= 1  # the recipe's mail to human
        assert [r["name"] for r in found["rigs"]] == ["demorig"]
        assert data["gastown"]["root"] is None  # GT_ROOT of the city's sessions is no town
        servers = json.loads(gt_mcp(city, "tmux", "status", "--json").stdout)["gascity"]
        roles = {s["name"]: s["role"] for s in servers["sessions"]}
        assert roles["demorig--witness"] == "witness" and roles["mayor"] == "mayor"
        human = gt_mcp(city, "status")
        assert f"▦ {city.name}" in human.stdout and "no town" not in human.stdout

    def test_a_town_and_a_city_watched_at_once(
        self, city: RealCity, real_town: RealTown, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        server = user_server_for(city, monkeypatch, real_town)
        try:
            both = retry_until(
                lambda: (
                    "▦ 4/4" in server.option("@gtmcp_status")
                    and "⛽ 6/7" in server.option("@gtmcp_status")
                ),
                40,
            )
            assert both, server.option("@gtmcp_status")
            assert "▦ 4/4" in server.option("@gtmcp_gascity")  # its own token too
            screen = Screen(server)
            try:
                screen.wait_for(lambda text: bool(text.strip()))
                screen.keys("C-b", "g")
                text = screen.wait_for(lambda t: "City agents" in t and "demorig/witness" in t, 20)
                assert "demorig/obsidian" in text  # the town's agents are there too
                assert f"▦ {city.name}" in text
            finally:
                screen.close()
            jump = subprocess.run(
                [GT_MCP, "jump", "--json"],
                capture_output=True,
                text=True,
                timeout=30,
                check=True,
                env=inside(server),
            )
            sockets = {(a["orchestrator"], a["socket"]) for a in json.loads(jump.stdout)["agents"]}
            assert ("gascity", city.socket) in sockets and ("gastown", real_town.socket) in sockets
        finally:
            server.kill()

    def test_jump_reaches_a_city_session_on_the_citys_server(
        self, city: RealCity, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        server = user_server_for(city, monkeypatch)
        try:
            assert retry_until(lambda: "▦ 4/4" in server.option("@gtmcp_status"), 40)
            screen = Screen(server)
            try:
                screen.wait_for(lambda text: bool(text.strip()))
                line = f"{GT_MCP} jump demorig/witness"
                server.run("send-keys", "-t", "main", "-l", line)
                server.run("send-keys", "-t", "main", "Enter")

                def attached() -> bool:
                    clients = city.tmux("list-clients", "-F", "#{client_session}", check=False)
                    return "demorig--witness" in clients.stdout.split()

                assert retry_until(attached, 20)  # a popup on the user's client, attached there
                assert server.out("list-sessions", "-F", "#{session_name}").split() == ["main"]
            finally:
                screen.close()
        finally:
            server.kill()

    def test_a_city_no_registry_lists_is_found_by_its_tmux_server(
        self, city: RealCity, tmp_path: Path
    ) -> None:
        elsewhere = tmp_path / "other-gc-home"  # another GC_HOME: its registry is empty
        elsewhere.mkdir()
        done = gt_mcp(city, "status", "--json", cwd=Path("/"), GC_HOME=str(elsewhere))
        found = json.loads(done.stdout)["gascity"]
        assert (found["city"], found["root"], found["found_by"]) == (
            city.name,
            str(city.root),
            "tmux",
        )
        assert "mayor" in city_agents(json.loads(done.stdout))
        detected = json.loads(
            gt_mcp(city, "detect", "--json", cwd=Path("/"), GC_HOME=str(elsewhere)).stdout
        )
        assert [(c["root"], c["found_by"]) for c in detected["gascity"]["cities"]] == [
            (str(city.root), "tmux")
        ]

    def test_sling_in_a_city_runs_gc_with_the_target_first(
        self, city: RealCity, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        made = city.gc_bd("create", "Ship the 1.0 notes", "--json")  # in the city's own store
        bead = json.loads(made.stdout)["id"]
        listed = retry_until(
            lambda: any(b["id"] == bead for b in city.city_api("/beads/ready")["items"]), 20
        )
        assert listed  # the supervisor picks up the city's store within a second or so
        # the user's gc setup: its bd on PATH, the file store
        monkeypatch.setenv("PATH", f"{city.bin_dir}:{os.environ['PATH']}")
        monkeypatch.setenv("GC_BEADS", "file")
        monkeypatch.setenv("GC_DOLT", "skip")
        server = user_server_for(city, monkeypatch)
        screen = Screen(server)
        try:
            screen.wait_for(lambda text: bool(text.strip()))
            server.run("send-keys", "-t", "main", "-l", f"{GT_MCP} sling")
            server.run("send-keys", "-t", "main", "Enter")
            # the city's ready beads, and the rig's own (from its bd: the API's copy is stale)
            screen.wait_for(lambda t: "Ship the 1.0 notes" in t and "Add a LICENSE" in t, 30)
            screen.keys("-l", "Ship the")
            screen.keys("Enter")
            screen.wait_for(lambda t: f"sling {bead} to" in t and "demorig/polecat" in t, 20)
            screen.keys("-l", "mayor")
            screen.keys("Enter")
            shown = screen.wait_for(lambda t: "run it?" in t, 20)
            assert f"gc sling mayor {bead}" in shown  # the target first: gc's order
            screen.keys("y", "Enter")
            done = screen.wait_for(lambda t: "gc exited" in t, 60)
            assert "gc exited 0" in done, done

            def routed() -> bool:
                beads = city.city_api("/beads/ready")["items"]
                return any(
                    b["id"] == bead and (b.get("metadata") or {}).get("gc.routed_to") == "mayor"
                    for b in beads
                )

            assert retry_until(routed, 20), city.city_api("/beads/ready")
        finally:
            screen.close()
            server.kill()

    def test_peek_and_the_queues_nudge_reach_a_city_agent(self, city: RealCity) -> None:
        """`gt-mcp peek` reads a city agent's pane on the city's server; the nudge the queue's
        popup runs (`gc session nudge <alias> <text>`) is one the real gc delivers."""
        from gt_mcp_tmux.model import Agent
        from gt_mcp_tmux.ui.queue_actions import ItemAgent, nudge_argv

        done = gt_mcp(city, "peek", "mayor", "--json")
        assert done.returncode == 0, done.stderr
        peeked = json.loads(done.stdout)
        assert peeked["orchestrator"] == "gascity" and peeked["socket"] == city.socket
        agent = Agent("mayor", "mayor", "mayor", session=peeked["session"])
        argv = nudge_argv(ItemAgent(agent, city.socket, "gascity", str(city.root)), "hi from you")
        assert argv == ["session", "nudge", "mayor", "--", "hi from you"]
        city.gc(*argv)

        def delivered() -> bool:
            shown = gt_mcp(city, "peek", "mayor", "--lines", "40", "--json").stdout
            return "hi from you" in "\n".join(json.loads(shown)["lines"])

        assert retry_until(delivered, 30)

    def test_a_killed_agent_is_dead_at_once_and_its_pane_stays(self, city: RealCity) -> None:
        pid = int(city.panes()["deacon"]["pid"])
        os.kill(pid, 9)  # the agent dies; gc's remain-on-exit keeps its pane

        def deacon() -> dict[str, Any]:
            return city_agents(json.loads(gt_mcp(city, "status", "--json").stdout))["deacon"]

        assert retry_until(lambda: deacon()["running"] is False, 20), deacon()
        seen = deacon()
        assert seen["status"] in ("dead", "idle", "working")  # gc may have restarted it meanwhile
        if not seen["running"]:
            assert seen["status"] == "dead"

    def test_with_the_supervisor_stopped_gc_answers_gently(self, city: RealCity) -> None:
        city.stop_supervisor()
        done = gt_mcp(city, "status", "--json")
        found = json.loads(done.stdout)["gascity"]
        assert found["supervisor_running"] is False and found["via"] == "gc"
        assert "mayor" in city_agents(json.loads(done.stdout))  # from `gc session list --json`
        assert found["human_unread"] >= 1  # from `gc mail count human`
        assert not [e for e in found["errors"] if e["source"] in ("city_sessions", "city_mail")]
        bar = gt_mcp(city, "status")
        assert "supervisor" in bar.stdout and "Traceback" not in bar.stderr

    # --- the user's own tmux watching a city (and a town) -----------------------------------------


# --- a crash loop, in a city of its own -----------------------------------------------


def test_a_crash_looping_agent_is_alerted(
    crashing_city: RealCity,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = user_server_for(crashing_city, monkeypatch)
    try:
        wait_for_quarantine(crashing_city)  # gc gives up on it, and writes no event for that

        def crash_alert() -> bool:
            snapshot = snapshot_of(server)
            return snapshot is not None and any(
                a.kind == "crash_loop" and a.agent == "crasher" for a in snapshot.alerts
            )

        assert retry_until(crash_alert, 30), snapshot_of(server)
        assert "⚑" in server.option("@gtmcp_status") and "⚠" in server.option("@gtmcp_gascity")
        listed = subprocess.run(
            [GT_MCP, "alerts", "--json"],
            capture_output=True,
            text=True,
            timeout=30,
            env=inside(server),
        )
        kinds = {(a["kind"], a["agent"]) for a in json.loads(listed.stdout)["alerts"]}
        assert ("crash_loop", "crasher") in kinds
        # the queue puts it first, and next goes to its session on the city's server
        queued = subprocess.run(
            [GT_MCP, "queue", "--json"],
            capture_output=True,
            text=True,
            timeout=30,
            env=inside(server),
        )
        first = json.loads(queued.stdout)["items"][0]
        assert (first["kind"], first["severity"], first["source"]) == (
            "crash_loop",
            "critical",
            "gascity",
        )
        assert first["go"]["kind"] == "agent" and first["go"]["socket"] == crashing_city.socket
    finally:
        server.kill()
