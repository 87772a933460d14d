"""Small timing helpers shared by the benchmarks."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

GT_MCP = str(Path(sys.executable).parent / "gt-mcp")


def time_command(argv: Sequence[str], runs: int, env: dict[str, str] | None = None) -> list[float]:
    """Wall times in ms of `runs` runs of a command (its output discarded)."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(
            argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=False
        )
        times.append((time.perf_counter() - started) * 1000)
    return times


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def verdict(value: float, goal: float, unit: str) -> str:
    """`OK`, or by how much the goal is missed."""
    if value <= goal:
        return "OK"
    return f"OVER by {value - goal:.2f}{unit} ({value / goal:.1f}x the goal)"


def report(name: str, figures: dict[str, str]) -> None:
    print(f"\n== {name}")
    width = max(len(key) for key in figures)
    for key, value in figures.items():
        print(f"  {key:<{width}}  {value}")
