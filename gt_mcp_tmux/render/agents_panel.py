"""Gas Town agents, most urgent first: status, role, address, hooked work, unread mail.

The table fits whatever height it is given (a popup, a dashboard region): rows that do not fit
are counted in a last line instead of being cut off silently.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console, ConsoleOptions, RenderResult
from rich.table import Table
from rich.text import Text

from gt_mcp_tmux.model import ATTENTION_STATUSES, Agent, Snapshot
from gt_mcp_tmux.render.ages import span
from gt_mcp_tmux.render.fit import rows_that_fit
from gt_mcp_tmux.render.icons import plain_glyphs, role_icon, status_glyph, status_rank
from gt_mcp_tmux.render.literal import joined, literal


def by_attention(agents: Sequence[Agent]) -> list[Agent]:
    """Stuck, dead, stalled first; then working, idle, stopped; more unread mail first; by address."""
    return sorted(agents, key=lambda a: (status_rank(a.status), -a.unread_mail, a.address))


def needs_attention(agent: Agent) -> bool:
    return agent.status in ATTENTION_STATUSES


def agent_label(agent: Agent) -> str:
    """What names an agent to a person: its address without the trailing `/` (`mayor`, `gastown/nux`)."""
    return agent.address.rstrip("/") or agent.name


def work_text(agent: Agent) -> Text:
    """The hooked bead and its title, else gt's own state word (awaiting-gate, paused, ...)."""
    if agent.hook_bead or agent.work_title:
        return joined((agent.hook_bead, "dim"), (agent.work_title, ""))
    return literal(agent.state or "", "dim")


def visible_window(total: int, room: int, selected: int | None) -> tuple[int, int]:
    """(start, stop) of the rows to show in `room` lines, keeping `selected` in view."""
    if total <= room:
        return 0, total
    start = 0
    if selected is not None and selected >= room:
        start = min(selected - room + 1, total - room)
    return start, start + room


class AgentsTable:
    """Renderable: the agents table. `selected` is an index into the attention-sorted list."""

    def __init__(
        self,
        agents: Sequence[Agent],
        now: float,
        *,
        selected: int | None = None,
        max_rows: int | None = None,
        city: frozenset[str] = frozenset(),
    ) -> None:
        """`city`: addresses of a city's agents listed with a town's (they get a `▦ ` mark: a
        town's `mayor/` and a city's `mayor` both read `mayor`)."""
        self.city = city
        self.agents = by_attention(agents)
        self.now = now
        self.selected = selected
        self.max_rows = max_rows

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if not self.agents:
            yield Text("no agents known yet", style="dim")
            return
        ascii_only = plain_glyphs(console, options)
        width = options.max_width
        room = rows_that_fit(len(self.agents), options.height, max_rows=self.max_rows, reserved=1)
        start, stop = visible_window(len(self.agents), room, self.selected)

        table = Table(box=None, padding=(0, 1, 0, 0), expand=True, show_edge=False)
        table.add_column(width=1, no_wrap=True)
        table.add_column(width=1 if ascii_only else 2, no_wrap=True)
        table.add_column("agent", ratio=2, min_width=8, no_wrap=True, overflow="ellipsis")
        table.add_column("status", width=7, no_wrap=True)
        table.add_column("work", ratio=3, min_width=6, no_wrap=True, overflow="ellipsis")
        show_age = width >= 80
        if show_age:
            table.add_column("seen", width=4, justify="right", no_wrap=True)
        table.add_column("✉" if not ascii_only else "@", width=3, justify="right", no_wrap=True)
        for index in range(start, stop):
            agent = self.agents[index]
            glyph, style = status_glyph(agent.status, ascii_only)
            cells: list[Text] = [
                Text(glyph, style=style),
                Text(role_icon(agent.role, ascii_only)),
                literal(
                    ("▦ " if agent.address in self.city else "") + agent_label(agent),
                    "bold" if needs_attention(agent) else "",
                ),
                Text(agent.status, style=style),
                work_text(agent),
            ]
            if show_age:
                seen = span(self.now - agent.last_activity) if agent.last_activity else ""
                cells.append(Text(seen, style="dim"))
            cells.append(Text(str(agent.unread_mail) if agent.unread_mail else "", style="yellow"))
            table.add_row(*cells, style="reverse" if index == self.selected else None)
        yield table
        hidden = len(self.agents) - (stop - start)
        if hidden:
            shown = self.agents[start:stop]
            urgent = sum(1 for a in self.agents if needs_attention(a)) - sum(
                1 for a in shown if needs_attention(a)
            )
            more = f"… {hidden} more" + (f" ({urgent} need attention)" if urgent else "")
            yield Text(more, style="bold yellow" if urgent else "dim", no_wrap=True)


def all_agents(snapshot: Snapshot) -> list[Agent]:
    """The town's agents and the city's, as one list (the dashboard shows them together)."""
    return [*snapshot.gastown.agents, *snapshot.gascity.agents]
