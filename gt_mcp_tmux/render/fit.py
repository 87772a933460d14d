"""How many rows of a list fit the height a panel is given (popups, dashboard regions)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from rich.text import Text

T = TypeVar("T")


def rows_that_fit(
    total: int,
    height: int | None,
    *,
    max_rows: int | None = None,
    reserved: int = 0,
    more_line: bool = True,
    minimum: int = 1,
) -> int:
    """How many of `total` rows to draw: at most `max_rows`, within `height` less `reserved`
    lines (headers, summaries). When some are left out and `more_line`, one line is kept free to
    say how many."""
    room = total if max_rows is None else min(total, max_rows)
    if height is not None:
        room = min(room, max(height - reserved, minimum))
    if more_line and room < total:
        room = max(room - 1, minimum)
    return room


def first(items: Sequence[T], limit: int | None) -> tuple[Sequence[T], int]:
    """The first `limit` items (all with None) and how many are left out."""
    if limit is None or len(items) <= limit:
        return items, 0
    return items[:limit], len(items) - limit


def more_line(hidden: int, what: str, hint: str = "", style: str = "dim") -> Text:
    """`… 1,990 more reservations (gt-mcp status --all)`: what a bounded list left out."""
    line = Text(no_wrap=True, overflow="ellipsis")
    line.append(f"… {hidden:,} more {what}", style=style)
    if hint:
        line.append(f" ({hint})", style="dim")
    return line
