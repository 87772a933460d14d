"""Agent Mail at a glance: server state, totals, per-project counts and conflicts (dashboard panel).

`state_line`, `totals_line` and `conflict_lines` are shared with the full mail view and the quick
status, so the server's state reads the same everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console, ConsoleOptions, RenderResult
from rich.table import Table
from rich.text import Text

from gt_mcp_tmux.model import AgentMail, Conflict, MailProject
from gt_mcp_tmux.render.fit import first, more_line, rows_that_fit
from gt_mcp_tmux.render.icons import ascii_text, plain_glyphs
from gt_mcp_tmux.render.literal import joined, literal

STATE_LOOK = {
    "ok": ("up", "green"),
    "down": ("down", "bold red"),
    "auth": ("token refused", "bold red"),
    "error": ("error", "bold yellow"),
    "off": ("off", "dim"),
}


def state_line(mail: AgentMail | None) -> Text:
    """`Agent Mail up  http://127.0.0.1:8765  mcp-agent-mail via http, 3 ms` (or why not)."""
    if mail is None:
        return Text("Agent Mail: no data yet", style="dim")
    word, style = STATE_LOOK.get(mail.state, (mail.state, "yellow"))
    line = Text("Agent Mail ", style="bold")
    line.append(word, style=style)
    line.append("  ")
    line.append_text(literal(mail.url, "dim"))
    details = [d for d in (mail.variant, f"via {mail.via}" if mail.via else None) if d]
    if mail.latency_ms is not None and mail.state == "ok":
        details.append(f"{mail.latency_ms:.0f} ms")
    if details:
        line.append("  ")
        line.append_text(literal(", ".join(details), "dim"))
    if mail.error and mail.state != "ok":
        line.append("  ")
        line.append_text(literal(mail.error, style))
    line.no_wrap, line.overflow = True, "ellipsis"
    return line


def totals_line(mail: AgentMail) -> Text:
    """`✉ 5 unread (2 urgent) · 3 acks pending · 4 reservations · 1 conflict`."""
    line = Text(no_wrap=True, overflow="ellipsis")
    line.append(f"✉ {mail.unread_total} unread", style="bold yellow" if mail.unread_total else "")
    if mail.urgent_unread:
        line.append(f" ({mail.urgent_unread} urgent)", style="bold red")
    if mail.acks_pending:
        line.append(f" · {mail.acks_pending} acks pending", style="yellow")
    if mail.withheld:  # counted only where known: say which, never a made-up 0
        names = {"urgent_unread": "urgent", "acks_pending": "acks"}
        which = "/".join(names.get(key, key) for key in mail.withheld)
        reason = next(iter(mail.withheld.values()))
        line.append(f" · {which}: {reason}", style="dim")
    count = mail.reservations_active
    line.append(f" · {count} reservation{'s' if count != 1 else ''}")
    if mail.conflicts:
        count = len(mail.conflicts)
        line.append(f" · {count} conflict{'s' if count != 1 else ''}", style="bold red")
    return line


def conflict_line(conflict: Conflict, with_project: bool = True) -> Text:
    """`⚔ proj: GreenCastle src/** ⇄ BlueLake src/api.py`, in red."""
    parts: list[tuple[object, str]] = [("⚔", "bold red")]
    if with_project:
        parts.append((f"{conflict.project}:", "red"))
    parts += [
        (conflict.agent_a, "bold red"),
        (conflict.path_a, "red"),
        ("⇄", "red"),
        (conflict.agent_b, "bold red"),
        (conflict.path_b, "red"),
    ]
    return joined(*parts)


def conflict_lines(
    conflicts: Sequence[Conflict],
    with_project: bool = True,
    limit: int | None = None,
    hint: str = "",
) -> list[Text]:
    """A line per conflict; with a `limit`, the first ones and a line saying how many more."""
    shown, hidden = first(conflicts, limit)
    lines = [conflict_line(c, with_project) for c in shown]
    if hidden:
        lines.append(more_line(hidden, "conflicts", hint, style="red"))
    return lines


#: Conflicts listed in the dashboard's panel and the quick status; the mail view has them all.
PANEL_CONFLICTS = 3
MAIL_HINT = "gt-mcp mail"


def project_unread(project: MailProject) -> int:
    return sum(agent.unread for agent in project.agents)


class MailSummary:
    """Renderable: the dashboard's Agent Mail panel."""

    def __init__(self, mail: AgentMail | None) -> None:
        self.mail = mail

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        mail = self.mail
        glyphs = ascii_text if plain_glyphs(console, options) else (lambda line: line)
        yield glyphs(state_line(mail))
        if mail is None or mail.state != "ok":
            return
        yield glyphs(totals_line(mail))
        conflicts = conflict_lines(mail.conflicts, limit=PANEL_CONFLICTS, hint=MAIL_HINT)
        yield from (glyphs(line) for line in conflicts)
        if not mail.projects:
            yield Text("no projects", style="dim")
            return
        table = Table(box=None, padding=(0, 1, 0, 0), expand=True)
        table.add_column("project", ratio=1, min_width=8, no_wrap=True, overflow="ellipsis")
        table.add_column("agents", width=6, justify="right", no_wrap=True)
        table.add_column("unread", width=6, justify="right", no_wrap=True)
        table.add_column("resv", width=4, justify="right", no_wrap=True)
        projects = sorted(mail.projects, key=lambda p: (-project_unread(p), p.slug))
        used = 2 + len(conflicts) + 1  # the lines above and the table header
        room = rows_that_fit(len(projects), options.height, reserved=used, minimum=0)
        for project in projects[:room]:
            unread = project_unread(project)
            table.add_row(
                literal(project.slug),
                Text(str(len(project.agents))),
                Text(str(unread), style="bold yellow" if unread else "dim"),
                Text(str(len(project.reservations)), style="" if project.reservations else "dim"),
            )
        if room:
            yield table
        if room < len(projects):
            yield Text(f"… {len(projects) - room} more projects", style="dim")
