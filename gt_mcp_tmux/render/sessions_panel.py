"""tmux sessions on the user's server and on Gas Town's: name, windows, attached, role, activity."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.table import Table
from rich.text import Text

from gt_mcp_tmux import messages
from gt_mcp_tmux.model import ServerSessions, TmuxSession
from gt_mcp_tmux.render.ages import ago, span
from gt_mcp_tmux.render.literal import literal


def shown_order(sessions: Sequence[TmuxSession]) -> list[TmuxSession]:
    """Attached first, then the most recently active: the order the tables list them in."""
    return sorted(sessions, key=lambda s: (-s.attached, -s.activity, s.name))


def sessions_table(
    sessions: Sequence[TmuxSession],
    now: float,
    *,
    with_role: bool,
    max_rows: int | None = None,
    with_created: bool = False,
) -> Table:
    """A table of sessions in their shown order."""
    ordered = shown_order(sessions)
    if max_rows is not None:
        ordered = ordered[:max_rows]
    table = Table(box=None, padding=(0, 1, 0, 0), expand=True)
    table.add_column("session", ratio=2, min_width=8, no_wrap=True, overflow="ellipsis")
    if with_role:
        table.add_column("role", ratio=1, min_width=6, no_wrap=True, overflow="ellipsis")
    table.add_column("win", width=3, justify="right", no_wrap=True)
    table.add_column("att", width=3, justify="right", no_wrap=True)
    table.add_column("idle", width=4, justify="right", no_wrap=True)
    if with_created:
        table.add_column("created", width=8, justify="right", no_wrap=True)
    for session in ordered:
        cells = [literal(session.name, "bold" if session.attached else "")]
        if with_role:
            cells.append(literal(session.role or "", "dim"))
        cells += [
            Text(str(session.windows)),
            Text(str(session.attached) if session.attached else "", style="green"),
            Text(span(now - session.activity) if session.activity else "", style="dim"),
        ]
        if with_created:
            cells.append(Text(ago(session.created or None, now), style="dim"))
        table.add_row(*cells)
    return table


class SessionsView:
    """Renderable: the user's server's sessions, then Gas Town's, each headed by its server."""

    def __init__(
        self,
        user_sessions: Sequence[TmuxSession] | None,
        user_server: str | None,
        gastown_sessions: Sequence[TmuxSession],
        gastown_socket: str | None,
        gastown_running: bool,
        now: float,
        label: str = "Gas Town",
    ) -> None:
        """`label`: whose server the second one is (`Gas City` for a city user without a town)."""
        self.label = label
        self.user_sessions = user_sessions
        self.user_server = user_server
        self.gastown_sessions = gastown_sessions
        self.gastown_socket = gastown_socket
        self.gastown_running = gastown_running
        self.now = now

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        height = options.height
        user_count = len(self.user_sessions or [])
        # Share the lines: each server gets a heading and a table header.
        user_rows = gas_rows = None
        if height is not None:
            rows = max(height - 4, 2)
            user_rows = max(min(user_count, rows // 3), 1)
            gas_rows = max(rows - user_rows, 1)
        head = Text("your tmux ", style="bold", no_wrap=True, overflow="ellipsis")
        head.append_text(literal(self.user_server or "", "dim"))
        yield head
        if self.user_sessions is None:
            yield Text("no tmux server answered", style="dim")
        else:
            yield sessions_table(self.user_sessions, self.now, with_role=False, max_rows=user_rows)
        head = Text(f"{self.label} ", style="bold", no_wrap=True, overflow="ellipsis")
        head.append_text(literal(self.gastown_socket or "no town found", "dim"))
        yield head
        if self.gastown_socket is None:
            return
        if not self.gastown_running:
            start = messages.START_CITY if self.label == "Gas City" else messages.START_TOWN
            yield Text(f"server not running ({start})", style="yellow")
        elif not self.gastown_sessions:
            yield Text("no sessions", style="dim")
        else:
            yield sessions_table(self.gastown_sessions, self.now, with_role=True, max_rows=gas_rows)


def servers_view(
    user: ServerSessions,
    gastown: ServerSessions,
    now: float,
    gascity: ServerSessions | None = None,
) -> RenderableType:
    """`gt-mcp tmux status`: every server, each with its sessions (and roles on Gas Town's and
    Gas City's)."""
    parts: list[RenderableType] = []
    servers = [("your tmux", user, False), ("Gas Town", gastown, True)]
    if gascity is not None:
        servers.append(("Gas City", gascity, True))
    for title, server, with_role in servers:
        head = Text(f"{title} ", style="bold", no_wrap=True, overflow="ellipsis")
        head.append_text(literal(server.server or "no town found", "dim"))
        if server.server and not server.running:
            head.append("  not running", style="yellow")
        elif server.running:
            count = len(server.sessions)
            head.append(f"  {count} session{'s' if count != 1 else ''}", style="dim")
        parts.append(head)
        if server.sessions:
            parts.append(
                sessions_table(server.sessions, now, with_role=with_role, with_created=True)
            )
    return Group(*parts)
