"""The dashboard acts: Enter jumps to the picked agent; users' extension panels show in it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from gt_mcp_tmux.collector.cache import write_snapshot
from gt_mcp_tmux.collector.once import collect_once
from gt_mcp_tmux.config import load_settings
from gt_mcp_tmux.render.agents_panel import by_attention
from tests.conftest import env_line, run_in_pane
from tests.harness import Screen, TmuxServer
from tests.townkit import StandinTown

GT_MCP = str(Path(sys.executable).parent / "gt-mcp")
pytestmark = pytest.mark.integration

PANELS_MODULE = """
from rich.text import Text

def queue(snapshot):
    waiting = sum(1 for a in snapshot.gastown.agents if a.status == "idle")
    return Text(f"{waiting} idle agents could take work")
queue.title = "Work queue"

def broken(snapshot):
    raise RuntimeError("the extension is broken")
"""


def test_enter_on_an_agent_jumps_to_it(
    town: StandinTown,
    gas_town: object,
    tmux: TmuxServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GT_TOWN_ROOT", str(town.root))
    snapshot = collect_once(load_settings()[0])
    saved = tmp_path / "snapshot.json"
    write_snapshot(snapshot, saved)
    order = [a.address for a in by_attention(snapshot.gastown.agents)]
    view = Screen(tmux, width=140, height=45)
    try:
        run_in_pane(tmux, *env_line(town), f"GT_MCP_SNAPSHOT={saved}", GT_MCP, "dashboard")
        view.wait_for(lambda t: "Agents" in t and "q quit" in t, timeout=20)
        for _ in range(order.index("gastown/furiosa")):
            view.keys("Down")
        view.keys("Enter")
        text = view.wait_for(lambda t: "I AM GT-FURIOSA" in t, timeout=20)
        assert "I AM GT-FURIOSA" in text  # the agent, in a popup over the dashboard
        view.keys("C-b", "d")
        text = view.wait_for(lambda t: "I AM GT-FURIOSA" not in t and "q quit" in t)
        assert "q quit" in text  # back on the dashboard
        view.keys("q")
    finally:
        view.close()


def test_extension_panels_show_and_a_broken_one_stays_in_its_panel(tmp_path: Path) -> None:
    (tmp_path / "my_panels.py").write_text(PANELS_MODULE)
    env = {
        **os.environ,
        "PYTHONPATH": str(tmp_path),
        "GT_MCP_PANELS": "my_panels:queue, my_panels:broken, nowhere:thing",
        "COLUMNS": "120",
    }
    done = subprocess.run(
        [GT_MCP, "dashboard", "--once"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "Work queue" in out and "idle agents could take work" in out
    assert "RuntimeError: the extension is broken" in " ".join(out.split())
    assert "cannot load: ModuleNotFoundError" in " ".join(out.split())
    assert "Agents" in out  # the built-in panels are all still there


def test_dashboard_json_has_what_a_frame_shows(tmp_path: Path) -> None:
    from tests.viewkit import busy_town

    saved = tmp_path / "snapshot.json"
    write_snapshot(busy_town(), saved)
    env = {**os.environ, "GT_MCP_SNAPSHOT": str(saved)}
    done = subprocess.run(
        [GT_MCP, "dashboard", "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=True,
    )
    import json

    data = json.loads(done.stdout)
    assert set(data) == {"snapshot", "host", "user_sessions"}
    assert len(data["snapshot"]["gastown"]["agents"]) == 10
    assert data["host"]["cpus"] >= 1 and "mem_percent" in data["host"]


def test_the_highlight_follows_the_picked_agent_when_the_list_resorts() -> None:
    from dataclasses import replace

    from gt_mcp_tmux.model import Agent, GasTown, Snapshot
    from gt_mcp_tmux.ui.dashboard import Dashboard

    agents = [
        Agent(
            f"gastown/p{i}", f"p{i}", "polecat", status="working", running=True, session=f"gt-p{i}"
        )
        for i in range(5)
    ]
    board = Dashboard()
    board.snapshot = Snapshot(1.0, "t", GasTown(agents=agents))
    for _ in range(3):
        board.handle("down")
    assert board.picked() is not None and board.picked().address == "gastown/p3"  # type: ignore[union-attr]
    # p4 gets stuck and jumps to the top: the highlight must stay on p3, one row lower now
    changed = [replace(a, status="stuck") if a.name == "p4" else a for a in agents]
    board.snapshot = Snapshot(2.0, "t", GasTown(agents=changed))
    picked = board.picked()
    assert picked is not None and picked.address == "gastown/p3" and board.selected == 4
