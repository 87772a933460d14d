"""`gt-mcp status --json` from a fresh cache, at 10, 200 and 1,000 agents, beside a bare
`python -c pass` measured in the same run (interleaved, so both see the same load).

Wall time and CPU time (the command's and its children's): on a shared machine the CPU time is
the steadier figure. Goal: within 3x the bare Python.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import GT_MCP, report
from gt_mcp_tmux import __version__

RUNS = 15


def one_run(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall ms, CPU ms) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, env=env, check=True)
    wall = (time.perf_counter() - started) * 1000
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) * 1000
    return wall, cpu


def main() -> dict[str, float]:
    figures: dict[str, str] = {}
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        runtime = Path(tmp) / "run"
        runtime.mkdir(mode=0o700)
        # bytecode as an installed package has it (a bare Python reads its own .pyc files too)
        env = {k: v for k, v in os.environ.items() if k not in ("TMUX", "PYTHONDONTWRITEBYTECODE")}
        env["XDG_RUNTIME_DIR"] = str(runtime)
        env["TMUX_TMPDIR"] = tmp
        for agents in (10, 200, 1000):
            code = (
                "import dataclasses, time\n"
                "from bench.fleet import fleet\n"
                "from gt_mcp_tmux.collector.cache import write_snapshot\n"
                f"write_snapshot(dataclasses.replace(fleet({agents}), version={__version__!r},"
                " collected_at=time.time() + 3600))\n"
            )
            subprocess.run([sys.executable, "-c", code], env=env, check=True)
            bare_runs, ours_runs = [], []
            for _ in range(2):  # warm: .pyc files and the page cache
                one_run([GT_MCP, "status", "--json"], env)
            for _ in range(RUNS):
                bare_runs.append(one_run([sys.executable, "-c", "pass"], env))
                ours_runs.append(one_run([GT_MCP, "status", "--json"], env))
            bare = [statistics.median(r[i] for r in bare_runs) for i in (0, 1)]
            ours = [statistics.median(r[i] for r in ours_runs) for i in (0, 1)]
            ratio = ours[1] / bare[1]
            figures[f"{agents} agents"] = (
                f"{ours[0]:.0f} ms wall, {ours[1]:.0f} ms CPU (a bare python: {bare[0]:.0f} ms, "
                f"{bare[1]:.0f} ms CPU; {ours[0] / bare[0]:.1f}x wall, {ratio:.1f}x CPU; goal <= 3x)"
                f" {'OK' if ratio <= 3 else 'OVER'}"
            )
            results[f"ratio_cpu_{agents}"] = ratio
            results[f"ms_{agents}"] = ours[0]
    report(f"gt-mcp status --json from a fresh cache (median of {RUNS})", figures)
    return results


if __name__ == "__main__":
    main()
