"""Run a child process with a hard time limit; on timeout its whole process group is killed."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Finished:
    returncode: int
    stdout: str
    stderr: str


class TimedOut(Exception):
    """The child ran past its limit and was killed with its group."""


def run_bounded(
    argv: list[str], timeout: float, cwd: str | None = None, input_text: str | None = None
) -> Finished:
    """Run `argv` (never a shell string) and return its output; raise TimedOut or OSError."""
    proc = subprocess.Popen(
        argv,
        cwd=cwd,
        stdin=subprocess.PIPE if input_text is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        data = input_text.encode() if input_text is not None else None
        out, err = proc.communicate(data, timeout=timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.communicate(timeout=2)
        raise TimedOut(f"{os.path.basename(argv[0])} took over {timeout:g}s") from None
    return Finished(proc.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"))
