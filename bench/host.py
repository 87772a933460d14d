"""The dashboard's host sampler at 10 and 200 sessions on a real tmux server.

Each figure stands beside baselines from the same run: the per-pane way it used to work
(`psutil.Process.children(recursive=True)` once per pane, which rebuilds the system's parent map
each time) and one bare `tmux list-panes -a` round trip (the floor: the sampler needs it anyway).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from functools import partial

import psutil

from bench.common import report
from gt_mcp_tmux.sources.host import HostSampler, pane_pids
from tests.harness import TmuxServer

RUNS = 5


class ProcOpens:
    counting = False
    count = 0


def _count(event: str, args: tuple[object, ...]) -> None:
    if ProcOpens.counting and event == "open" and str(args[0]).startswith("/proc/"):
        ProcOpens.count += 1


def per_pane_children(socket: str) -> int:
    """The old refresh: each pane's process tree from psutil's children(), one scan per pane."""
    panes, _ = pane_pids(socket)
    found = 0
    for pid in panes:
        try:
            found += 1 + len(psutil.Process(pid).children(recursive=True))
        except psutil.Error:
            continue
    return found


def measure(action: Callable[[], object]) -> tuple[float, int]:
    """Median ms of `RUNS` runs of `action`, and the /proc files one run opens."""
    times = []
    for _ in range(RUNS):
        ProcOpens.count, ProcOpens.counting = 0, True
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
        ProcOpens.counting = False
    return statistics.median(times), ProcOpens.count


def main() -> dict[str, float]:
    sys.addaudithook(_count)
    figures: dict[str, str] = {}
    results: dict[str, float] = {}
    for sessions in (10, 200):
        server = TmuxServer(f"gtmcp-bench-host-{uuid.uuid4().hex[:8]}")
        batch: list[str] = []
        for n in range(1, sessions):
            batch += [";", "new-session", "-d", "-s", f"gt-polecat-{n:03d}", "cat"]
        server.run("-f", "/dev/null", "new-session", "-d", "-s", "gt-polecat-000", "cat", *batch)
        try:
            sampler = HostSampler(server.socket)
            new_ms, new_reads = measure(sampler._refresh_tree)
            old_ms, old_reads = measure(partial(per_pane_children, server.socket))
            list_panes = ["tmux", "-L", server.socket, "list-panes", "-a"]
            tmux_ms, _ = measure(partial(subprocess.run, list_panes, capture_output=True))
        finally:
            server.kill()
        figures[f"tree refresh, {sessions} panes"] = (
            f"{new_ms:.1f} ms, {new_reads} /proc reads (per-pane children(): {old_ms:.1f} ms, "
            f"{old_reads} reads, {old_ms / new_ms:.1f}x; one list-panes: {tmux_ms:.1f} ms)"
        )
        results[f"refresh_ms_{sessions}"] = new_ms
        results[f"per_pane_ms_{sessions}"] = old_ms
        results[f"proc_reads_{sessions}"] = new_reads
    figures["processes on this machine"] = str(len(psutil.pids()))
    report("host sampler (dashboard, one refresh every 5 s; real tmux server)", figures)
    return results


if __name__ == "__main__":
    main()
