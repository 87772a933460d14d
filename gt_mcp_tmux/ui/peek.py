"""Peek: the last lines of an agent's pane on its own tmux server, as plain text.

`capture-pane -p` without `-e` gives the cells' characters only (no colours, no escape
sequences); what is left of control, bidi and private-use characters is removed here, so the
text shown is data that can neither style nor move a terminal.
"""

from __future__ import annotations

from gt_mcp_tmux.model import SourceError
from gt_mcp_tmux.render.literal import clean
from gt_mcp_tmux.sources.gastown.town import gastown_socket_path
from gt_mcp_tmux.sources.tmux.runner import run_tmux

#: Lines of history read above the visible screen, so a cleared screen still shows something.
HISTORY = 200


def pane_tail(socket: str, session: str, lines: int = 20) -> list[str] | SourceError:
    """The last `lines` non-blank-ended lines of the active pane of `session` on `socket`."""
    done = run_tmux(
        [
            "-S",
            gastown_socket_path(socket),
            "capture-pane",
            "-p",
            "-J",
            "-t",
            f"={session}:",
            "-S",
            f"-{max(HISTORY, lines)}",
        ]
    )
    if done is None:
        return SourceError("peek", "timeout", f"tmux did not answer for {session}")
    if done.returncode != 0:
        gone = "can't find" in done.stderr or "no server" in done.stderr or not done.stderr.strip()
        why = "its session is gone" if gone else clean(done.stderr.strip().splitlines()[-1])
        return SourceError("peek", "not_found", f"{session}: {why}")
    text = [clean(line).rstrip() for line in done.stdout.splitlines()]
    while text and not text[-1]:
        text.pop()
    return text[-lines:] if lines > 0 else []
