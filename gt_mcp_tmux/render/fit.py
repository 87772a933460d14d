"""How many rows of a list fit the height a panel is given (popups, dashboard regions)."""

from __future__ import annotations


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
