"""Quick status (Prefix+g, `gt-mcp status`): the town and its services, every agent most urgent
first, and the convoys under way, fitted to the height it is given."""

from __future__ import annotations

from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.text import Text

from gt_mcp_tmux.model import Snapshot
from gt_mcp_tmux.render.agents_panel import AgentsTable, needs_attention
from gt_mcp_tmux.render.convoys_panel import ConvoysTable, active
from gt_mcp_tmux.render.icons import Heading, plain_glyphs
from gt_mcp_tmux.render.literal import literal
from gt_mcp_tmux.render.mail_panel import (
    MAIL_HINT,
    PANEL_CONFLICTS,
    conflict_lines,
    state_line,
    totals_line,
)
from gt_mcp_tmux.render.queue_view import queue_summary, quick_queue_lines
from gt_mcp_tmux.render.town_header import header_lines, keep_the_time, painted_once

#: At most this many convoys in the quick view; the dashboard shows them all.
QUICK_CONVOYS = 5
#: Without a height (`gt-mcp status` printed), at most this many agents per fleet, most urgent
#: first, and a line saying how many more; `bounded=False` (`gt-mcp status --all`): all of them.
QUICK_AGENTS = 50
#: The queue's first items shown above the agents (the queue popup, Prefix+Q, has them all).
QUICK_QUEUE = 3


def services_line(snapshot: Snapshot) -> Text:
    """`Gas Town tmux gt-c78608 up · gt 1.0.1 · bridge linked (3)`: Gas Town's side of the services
    (a Gas City's when only a city is watched)."""
    gas, city = snapshot.gastown, snapshot.gascity
    line = Text(no_wrap=True, overflow="ellipsis")
    if gas.root is None and city.root is not None:
        line = city_services_line(snapshot)
    else:
        _server_part(line, "Gas Town tmux ", gas.socket, gas.server_running)
        if gas.gt_version:
            version = gas.gt_version if gas.gt_version.startswith("gt") else f"gt {gas.gt_version}"
            line.append(" · ")
            line.append_text(literal(version, "dim"))
    bridge = snapshot.bridge
    if bridge is not None:
        line.append(" · bridge ", style="bold")
        style = {"linked": "green", "partial": "yellow"}.get(bridge.state, "dim")
        line.append_text(literal(bridge.state, style))
        if bridge.links:
            line.append(f" ({len(bridge.links)})", style="dim")
    return line


def _server_part(line: Text, label: str, socket: str | None, up: bool) -> None:
    line.append(label, style="bold")
    if socket is None:
        line.append("unknown", style="dim")
        return
    line.append_text(literal(socket, "dim"))
    line.append(" up" if up else " down", style="green" if up else "bold red")


def city_services_line(snapshot: Snapshot) -> Text:
    """`Gas City tmux my-city up · supervisor 127.0.0.1:8372 up · gc 0.15.1`."""
    city = snapshot.gascity
    line = Text(no_wrap=True, overflow="ellipsis")
    _server_part(line, "Gas City tmux ", city.socket, city.server_running)
    line.append(" · supervisor ", style="bold")
    up = city.supervisor_running
    where = (city.api_url or "").removeprefix("http://")
    line.append_text(literal(where, "dim"))
    line.append(" up" if up else " down", style="green" if up else "bold yellow")
    if city.gc_version:
        line.append(" · ")
        line.append_text(literal(f"gc {city.gc_version}", "dim"))
    return line


def mail_lines(snapshot: Snapshot, conflicts: int | None = PANEL_CONFLICTS) -> list[Text]:
    """Agent Mail's state, totals and the first `conflicts` conflicts (None: all of them), so
    that a long list never pushes the header and the agents off the screen."""
    mail = snapshot.agent_mail
    if mail is None or mail.state == "off":
        return []
    lines = [state_line(mail)]
    if mail.state == "ok":
        lines.append(totals_line(mail))
        lines += conflict_lines(mail.conflicts, limit=conflicts, hint=MAIL_HINT)
    return lines


class QuickStatus:
    """Renderable: the quick status; with a height, the agents list shrinks to fit it. Painted
    once (not `live`), its header gives the collection's time, not an age that would freeze."""

    def __init__(
        self,
        snapshot: Snapshot,
        now: float,
        height: int | None = None,
        stale_after: float = 30.0,
        live: bool = False,
        bounded: bool = True,
    ) -> None:
        self.snapshot = snapshot
        self.now = now
        self.height = height
        self.stale_after = stale_after
        self.live = live
        self.bounded = bounded

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        gas, city = self.snapshot.gastown, self.snapshot.gascity
        plain = plain_glyphs(console, options)
        top: list[Text] = header_lines(self.snapshot, self.now, self.stale_after, plain)
        if not self.live:
            top[0] = painted_once(top[0], self.snapshot, self.now)
        top[0] = keep_the_time(top[0], options.max_width)
        top.append(services_line(self.snapshot))
        both = gas.root is not None and city.root is not None
        if both:
            top.append(city_services_line(self.snapshot))
        top += mail_lines(self.snapshot, PANEL_CONFLICTS if self.bounded else None)
        queue = self.snapshot.queue
        if queue.items:
            top.append(queue_summary(queue))
            top += quick_queue_lines(queue, self.now, QUICK_QUEUE if self.bounded else 10_000)
        yield from top
        # the town's agents, the city's, or both (each under its own heading)
        fleets = [("Agents", gas.agents)] if gas.root is not None or city.root is None else []
        if city.root is not None:
            fleets.append(("City agents" if fleets else "Agents", city.agents))
        convoys = active(gas.convoys) + active(city.convoys)
        convoy_rows = min(len(convoys), QUICK_CONVOYS) + (1 if len(convoys) > QUICK_CONVOYS else 0)
        height = self.height or options.height
        agent_rows: int | None = None if height is not None or not self.bounded else QUICK_AGENTS
        if height is not None:
            below = (1 + convoy_rows) if convoys else 0
            # a rule and a table header per fleet
            agent_rows = max(height - len(top) - 2 * len(fleets) - below, 2 * len(fleets))
        for index, (label, agents) in enumerate(fleets):
            rows = agent_rows
            if rows is not None and len(fleets) > 1:
                rows = max(2, rows - sum(min(len(a), rows // 2) for _, a in fleets[:index]))
                rows = rows if index else max(2, min(len(agents), rows // 2))
            attention = sum(1 for agent in agents if needs_attention(agent))
            title = f"{label} {len(agents)}" + (
                f", {attention} need{'s' if attention == 1 else ''} attention" if attention else ""
            )
            yield Heading(Text(title, style="bold red" if attention else "bold"))
            yield AgentsTable(agents, self.now, max_rows=rows)
        if convoys:
            yield Heading(Text(f"Convoys {len(convoys)} open", style="bold"))
            yield ConvoysTable(
                convoys, max_rows=QUICK_CONVOYS + (1 if len(convoys) > QUICK_CONVOYS else 0)
            )


def quick_status(
    snapshot: Snapshot,
    now: float,
    *,
    height: int | None = None,
    stale_after: float = 30.0,
    live: bool = False,
    bounded: bool = True,
) -> RenderableType:
    """The quick status view of `snapshot` as seen at `now` (epoch seconds); `live`: it is
    rebuilt every second (the scrolling view), so its header may say `updated 4s ago`;
    `bounded`: long lists (conflicts, and agents when no height is given) are cut and summed up."""
    return QuickStatus(snapshot, now, height, stale_after, live, bounded)
