"""A window onto a renderable taller than the screen: the popups' scrolling, with a footer line."""

from __future__ import annotations

from collections import deque

from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.segment import Segment
from rich.text import Text

#: An offset past any end: Scrolled renders everything, then clamps it (the End key).
END = 1 << 40


def _parts(renderable: RenderableType) -> list[RenderableType]:
    """A Group's pieces (nested ones too), in order: each is rendered only when scrolled to."""
    if isinstance(renderable, Group):
        return [part for inner in renderable.renderables for part in _parts(inner)]
    return [renderable]


class Scrolled:
    """Shows `height - 1` lines of `renderable` from `offset`, then `footer`. Only what is needed
    for that is rendered (a Group piece by piece, up to the last line shown), and each line once
    per width: a scroll renders only the pieces it reaches, a repaint nothing. After rendering,
    `offset` is clamped and `max_offset` says how far it can go (so far: `complete` says whether
    everything was rendered). Build a new Scrolled for new data."""

    def __init__(self, renderable: RenderableType, offset: int, footer: Text) -> None:
        self.renderable = renderable
        self.offset = offset
        self.footer = footer
        self.max_offset = 0
        self._width: int | None = None
        self._lines: list[list[Segment]] = []
        self._pending: deque[RenderableType] = deque()
        self.rendered_parts = 0  # how many pieces were rendered (the tests count them)

    @property
    def complete(self) -> bool:
        return self._width is not None and not self._pending

    def _render_until(self, console: Console, options: ConsoleOptions, need: int) -> None:
        if self._width != options.max_width:
            self._width, self._lines = options.max_width, []
            self._pending = deque(_parts(self.renderable))
        flowing = options.update(height=None)
        while self._pending and len(self._lines) < need:
            part = self._pending.popleft()
            self._lines.extend(console.render_lines(part, flowing, pad=True))
            self.rendered_parts += 1

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        height = options.height or console.height
        room = max(height - 1, 1)
        # one line past the screen: whether there is more to scroll to is known
        self._render_until(console, options, min(max(self.offset, 0), END) + room + 1)
        lines = self._lines
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
            total = f"{len(lines)}" if self.complete else f"{len(lines)}+"
            footer.append(
                f"  lines {self.offset + 1}-{self.offset + len(shown)} of {total}", style="dim"
            )
        yield footer
