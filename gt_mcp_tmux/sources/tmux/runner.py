"""Plain `tmux` argv calls: cheap enough for the collector's loop, always time-bounded."""

from __future__ import annotations

import re

from gt_mcp_tmux.passthrough import find_program
from gt_mcp_tmux.proc import Finished, TimedOut, run_bounded
from gt_mcp_tmux.sources.tmux.control import run_controlled

#: tmux's field separator for -F formats: a character that never appears in names we care about.
SEP = "\x1f"


#: Asked after a session listing: who is attached where (see `looking_clients`).
_CLIENT_MARK = SEP + "gtmcp-client" + SEP
CLIENTS_ARGS = [
    ";",
    "list-clients",
    "-F",
    _CLIENT_MARK + "#{client_session}" + SEP + "#{client_flags}",
]


def people_only(client_format: str) -> str:
    """A `list-clients -F` format that gives an empty line for a client that sees no output (a
    watching control client, as the collector's own): no message, bell or count for it."""
    return "#{?#{m:*no-output*,#{client_flags}},," + client_format + "}"


def looking_clients(text: str) -> dict[str, int] | None:
    """The clients attached to each session, from `CLIENTS_ARGS`'s lines, leaving out those
    that see no output (a control client watching, as the collector's own, looks at nothing);
    None when the listing is not in `text`."""
    counts: dict[str, int] = {}
    seen = False
    for line in text.split("\n"):
        if not line.startswith(_CLIENT_MARK):
            continue
        seen = True
        session, _, flags = line[len(_CLIENT_MARK) :].partition(SEP)
        if "no-output" not in flags.split(","):
            counts[session] = counts.get(session, 0) + 1
    return counts if seen else None


def tmux_base(socket: str | None = None) -> list[str]:
    """`tmux -u` or `tmux -u -L <socket>` (-u: UTF-8 even under a bare locale, so names stay intact)."""
    return ["tmux", "-u", "-L", socket] if socket else ["tmux", "-u"]


def run_tmux(args: list[str], socket: str | None = None, timeout: float = 2.0) -> Finished | None:
    """Run one tmux command line; None when tmux is missing or hung. On a server the collector
    keeps a control client for (`-S <path>` first), the line goes through it: no fork."""
    if socket is None and len(args) > 2 and args[0] == "-S":
        done = run_controlled(args[1], args[2:], timeout)
        if done is not None:
            return done
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
