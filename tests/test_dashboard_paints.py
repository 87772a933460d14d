"""The live dashboard paints only when what it shows changed: a real `gt-mcp dashboard` in a
real tmux pane, every byte it writes piped to a file (tmux pipe-pane) and its paints counted
there (each one writes the whole screen, its key line once), never timed."""

from __future__ import annotations

import dataclasses
import sys
import time
from pathlib import Path

import pytest

from gt_mcp_tmux.collector.cache import write_snapshot
from gt_mcp_tmux.model import Snapshot
from gt_mcp_tmux.ui.popups import AGES_EVERY
from tests.conftest import run_in_pane
from tests.harness import Screen, TmuxServer
from tests.viewkit import busy_town

GT_MCP = str(Path(sys.executable).parent / "gt-mcp")
KEY_LINE = b"q quit \xc2\xb7 r refresh"  # once in every paint
pytestmark = pytest.mark.integration


def with_newcomer(snapshot: Snapshot) -> Snapshot:
    """The same town with one more agent: the agents panel's title goes from 10 to 11."""
    town = snapshot.gastown
    newcomer = dataclasses.replace(town.agents[-1], address="gastown/newcomer", name="newcomer")
    return dataclasses.replace(
        snapshot, gastown=dataclasses.replace(town, agents=[*town.agents, newcomer])
    )


def paints(log: Path) -> int:
    return log.read_bytes().count(KEY_LINE) if log.exists() else 0


def test_an_unchanged_cache_is_not_painted_again_and_a_changed_one_is(
    tmux: TmuxServer, tmp_path: Path
) -> None:
    town = dataclasses.replace(busy_town(), collected_at=time.time())
    cache = tmp_path / "snapshot.json"
    write_snapshot(town, cache)
    log = tmp_path / "paints.log"
    view = Screen(tmux, width=140, height=45)
    try:
        run_in_pane(tmux, "env", f"GT_MCP_SNAPSHOT={cache}", GT_MCP, "dashboard")
        view.wait_for(lambda t: "Agents 10" in t and "q quit" in t, timeout=20)
        tmux.run("pipe-pane", "-o", "-t", "main", f"cat >> '{log}'")
        # the old dashboard painted every second: 8 paints here; now only its ages tick
        time.sleep(AGES_EVERY + 3)
        unchanged = paints(log)
        assert 1 <= unchanged <= 2, unchanged

        write_snapshot(with_newcomer(town), cache)
        text = view.wait_for(lambda t: "Agents 11" in t, timeout=10)
        assert "Agents 11" in text and "newcomer" in text, text
        assert paints(log) > unchanged

        before = paints(log)
        view.keys("Tab")  # a key is painted at once
        text = view.wait_for(lambda t: "┏━ ▸ Convoys" in t)
        assert "┏━ ▸ Convoys" in text
        assert paints(log) > before
        view.keys("q")
        view.wait_for(lambda t: "q quit" not in t)
    finally:
        tmux.run("pipe-pane", "-t", "main", check=False)
        view.close()
