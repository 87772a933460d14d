"""Go to an agent's tmux session, across servers.

Agents live on Gas Town's own tmux server. From a client of that server we switch the client;
from the user's own server we open a large popup (or a window) running an attach to Gas Town's
socket with TMUX unset; outside tmux we become that attach. Never a session of our own is
created, so nothing is ever named like Gas Town's sessions.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass

from gt_mcp_tmux.model import Agent, Snapshot
from gt_mcp_tmux.render.icons import status_rank
from gt_mcp_tmux.render.status_line import escape_for_message, escape_for_tmux
from gt_mcp_tmux.sources.gastown.town import gastown_socket_path
from gt_mcp_tmux.sources.tmux.runner import popups_supported, run_tmux, tmux_version


@dataclass(frozen=True, slots=True)
class JumpTarget:
    """An agent and the tmux server its session lives on (a town's or a city's)."""

    agent: Agent
    socket: str | None
    orchestrator: str  # gastown | gascity


def jump_targets(snapshot: Snapshot) -> list[JumpTarget]:
    """Every agent of the town and the city, most urgent first (as in every agent list), then
    by address."""
    town, city = snapshot.gastown, snapshot.gascity
    targets = [JumpTarget(a, town.socket, "gastown") for a in town.agents]
    targets += [JumpTarget(a, city.socket, "gascity") for a in city.agents]
    return sorted(targets, key=lambda t: (status_rank(t.agent.status), t.agent.address))


def socket_of(snapshot: Snapshot, agent: Agent) -> str | None:
    """The tmux server the agent's session lives on: the city's for a city agent."""
    if any(agent is a or agent == a for a in snapshot.gascity.agents):
        return snapshot.gascity.socket
    return snapshot.gastown.socket


def session_target(session: str) -> str:
    """An exact-match target for a session name (no prefix or pattern matching)."""
    return f"={session}:"


def attach_argv(socket: str, session: str) -> list[str]:
    return [
        "env",
        "-u",
        "TMUX",
        "tmux",
        "-S",
        gastown_socket_path(socket),
        "attach-session",
        "-t",
        session_target(session),
    ]


def on_server(socket: str) -> bool:
    """Whether we run inside a client of the tmux server with this socket name."""
    tmux_env = os.environ.get("TMUX", "")
    return bool(tmux_env) and os.path.basename(tmux_env.split(",")[0]) == socket


def go_argv(socket: str, session: str, mode: str, client: str | None) -> list[str]:
    """The one command that takes the user to the session, for where they are now."""
    client_args = ["-c", client] if client else []
    if on_server(socket):
        return ["tmux", "switch-client", *client_args, "-t", session_target(session)]
    if not os.environ.get("TMUX"):
        return [
            "tmux",
            "-S",
            gastown_socket_path(socket),
            "attach-session",
            "-t",
            session_target(session),
        ]
    if mode == "window":
        # new-window expands formats in -n: the name is data, so it is escaped like the bar's text
        name = escape_for_tmux(session, 30)
        return ["tmux", "new-window", "-n", name, "--", *attach_argv(socket, session)]
    return [
        "tmux",
        "display-popup",
        *client_args,
        "-E",
        "-w",
        "95%",
        "-h",
        "95%",
        "--",
        *attach_argv(socket, session),
    ]


def session_exists(socket: str, session: str) -> bool:
    done = run_tmux(
        ["-S", gastown_socket_path(socket), "has-session", "-t", session_target(session)]
    )
    return done is not None and done.returncode == 0


def go(
    socket: str,
    session: str,
    mode: str = "popup",
    client: str | None = None,
    after_pid: int | None = None,
) -> int:
    """Take the user there. `after_pid`: we run inside a popup that must close first (one popup
    per client), so the hop is handed to a detached shell that waits for that process to end."""
    argv = go_argv(socket, session, mode, client)
    if after_pid is not None and argv[:2] == ["tmux", "display-popup"]:
        return run_after(after_pid, argv)
    if argv[1] == "-S":  # outside tmux: become the attach
        os.execvp(argv[0], argv)
    return subprocess.run(argv, check=False).returncode


def run_after(pid: int, argv: list[str]) -> int:
    """Run `argv` once process `pid` has ended, from a detached shell (a popup must close before
    the next one opens on the same client)."""
    waiter = 'while kill -0 "$1" 2>/dev/null; do sleep 0.05; done; shift; exec "$@"'
    subprocess.Popen(
        ["sh", "-c", waiter, "sh", str(pid), *argv],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    return 0


def view_argv(args: list[str], client: str | None, size: str) -> list[str]:
    """The tmux command that shows one of our views (`gt-mcp <args> --popup`) to the person: a
    popup on tmux >= 3.2 inside tmux, else a window; outside tmux, the view itself."""
    view = [sys.executable, "-m", "gt_mcp_tmux", *args, "--popup"]
    if not os.environ.get("TMUX"):
        return view
    _, version = tmux_version()
    if not popups_supported(version):
        return ["tmux", "new-window", "-n", "gastown-mcp", "--", *view]
    client_args = ["-c", client] if client else []
    return ["tmux", "display-popup", *client_args, "-E", "-w", size, "-h", size, "--", *view]


def show_view(args: list[str], client: str | None, size: str, after_pid: int | None = None) -> int:
    """Open one of our views for the person (after `after_pid` ends: we run in a popup)."""
    argv = view_argv(args, client, size)
    if argv[0] != "tmux":
        os.execv(argv[0], argv)
    if after_pid is not None:
        return run_after(after_pid, argv)
    return subprocess.run(argv, check=False, stdin=subprocess.DEVNULL).returncode


def tell(message: str, client: str | None) -> None:
    """Say one line to the person: a tmux message on their client inside tmux, else printed."""
    if not os.environ.get("TMUX"):
        print(message)
        return
    client_args = ["-c", client] if client else []
    _, version = tmux_version()
    # long enough to read a whole line (tmux's display-time is 750 ms); -d arrived in 3.2
    delay = ["-d", str(TELL_MS)] if version >= (3, 2) else []
    run_tmux(["display-message", *client_args, *delay, escape_for_message(message, 300)])


#: How long a line said to the person stays on their bar.
TELL_MS = 5000
