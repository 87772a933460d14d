"""Plain `tmux` argv calls: cheap enough for the collector's loop, always time-bounded."""

from __future__ import annotations

import os
import re

from gt_mcp_tmux.passthrough import find_program
from gt_mcp_tmux.proc import Finished, TimedOut, run_bounded

#: tmux's field separator for -F formats: a character that never appears in names we care about.
SEP = "\x1f"


def tmux_base(socket: str | None = None) -> list[str]:
    """`tmux -u` or `tmux -u -L <socket>` (-u: UTF-8 even under a bare locale, so names stay intact)."""
    return ["tmux", "-u", "-L", socket] if socket else ["tmux", "-u"]


def run_tmux(args: list[str], socket: str | None = None, timeout: float = 2.0) -> Finished | None:
    """Run one tmux command line; None when tmux is missing or hung."""
    try:
        return run_bounded([*tmux_base(socket), *args], timeout)
    except (OSError, TimedOut):
        return None


def tmux_version() -> tuple[str | None, tuple[int, int]]:
    """(`tmux -V` text, (major, minor)); (None, (0, 0)) when tmux is not installed."""
    if find_program("tmux") is None:
        return None, (0, 0)
    done = run_tmux(["-V"])
    if done is None or done.returncode != 0:
        return None, (0, 0)
    text = done.stdout.strip()
    match = re.search(r"(\d+)\.(\d+)", text)
    return text, ((int(match.group(1)), int(match.group(2))) if match else (0, 0))


def popups_supported(version: tuple[int, int]) -> bool:
    return version >= (3, 2)


def current_server_socket() -> str:
    """The socket path of the tmux server we run under ($TMUX), else the default server's."""
    tmux_env = os.environ.get("TMUX", "")
    if tmux_env:
        return tmux_env.split(",")[0]
    base = os.environ.get("TMUX_TMPDIR") or "/tmp"
    return os.path.join(base, f"tmux-{os.getuid()}", "default")
