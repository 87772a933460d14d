"""Host health: load, CPU, memory, and what the agents' processes cost, busiest session first."""

from __future__ import annotations

from rich.console import Console, ConsoleOptions, RenderResult
from rich.table import Table
from rich.text import Text

from gt_mcp_tmux.model import HostHealth
from gt_mcp_tmux.render.fit import rows_that_fit
from gt_mcp_tmux.render.literal import literal


def size(count: int) -> str:
    """Bytes as `512K`, `350M`, `1.2G`."""
    value = float(count)
    for unit in ("B", "K", "M", "G"):
        if value < 1024 or unit == "G":
            return f"{value:.1f}{unit}" if unit == "G" else f"{value:.0f}{unit}"
        value /= 1024
    return f"{value:.1f}G"


def _level(percent: float) -> str:
    return "bold red" if percent >= 90 else "yellow" if percent >= 75 else ""


class HostTable:
    """Renderable: two summary lines, then the agents' sessions by CPU."""

    def __init__(self, health: HostHealth | None) -> None:
        self.health = health

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        health = self.health
        if health is None:
            yield Text("measuring…", style="dim")
            return
        line = Text(no_wrap=True, overflow="ellipsis")
        if health.load is not None:
            one, five, fifteen = health.load
            line.append(
                f"load {one:.2f} {five:.2f} {fifteen:.2f}", style=_level(100 * one / health.cpus)
            )
            line.append(f" ({health.cpus} cpu)  ", style="dim")
        line.append(f"cpu {health.cpu_percent:.0f}%  ", style=_level(health.cpu_percent))
        line.append(
            f"mem {size(health.mem_used)}/{size(health.mem_total)} {health.mem_percent:.0f}%",
            style=_level(health.mem_percent),
        )
        if health.swap_percent >= 1:
            line.append(f"  swap {health.swap_percent:.0f}%", style=_level(health.swap_percent))
        yield line
        agents = Text(no_wrap=True, overflow="ellipsis")
        agents.append("agents ", style="bold")
        if health.panes_error and not health.sessions:
            agents.append_text(literal(health.panes_error, "dim"))
            yield agents
            return
        agents.append(
            f"{health.agent_processes} processes  cpu {health.agent_cpu_percent:.0f}%  "
            f"mem {size(health.agent_rss_bytes)}"
        )
        yield agents
        room = rows_that_fit(
            len(health.sessions), options.height, reserved=3, more_line=False, minimum=0
        )
        if not room:
            return
        table = Table(box=None, padding=(0, 1, 0, 0), expand=True)
        table.add_column("session", ratio=1, min_width=8, no_wrap=True, overflow="ellipsis")
        table.add_column("procs", width=5, justify="right", no_wrap=True)
        table.add_column("cpu", width=5, justify="right", no_wrap=True)
        table.add_column("mem", width=6, justify="right", no_wrap=True)
        for load in health.sessions[:room]:
            table.add_row(
                literal(load.session),
                Text(str(load.processes)),
                Text(f"{load.cpu_percent:.0f}%", style=_level(load.cpu_percent)),
                Text(size(load.rss_bytes)),
            )
        yield table
