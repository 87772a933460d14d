"""Long lists are cut and summed up in the quick views and `gt-mcp status` (`--all`: every row),
so the header and the agents always show, however big the fleet and its Agent Mail."""

from __future__ import annotations

import dataclasses
import io
import os
import subprocess
import sys
from pathlib import Path

from rich.console import Console

from bench.fleet import fleet
from gt_mcp_tmux.collector.cache import write_snapshot
from gt_mcp_tmux.model import Snapshot
from gt_mcp_tmux.render.quick_view import quick_status
from tests.bigmail import big_mail

GT_MCP = str(Path(sys.executable).parent / "gt-mcp")


def crowded() -> Snapshot:
    """200 agents, 20 mail projects, 2,000 reservations, 50 conflicts."""
    snapshot = fleet(200)
    return dataclasses.replace(snapshot, agent_mail=big_mail())


def status_text(snapshot_file: Path, *args: str) -> list[str]:
    done = subprocess.run(
        [GT_MCP, "status", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env={**os.environ, "COLUMNS": "110", "GT_MCP_SNAPSHOT": str(snapshot_file)},
    )
    return done.stdout.splitlines()


def test_gt_mcp_status_cuts_every_long_list_and_all_shows_them(tmp_path: Path) -> None:
    saved = write_snapshot(crowded(), tmp_path / "snapshot.json")
    lines = status_text(saved)
    text = "\n".join(lines)
    assert len(lines) < 400, len(lines)  # it was 2,000 reservations and more
    assert lines[0].startswith("⛽")  # the header first
    assert "Agents 200" in text and "… 151 more (80 need attention)" in text  # 49 and a count
    assert "… 47 more conflicts (gt-mcp mail)" in lines  # 3 under the header
    assert "… 40 more conflicts (gt-mcp status --all)" in lines  # 10 in Agent Mail's part
    assert "… 10 more projects (gt-mcp status --all)" in text
    assert "… 90 more reservations (gt-mcp status --all)" in text  # 100 per project, 10 shown
    assert "… 2 more agents (gt-mcp status --all)" in text  # 12 mail agents, 10 shown

    whole = status_text(saved, "--all")
    assert len(whole) > 2000 + 200
    assert not [line for line in whole if line.startswith("… ")]


def test_the_quick_view_keeps_its_header_and_agents_above_50_conflicts() -> None:
    out = io.StringIO()
    snapshot = crowded()
    Console(file=out, width=100, height=40, color_system=None).print(
        quick_status(snapshot, snapshot.collected_at, height=40)
    )
    lines = out.getvalue().splitlines()
    assert len(lines) <= 40
    assert lines[0].startswith("⛽")
    conflicts = [line for line in lines if line.startswith("⚔")]
    assert len(conflicts) == 3
    assert "… 47 more conflicts (gt-mcp mail)" in lines
    assert any(line.startswith("Agents 200") for line in lines)
    agent_rows = [line for line in lines if "p0" in line]
    assert len(agent_rows) >= 15  # most of the screen is agents
