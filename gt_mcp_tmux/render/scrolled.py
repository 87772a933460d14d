"""A window onto a renderable taller than the screen: the popups' scrolling, with a footer line."""

from __future__ import annotations

from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.segment import Segment
from rich.text import Text


class Scrolled:
    """Renders `renderable` at full length and shows `height - 1` lines from `offset`, then
    `footer`. After rendering, `offset` is clamped and `max_offset` says how far it can go."""

    def __init__(self, renderable: RenderableType, offset: int, footer: Text) -> None:
        self.renderable = renderable
        self.offset = offset
        self.footer = footer
        self.max_offset = 0

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        height = options.height or console.height
        room = max(height - 1, 1)
        lines = console.render_lines(self.renderable, options.update(height=None), pad=True)
        self.max_offset = max(len(lines) - room, 0)
        self.offset = min(max(self.offset, 0), self.max_offset)
        shown = lines[self.offset : self.offset + room]
        for line in shown:
            yield from line
            yield Segment.line()
        for _ in range(room - len(shown)):
            yield Segment.line()
        footer = self.footer.copy()
        footer.no_wrap, footer.overflow = True, "ellipsis"
        if self.max_offset:
            footer.append(
                f"  lines {self.offset + 1}-{self.offset + len(shown)} of {len(lines)}", style="dim"
            )
        yield footer
