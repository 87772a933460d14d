"""Convoys (batches of tracked beads) with progress bars; open ones first, closed ones dimmed."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console, ConsoleOptions, RenderResult
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from gt_mcp_tmux.model import Convoy
from gt_mcp_tmux.render.fit import rows_that_fit
from gt_mcp_tmux.render.icons import plain_glyphs
from gt_mcp_tmux.render.literal import literal


def by_progress(convoys: Sequence[Convoy]) -> list[Convoy]:
    """Open convoys first, the least finished first; closed ones last."""

    def key(convoy: Convoy) -> tuple[bool, float, str]:
        done = convoy.completed / convoy.total if convoy.total else 0.0
        return convoy.status == "closed", done, convoy.id

    return sorted(convoys, key=key)


def active(convoys: Sequence[Convoy]) -> list[Convoy]:
    return [c for c in convoys if c.status != "closed"]


def ascii_bar(done: int, total: int, width: int) -> Text:
    """`[#####.....]` for terminals without line-drawing glyphs."""
    filled = round(width * done / total) if total else 0
    return Text("#" * filled + "." * (width - filled), style="cyan", no_wrap=True)


class ConvoysTable:
    """Renderable: one line per convoy, `title  ━━━━━━╸   3/5  open`."""

    def __init__(self, convoys: Sequence[Convoy], *, max_rows: int | None = None) -> None:
        self.convoys = by_progress(convoys)
        self.max_rows = max_rows

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if not self.convoys:
            yield Text("no convoys", style="dim")
            return
        room = rows_that_fit(len(self.convoys), options.height, max_rows=self.max_rows)
        width = options.max_width
        bar_width = 20 if width >= 80 else 10
        table = Table(box=None, padding=(0, 1, 0, 0), expand=True, show_header=False)
        table.add_column(ratio=1, min_width=8, no_wrap=True, overflow="ellipsis")
        table.add_column(width=bar_width, no_wrap=True)
        table.add_column(width=7, justify="right", no_wrap=True)
        if width >= 60:
            table.add_column(width=8, no_wrap=True, overflow="ellipsis")
        plain = plain_glyphs(console, options)
        for convoy in self.convoys[:room]:
            closed = convoy.status == "closed"
            bar: Text | ProgressBar = (
                ascii_bar(convoy.completed, convoy.total, bar_width)
                if plain
                else ProgressBar(
                    total=max(convoy.total, 1),
                    completed=convoy.completed if convoy.total else 0,
                    width=bar_width,
                    complete_style="cyan",
                    finished_style="green",
                )
            )
            cells = [
                literal(convoy.title or convoy.id, "dim" if closed else ""),
                bar,
                Text(
                    f"{convoy.completed}/{convoy.total}" if convoy.total else "",
                    style="dim" if closed else "bold",
                ),
            ]
            if width >= 60:
                cells.append(literal(convoy.status, "dim"))
            table.add_row(*cells)
        yield table
        hidden = len(self.convoys) - room
        if hidden:
            yield Text(f"… {hidden} more", style="dim", no_wrap=True)
