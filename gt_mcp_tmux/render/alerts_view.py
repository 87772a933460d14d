"""`gt-mcp alerts`: what needs the overseer, most urgent first, and whose collector says so."""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from gt_mcp_tmux.model import Alert
from gt_mcp_tmux.render.ages import ago
from gt_mcp_tmux.render.literal import clean, literal

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


@dataclass(frozen=True, slots=True)
class AlertsSource:
    """Where the list comes from: a tmux server's collector (or none), or a saved snapshot."""

    socket: str | None  # the tmux server's socket path; None for a saved snapshot
    inside_tmux: bool = False
    collector_running: bool = False
    collector_pid: int | None = None
    saved: str | None = None  # $GT_MCP_SNAPSHOT
    others: list[str] = field(default_factory=list)  # servers whose collectors run instead


def source_lines(source: AlertsSource) -> list[Text]:
    """`tmux server /tmp/tmux-1000/default · collector 4242`, said so that nobody mistakes the
    default server's collector (outside tmux) for the one of the tmux they use."""
    line = Text(overflow="fold", style="dim")
    if source.saved is not None:
        line.append("saved snapshot ")
        line.append_text(literal(source.saved, "dim"))
        return [line]
    line.append("tmux server " if source.inside_tmux else "outside tmux: the default server ")
    line.append_text(literal(source.socket or "-", "dim"))
    if source.collector_running:
        line.append(f" · collector {source.collector_pid or 'running'}")
    else:
        line.append(" · no collector", style="yellow")
    lines = [line]
    if not source.collector_running and source.others:
        more = Text("collectors run for ", style="dim")
        more.append(clean(", ".join(source.others)))
        more.append(": run gt-mcp alerts inside that tmux")
        lines.append(more)
    return lines


def alerts_table(alerts: list[Alert], now: float) -> RenderableType:
    """Each alert as kind and age, then what it says and `--ack <id>` on a line of its own: the
    id is never cut (folded only when wider than the whole column), and the message wraps."""
    if not alerts:
        return Text("✔ nothing needs you", style="green")
    table = Table(box=None, padding=(0, 1), show_edge=False)
    table.add_column("kind", no_wrap=True, min_width=max(len(a.kind) for a in alerts))
    table.add_column("what · --ack ID", overflow="fold", ratio=1)
    for alert in alerts:
        kind = Text(alert.kind, style=KIND_STYLE.get(alert.kind, ""))
        kind.append("\n" + ago(alert.since, now), style="dim")
        what = Text(clean(alert.message), overflow="fold")
        what.append("\n--ack " + clean(alert.id), style="dim")
        table.add_row(kind, what)
    return table


def alerts_view(alerts: list[Alert], now: float, source: AlertsSource) -> RenderableType:
    return Group(*source_lines(source), alerts_table(alerts, now))
