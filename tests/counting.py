"""Counting what this test process does, through Python's audit hooks: the /proc files it opens
(psutil reads them with `open`) and the programs it starts (every `subprocess.Popen`).

Audit hooks cannot be removed: the one hook is installed on first use and counts only inside a
`counting()` block.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class Counts:
    proc_opens: int = 0
    execs: list[list[str]] = field(default_factory=list)  # each program's argv

    def tmux_calls(self) -> list[list[str]]:
        return [argv for argv in self.execs if argv and os.path.basename(argv[0]) == "tmux"]


_active: list[Counts] = []


def _hook(event: str, args: tuple[object, ...]) -> None:
    if not _active:
        return
    if event == "open" and str(args[0]).startswith("/proc/"):
        _active[-1].proc_opens += 1
    elif event == "subprocess.Popen":
        argv = args[1]
        if isinstance(argv, (list, tuple)):
            _active[-1].execs.append([str(part) for part in argv])
        else:
            _active[-1].execs.append([str(argv)])


_installed: list[bool] = []


@contextmanager
def counting() -> Iterator[Counts]:
    """What happens inside the block."""
    if not _installed:
        sys.addaudithook(_hook)
        _installed.append(True)
    counts = Counts()
    _active.append(counts)
    try:
        yield counts
    finally:
        _active.remove(counts)
