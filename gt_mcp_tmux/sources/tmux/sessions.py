"""The sessions on a tmux server: the user's (one `list-sessions`), or Gas Town's with each
session's `GT_ROLE` (through the collector's own reader of that server)."""

from __future__ import annotations

import os

from gt_mcp_tmux.model import ServerSessions, TmuxSession
from gt_mcp_tmux.private_files import current_server_socket
from gt_mcp_tmux.sources.gastown.tmux_server import GtTmuxServer
from gt_mcp_tmux.sources.tmux.runner import CLIENTS_ARGS, SEP, looking_clients, run_tmux

FIELDS = (
    "session_id",
    "session_name",
    "session_windows",
    "session_attached",
    "session_created",
    "session_activity",
)


def user_server() -> list[str]:
    """tmux arguments for the user's own server: the one we run under, else the default one."""
    return ["-S", current_server_socket()]


def _tmux(server: list[str], args: list[str], timeout: float) -> str | None:
    done = run_tmux([*server, *args], timeout=timeout)
    return done.stdout if done is not None and done.returncode == 0 else None


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return 0.0


def list_sessions(server: list[str], timeout: float = 1.0) -> ServerSessions:
    """The user's server's sessions (Gas Town's: `gastown_sessions`, with their roles)."""
    label = os.path.basename(server[1]) if len(server) > 1 else None
    fmt = SEP.join("#{" + name + "}" for name in FIELDS)
    out = _tmux(server, ["list-sessions", "-F", fmt, *CLIENTS_ARGS], timeout)
    if out is None:
        return ServerSessions(label, False)
    looking = looking_clients(out)  # the collector's watching control client is nobody
    rows = [line.split(SEP) for line in out.splitlines() if line.count(SEP) == len(FIELDS) - 1]
    sessions = [
        TmuxSession(
            name=name,
            windows=int(_number(windows)),
            attached=looking.get(name, 0) if looking is not None else int(_number(attached)),
            created=_number(created),
            activity=_number(activity),
        )
        for _sid, name, windows, attached, created, activity in rows
    ]
    return ServerSessions(label, True, sorted(sessions, key=lambda s: s.name))


def gastown_sessions(
    socket: str, kept_env: tuple[str, ...] = ("GT_", "BD_ACTOR")
) -> ServerSessions:
    """Gas Town's (or Gas City's: `kept_env` `GC_`) server's sessions with each one's role:
    read by the same reader the collector uses (one `list-panes`, one batched environment
    call)."""
    view = GtTmuxServer(socket, kept_env=kept_env).look()
    if not view.running or view.error is not None:
        return ServerSessions(socket, False)
    return ServerSessions(
        socket, True, sorted((s.record() for s in view.sessions), key=lambda s: s.name)
    )
