"""Run a child process with a hard time limit; on timeout its whole process group is killed.

Every child runs in a process group of its own, and the groups still running are remembered, so
a process that must stop early (the collector on its way out, a one-off collection out of time)
can end them all with `stop_all_children`: no `gt` outlives its caller.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Finished:
    returncode: int
    stdout: str
    stderr: str


class TimedOut(Exception):
    """The child ran past its limit (or its caller ran out of time) and was killed with its group."""


_running: set[int] = set()
_stopped: set[int] = set()
_lock = threading.Lock()


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


def stop_all_children() -> int:
    """Kill every child group still running (their callers get TimedOut); how many there were."""
    with _lock:
        groups = list(_running)
        _stopped.update(groups)
    for pid in groups:
        _kill_group(pid)
    return len(groups)


def run_bounded(
    argv: list[str],
    timeout: float,
    cwd: str | None = None,
    input_text: str | None = None,
    env: dict[str, str] | None = None,
) -> Finished:
    """Run `argv` (never a shell string) and return its output; raise TimedOut or OSError."""
    proc = subprocess.Popen(
        argv,
        cwd=cwd,
        env=env,
        stdin=subprocess.PIPE if input_text is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    with _lock:
        _running.add(proc.pid)
    name = os.path.basename(argv[0])
    try:
        data = input_text.encode() if input_text is not None else None
        out, err = proc.communicate(data, timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc.pid)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.communicate(timeout=2)
        raise TimedOut(f"{name} took over {timeout:g}s") from None
    finally:
        with _lock:
            _running.discard(proc.pid)
            stopped = proc.pid in _stopped
            _stopped.discard(proc.pid)
    if stopped:
        raise TimedOut(f"{name} was stopped: out of time")
    return Finished(proc.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"))
