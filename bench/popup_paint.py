"""Key press to first paint of the quick status (Prefix+g) and the dashboard (Prefix+G).

A real tmux server with the plugin loaded, a real client attached inside an outer tmux (so the
screen, popups included, can be read with capture-pane), the keys typed with send-keys, and the
outer pane polled until the view's first line shows. Beside them, measured in the same run, the
same key path to a popup that only `cat`s the quick view's text: what tmux and a popup cost
without our Python. Goal: g <= 300 ms.
"""

from __future__ import annotations

import dataclasses
import io
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

from bench.common import median, report
from gt_mcp_tmux.model import Snapshot
from tests.harness import Screen, TmuxServer

FRAME = "┌─ gastown-mcp "


def key_to_paint(
    screen: Screen, key: str, marker: str, close: Sequence[str], runs: int
) -> list[float]:
    times = []
    for _ in range(runs):
        screen.shown_at(None, FRAME)
        pressed = time.perf_counter()
        screen.keys("C-b", key)
        painted = screen.shown_at(marker)
        times.append((painted - pressed) * 1000)
        screen.keys(*close)
        screen.shown_at(None, FRAME)
    return times


def quick_text(snapshot: Snapshot) -> str:
    """The quick view as plain text: what the baseline popup `cat`s."""
    from rich.console import Console

    from gt_mcp_tmux.render.quick_view import quick_status

    out = io.StringIO()
    Console(file=out, width=110, color_system=None).print(
        quick_status(snapshot, snapshot.collected_at)
    )
    return out.getvalue()


def main(runs: int = 10) -> dict[str, float]:
    from gt_mcp_tmux.collector.cache import write_snapshot
    from tests.viewkit import busy_town

    with tempfile.TemporaryDirectory() as tmp:
        snapshot_file = Path(tmp) / "snapshot.json"
        write_snapshot(
            dataclasses.replace(busy_town(), collected_at=time.time() + 3600), snapshot_file
        )
        plain = Path(tmp) / "quick.txt"
        plain.write_text(quick_text(busy_town()))
        inner = TmuxServer(f"gtmcp-bench-{uuid.uuid4().hex[:8]}")
        inner.run("-f", "/dev/null", "new-session", "-d", "-s", "main", "-x", "140", "-y", "45")
        screen: Screen | None = None
        try:
            inner.run("set", "-g", "@gtmcp-python", sys.executable)
            inner.run("set-environment", "-g", "GT_MCP_SNAPSHOT", str(snapshot_file))
            inner.load_plugin()
            # The baseline: the same run-shell -b -> display-popup path, running `cat` instead.
            baseline = (
                f"tmux display-popup -c #{{q:client_name}} -E -w 80% -h 80% -T ' gastown-mcp ' "
                f"-- sh -c 'cat {plain}; read -r x'"
            )
            inner.run("bind-key", "-T", "prefix", "F9", "run-shell", "-b", baseline)
            screen = Screen(inner, width=140, height=45)
            screen.shown_at("[main]")
            key_to_paint(screen, "g", "need attention", ["x"], 2)  # warm the page cache
            cat = key_to_paint(screen, "F9", "need attention", ["Enter"], runs)
            quick = key_to_paint(screen, "g", "need attention", ["x"], runs)
            dashboard = key_to_paint(screen, "G", "Agents 10", ["q"], runs)
        finally:
            if screen is not None:
                screen.close()
            inner.kill()
    figures = {
        "baseline_ms": median(cat),
        "quick_ms": median(quick),
        "dashboard_ms": median(dashboard),
    }
    report(
        "popup paint (key press -> first line of the view on screen, real tmux client)",
        {
            "popup running cat (baseline)": f"{figures['baseline_ms']:.0f} ms median of {runs}",
            "Prefix+g quick status": f"{figures['quick_ms']:.0f} ms median of {runs} "
            f"(goal <= 300 ms) {'OK' if figures['quick_ms'] <= 300 else 'OVER'}",
            "Prefix+G dashboard": f"{figures['dashboard_ms']:.0f} ms median of {runs}",
            "g over the baseline": f"{figures['quick_ms'] - figures['baseline_ms']:.0f} ms "
            f"({figures['quick_ms'] / figures['baseline_ms']:.1f}x)",
        },
    )
    return figures


if __name__ == "__main__":
    main()
