"""`gt-mcp alerts`: what needs the overseer, most urgent first."""

from __future__ import annotations

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from gt_mcp_tmux.model import Alert
from gt_mcp_tmux.render.ages import ago
from gt_mcp_tmux.render.literal import literal

KIND_STYLE = {
    "estop": "bold red",
    "dead": "bold red",
    "stuck": "bold red",
    "session_death": "red",
    "merge_failed": "red",
    "escalation": "yellow",
    "conflict": "red",
    "stalled": "yellow",
    "down": "red",
    "mail": "cyan",
    "convoy_landed": "green",
}


def alerts_table(alerts: list[Alert], now: float) -> RenderableType:
    if not alerts:
        return Text("✔ nothing needs you", style="green")
    table = Table(box=None, padding=(0, 1), show_edge=False)
    table.add_column("kind", no_wrap=True)
    table.add_column("since", no_wrap=True, justify="right")
    table.add_column("what", overflow="ellipsis", no_wrap=True)
    table.add_column("id (for --ack)", overflow="ellipsis", no_wrap=True, style="dim")
    for alert in alerts:
        table.add_row(
            Text(alert.kind, style=KIND_STYLE.get(alert.kind, "")),
            Text(ago(alert.since, now)),
            literal(alert.message),
            literal(alert.id),
        )
    return table
