"""The activity feed: the newest lines of the town's `.events.jsonl`, newest first."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console, ConsoleOptions, RenderResult
from rich.table import Table
from rich.text import Text

from gt_mcp_tmux.model import Event
from gt_mcp_tmux.render.ages import parse_time, span
from gt_mcp_tmux.render.fit import rows_that_fit
from gt_mcp_tmux.render.literal import joined, literal

BAD_EVENTS = frozenset(
    {"merge_failed", "session_death", "mass_death", "escalation_sent", "scheduler_dispatch_failed"}
)
GOOD_EVENTS = frozenset({"merged", "done", "patrol_complete", "escalation_closed"})


def event_style(kind: str) -> str:
    if kind in BAD_EVENTS:
        return "bold red"
    if kind in GOOD_EVENTS:
        return "green"
    return "cyan"


def feed_events(events: Sequence[Event]) -> list[Event]:
    """What a feed shows (visibility feed or both), newest first."""
    shown = [e for e in events if e.visibility in ("feed", "both", "")]
    return sorted(shown, key=lambda e: parse_time(e.ts) or 0.0, reverse=True)


class FeedTable:
    """Renderable: `4m  merged  gastown/refinery  gt-abc12 landed`, as many as fit."""

    def __init__(self, events: Sequence[Event], now: float, *, max_rows: int | None = None) -> None:
        self.events = feed_events(events)
        self.now = now
        self.max_rows = max_rows

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if not self.events:
            yield Text("no activity yet", style="dim")
            return
        room = rows_that_fit(
            len(self.events), options.height, max_rows=self.max_rows, more_line=False
        )
        wide = options.max_width >= 70
        table = Table(box=None, padding=(0, 1, 0, 0), expand=True, show_header=False)
        table.add_column(width=4, justify="right", no_wrap=True)
        table.add_column(width=14 if wide else 10, no_wrap=True, overflow="ellipsis")
        table.add_column(ratio=1, min_width=6, no_wrap=True, overflow="ellipsis")
        if wide:
            table.add_column(ratio=2, min_width=6, no_wrap=True, overflow="ellipsis")
        for event in self.events[:room]:
            moment = parse_time(event.ts)
            cells = [
                Text(span(self.now - moment) if moment else "?", style="dim"),
                literal(event.type, event_style(event.type)),
            ]
            if wide:
                cells += [literal(event.actor), literal(event.summary, "dim")]
            else:
                cells.append(joined((event.actor, ""), (event.summary, "dim")))
            table.add_row(*cells)
        yield table
