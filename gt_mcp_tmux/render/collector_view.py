"""The collector's state as a small rich table: running, pid, last refresh, each source's age.

A source that never ran (the town's for a city-only user, the city's for a town user, nothing
found yet) is no row: a dim line names them as not used."""

from __future__ import annotations

import time

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from gt_mcp_tmux.model import CollectorStatus
from gt_mcp_tmux.render.ages import ago
from gt_mcp_tmux.render.literal import clean


def collector_table(status: CollectorStatus, now: float | None = None) -> RenderableType:
    now = time.time() if now is None else now
    head = Text()
    if status.running:
        head.append("● collector running", style="green")
        head.append(
            f"  pid {status.pid}  v{status.version}  refreshed {ago(status.last_refresh, now)}"
        )
        if status.cycle_every is not None and status.cycle_every > 1.5:
            head.append(
                f"\ncycles every {status.cycle_every:.0f} s, to stay within collector_cpu"
                " (a big fleet, or a busy machine: set it higher, or 0, for a faster bar)",
                style="dim",
            )
    else:
        head.append("○ collector not running", style="bold red")
        head.append("  start it with `gt-mcp collector start` (inside tmux) or reload tmux")
    if status.last_error:
        head.append("\nlast error: ", style="red")
        head.append(clean(status.last_error))
    ran = [s for s in status.sources if s.last_run is not None or s.last_error]
    unused = [s.name for s in status.sources if s not in ran]
    if not ran and not unused:
        return head
    table = Table(box=None, padding=(0, 1), show_edge=False)
    # the short columns never shrink; the error takes what is left, and folds when it must
    table.add_column("source", no_wrap=True, min_width=16)
    table.add_column("every", justify="right", no_wrap=True, min_width=5)
    table.add_column("last ok", no_wrap=True, min_width=8)
    table.add_column("last error", overflow="fold", ratio=1)
    for source in ran:
        table.add_row(
            Text(clean(source.name)),
            Text(f"{source.interval:g}s"),
            Text(ago(source.last_ok, now)),
            Text(clean(source.last_error or ""), style="red"),
        )
    parts: list[RenderableType] = [head, table] if ran else [head]
    if unused:
        line = Text("not used (never ran): ", style="dim")
        line.append(clean(", ".join(unused)), style="dim")
        parts.append(line)
    return Group(*parts)
