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
    "watchdog": "yellow",
}


def alerts_table(alerts: list[Alert], now: float) -> RenderableType:
    if not alerts:
        return Text("✔ nothing needs you", style="green")
    table = Table(box=None, padding=(0, 1), show_edge=False)
    # the kind and the id (what `--ack` takes) are never cut: the message gives way
    table.add_column("kind", no_wrap=True, min_width=max(len(a.kind) for a in alerts))
    table.add_column("since", no_wrap=True, justify="right", min_width=4)
    table.add_column("what", overflow="fold", min_width=10)
    table.add_column(
        "id (for --ack)",
        overflow="fold",
        style="dim",
        min_width=min(max(len(a.id) for a in alerts), 48),
    )
    for alert in alerts:
        table.add_row(
            Text(alert.kind, style=KIND_STYLE.get(alert.kind, "")),
            Text(ago(alert.since, now)),
            literal(alert.message),
            literal(alert.id),
        )
    return table
