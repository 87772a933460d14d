"""Key press to first paint of the popups: Prefix+g (quick status), G (dashboard), m (Agent Mail)
and b (bridge), at 10 and 200 agents.

A real tmux server with the plugin loaded, a real client attached inside an outer tmux (so the
screen, popups included, can be read with capture-pane), the keys typed with send-keys, and the
outer pane polled until the view's first line shows. Beside them, measured in the same run: the
same key path to a popup of the same size that only `cat`s a screenful (the baseline: what tmux
and a popup cost without us), and each view without its pre-rendered frame (as before: the view's
Python paints first). Goal: with frames, each within 2x of the `cat` popup. Also: what renewing
the frames costs (the renderer the collector starts when the cache changed, CPU per run).
"""

from __future__ import annotations

import dataclasses
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

from bench.common import median, report
from bench.fleet import fleet
from gt_mcp_tmux.collector.frames_trigger import EVERY
from tests.harness import Screen, TmuxServer

FRAME = "┌─ gastown-mcp "
FRAMES_OPTION = "@_gtmcp_frames"
#: key, popup size, what its first screen shows, how it closes
VIEWS = {
    "g": ("80%", "need attention", ["x"]),
    "G": ("90%", "Agents ", ["q"]),
    "m": ("80%", "Agent Mail up", ["q"]),
    "b": ("80%", "Detection", ["q"]),
}
BASELINE_KEYS = {"80%": "F9", "90%": "F10"}


def key_to_paint(
    screen: Screen,
    key: str,
    marker: str,
    close: Sequence[str],
    runs: int,
    before_each: tuple[TmuxServer, str] | None = None,
) -> list[float]:
    times = []
    for _ in range(runs):
        screen.shown_at(None, FRAME)
        if before_each is not None:
            before_each[0].run("set", "-gu", before_each[1])  # no frame: the view paints live
        pressed = time.perf_counter()
        screen.keys("C-b", key)
        painted = screen.shown_at(marker)
        times.append((painted - pressed) * 1000)
        time.sleep(0.3)  # the view has taken over (else the close key races its start)
        screen.keys(*close)
        screen.shown_at(None, FRAME)
    return times


def renderer_cpu(snapshot_file: Path, socket: str, runs: int = 3) -> float:
    """CPU ms (user + system) of one `python -m gt_mcp_tmux.ui.frames` for a 140x45 client."""
    env = {**os.environ, "GT_MCP_SNAPSHOT": str(snapshot_file), "TMUX": f"{socket},0,0"}
    spent = []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(
            [sys.executable, "-m", "gt_mcp_tmux.ui.frames", "140x45", "--known", "x"],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        spent.append((after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000)
    return median(spent)


def one_fleet(agents: int, runs: int, tmp: Path) -> dict[str, float]:
    from gt_mcp_tmux.collector.cache import write_snapshot

    snapshot_file = tmp / f"snapshot-{agents}.json"
    write_snapshot(
        dataclasses.replace(fleet(agents), collected_at=time.time() + 3600), snapshot_file
    )
    inner = TmuxServer(f"gtmcp-bench-{uuid.uuid4().hex[:8]}")
    inner.run("-f", "/dev/null", "new-session", "-d", "-s", "main", "-x", "140", "-y", "45")
    screen: Screen | None = None
    figures: dict[str, float] = {}
    try:
        inner.run("set", "-g", "@gtmcp-python", sys.executable)
        inner.run("set-environment", "-g", "GT_MCP_SNAPSHOT", str(snapshot_file))
        inner.load_plugin()
        screen = Screen(inner, width=140, height=45)
        screen.shown_at("[main]")
        # warm the page cache; each view keeps its first screen as its frame
        for key, (_, marker, close) in VIEWS.items():
            key_to_paint(screen, key, marker, close, 2)
        folder = inner.option(FRAMES_OPTION)
        for size, baseline_key in BASELINE_KEYS.items():
            # the baseline: the same run-shell -b -> display-popup path, `cat`ting a screenful
            # of the same size (the frame itself) instead of running the view
            view = "quick" if size == "80%" else "dashboard"
            frame = next(Path(folder).glob(f"{view}-*.ansi"))
            baseline = (
                f"tmux display-popup -c #{{q:client_name}} -E -w {size} -h {size} "
                f"-T ' gastown-mcp ' -- sh -c 'cat {frame}; read -r x'"
            )
            inner.run("bind-key", "-T", "prefix", baseline_key, "run-shell", "-b", baseline)
        # round after round, each view beside its baseline, so the machine's load (shared
        # cores) weighs on all of them alike
        times: dict[str, list[float]] = {}
        for _ in range(runs):
            for key, (size, marker, close) in VIEWS.items():
                base_marker = VIEWS["g" if size == "80%" else "G"][1]
                cat = key_to_paint(screen, BASELINE_KEYS[size], base_marker, ["Enter"], 1)
                framed = key_to_paint(screen, key, marker, close, 1)
                live = key_to_paint(screen, key, marker, close, 1, (inner, FRAMES_OPTION))
                for name, value in (("cat", cat), ("frame", framed), ("live", live)):
                    times.setdefault(f"{key} {name}", []).extend(value)
        figures.update({name: median(values) for name, values in times.items()})
        socket = inner.out("display", "-p", "#{socket_path}")
        figures["renderer cpu"] = renderer_cpu(snapshot_file, socket)
    finally:
        if screen is not None:
            screen.close()
        inner.kill()
    return figures


NAMES = {
    "g": "Prefix+g quick",
    "G": "Prefix+G dashboard",
    "m": "Prefix+m mail",
    "b": "Prefix+b bridge",
}


def main(runs: int = 10) -> dict[str, float]:
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for agents in (10, 200):
            figures = one_fleet(agents, runs, Path(tmp))
            lines: dict[str, str] = {}
            for key in VIEWS:
                base, framed, live = (figures[f"{key} {x}"] for x in ("cat", "frame", "live"))
                ratio = framed / base
                lines[NAMES[key]] = (
                    f"{framed:.0f} ms = {ratio:.1f}x cat ({base:.0f} ms, {VIEWS[key][0]}) "
                    f"{'OK' if ratio <= 2 else 'OVER'} (goal <= 2x); without a frame: "
                    f"{live:.0f} ms = {live / base:.1f}x"
                )
            cpu = figures["renderer cpu"]
            lines["frames renewed (4 views, 1 client)"] = (
                f"{cpu:.0f} ms CPU a run; at most one run every {EVERY:.0f} s while the cache "
                f"changes and a client is attached: <= {cpu / EVERY / 10:.1f}% of a core"
            )
            report(
                f"popup paint, {agents} agents (key press -> first line on screen, real client, "
                f"median of {runs})",
                lines,
            )
            results.update({f"{agents} {name}": value for name, value in figures.items()})
    return results


if __name__ == "__main__":
    main()
