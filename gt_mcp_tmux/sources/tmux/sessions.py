"""The sessions on a tmux server (the user's or Gas Town's), with Gas Town's role from each
session's environment (`GT_ROLE`). Two `tmux` calls at most, each time-bounded."""

from __future__ import annotations

import os

from gt_mcp_tmux.model import ServerSessions, TmuxSession
from gt_mcp_tmux.sources.gastown.town import gastown_socket_path
from gt_mcp_tmux.sources.tmux.runner import SEP, current_server_socket, run_tmux

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


def gastown_server(socket: str) -> list[str]:
    return ["-S", gastown_socket_path(socket)]


def _tmux(server: list[str], args: list[str], timeout: float) -> str | None:
    done = run_tmux([*server, *args], timeout=timeout)
    return done.stdout if done is not None and done.returncode == 0 else None


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return 0.0


def roles(server: list[str], session_ids: list[str], timeout: float = 1.0) -> dict[str, str]:
    """{session id: GT_ROLE} for the sessions that have one, in one tmux call."""
    if not session_ids:
        return {}
    args: list[str] = []
    for sid in session_ids:
        if args:
            args.append(";")
        args += ["show-environment", "-t", sid, ";", "display-message", "-p", f"{SEP}{sid}"]
    out = _tmux(server, args, timeout) or ""
    found: dict[str, str] = {}
    pending: str | None = None
    for line in out.splitlines():
        if line.startswith(SEP):
            if pending is not None:
                found[line[1:]] = pending
            pending = None
        elif line.startswith("GT_ROLE="):
            pending = line.partition("=")[2]
    return found


def list_sessions(
    server: list[str], with_roles: bool = False, timeout: float = 1.0
) -> ServerSessions:
    label = os.path.basename(server[1]) if len(server) > 1 else None
    fmt = SEP.join("#{" + name + "}" for name in FIELDS)
    out = _tmux(server, ["list-sessions", "-F", fmt], timeout)
    if out is None:
        return ServerSessions(label, False)
    rows = [line.split(SEP) for line in out.splitlines() if line.count(SEP) == len(FIELDS) - 1]
    found = roles(server, [row[0] for row in rows], timeout) if with_roles else {}
    sessions = [
        TmuxSession(
            name=name,
            windows=int(_number(windows)),
            attached=int(_number(attached)),
            created=_number(created),
            activity=_number(activity),
            role=found.get(sid),
        )
        for sid, name, windows, attached, created, activity in rows
    ]
    return ServerSessions(label, True, sorted(sessions, key=lambda s: s.name))
