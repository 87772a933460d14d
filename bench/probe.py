"""The collector as `gt-mcp collector run` starts it, with its processes and tmux calls counted.

`python -m bench.probe SOCKET COUNTS_FILE`: an audit hook counts every program the collector
starts (each one a fork: `tmux`, `gt`, ...), and the control clients' own counts are added: tmux
processes started for them and command lines they answered. The counts are written to
COUNTS_FILE as JSON once a second, with the pushes and the collection cycles, for the benchmark to read at both ends of its window.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections import Counter

from gt_mcp_tmux.collector import push
from gt_mcp_tmux.sources.tmux import control

programs: Counter[str] = Counter()
pushes = [0]
cycles = [0]


def _hook(event: str, args: tuple[object, ...]) -> None:
    if event == "subprocess.Popen":
        argv = args[1]
        first = argv[0] if isinstance(argv, (list, tuple)) and argv else argv
        programs[os.path.basename(str(first))] += 1
    elif event in ("os.fork", "os.posix_spawn", "os.exec"):
        programs[event] += 1


def _count_pushes() -> None:
    real = push.OptionPusher.push

    def counted(self: push.OptionPusher, options: dict[str, str], force: bool = False) -> bool:
        before = self.pushes
        done = real(self, options, force)
        pushes[0] += self.pushes - before
        return done

    push.OptionPusher.push = counted  # type: ignore[assignment,method-assign]


def _count_cycles() -> None:
    from gt_mcp_tmux.collector import loop

    real = loop.Collector.cycle

    def counted(self: loop.Collector) -> None:
        cycles[0] += 1
        real(self)

    loop.Collector.cycle = counted  # type: ignore[method-assign]


def _write(path: str) -> None:
    while True:
        connects, lines = control.counts()
        data = {
            "programs": dict(programs),
            "control_connects": connects,
            "control_lines": lines,
            "pushes": pushes[0],
            "cycles": cycles[0],
        }
        tmp = path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(data, fh)
        os.replace(tmp, path)
        _dump_memory()
        time.sleep(1)


def _dump_memory() -> None:
    """With PYTHONTRACEMALLOC=1 and BENCH_MEMORY=FILE: where the memory is, by line."""
    target = os.environ.get("BENCH_MEMORY")
    if not target:
        return
    import tracemalloc

    if not tracemalloc.is_tracing():
        return
    stats = tracemalloc.take_snapshot().statistics("lineno")
    total = sum(stat.size for stat in stats)
    lines = [f"total {total / 2**20:.1f} MB"] + [str(stat) for stat in stats[:40]]
    with open(target, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")


def main() -> int:
    socket, counts_file = sys.argv[1], sys.argv[2]
    sys.addaudithook(_hook)
    _count_pushes()
    _count_cycles()
    threading.Thread(target=_write, args=(counts_file,), daemon=True).start()
    from gt_mcp_tmux.collector.loop import run_collector

    return run_collector(socket)


if __name__ == "__main__":
    sys.exit(main())
