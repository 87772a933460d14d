"""The queue as text: a row per item (severity, age, what, where), the selected item's what-to-do,
an agent's pane text (peek), for `gt-mcp queue`, its popup and Prefix+g's "Needs you" lines."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from gt_mcp_tmux.model import Queue, QueueItem
from gt_mcp_tmux.render.ages import span
from gt_mcp_tmux.render.literal import clean, literal

#: Each severity's mark and colour: the mark is a word's first letter, readable without colour.
SEVERITY_MARKS = {
    "critical": ("‼", "bold red"),
    "high": ("!", "bold yellow"),
    "normal": ("•", "yellow"),
    "info": ("i", "dim"),
}
#: Where `next` goes, in a word (the queue's last column).
GO_WORDS = {"agent": "session", "mail": "mail", "bridge": "bridge", "show": ""}
#: The popup's keys, as its footer says them (the list of what needs you, and the snoozed list).
POPUP_KEYS = "Enter go · s snooze 1h · a ack · p peek · n nudge · z snoozed · ↑↓ · q close"
SNOOZED_KEYS = "w wake · Enter go · p peek · n nudge · z back · ↑↓ · q close"


def item_row(item: QueueItem, now: float, selected: bool = False) -> Text:
    """`‼  4m  gastown/nux is dead holding gt-12 (session)`: one line, cut to fit."""
    mark, style = SEVERITY_MARKS.get(item.severity, ("•", ""))
    row = Text(no_wrap=True, overflow="ellipsis")
    row.append("› " if selected else "  ", style="bold cyan")
    row.append(f"{mark} ", style=style)
    row.append(f"{span(now - item.since):>4} ", style="dim")
    row.append_text(literal(item.subject, "bold" if item.severity == "critical" else ""))
    where = GO_WORDS.get(item.go.kind, "")
    if where:
        row.append(f"  ({where})", style="dim")
    if selected:
        row.stylize("reverse")
    return row


def queue_summary(queue: Queue) -> Text:
    """`Needs you 3 · 1 snoozed · 2 acknowledged` (the heading)."""
    count = len(queue.items)
    title = Text(f"Needs you {count}", style="bold red" if count else "bold")
    if queue.snoozed:
        title.append(f" · {len(queue.snoozed)} snoozed", style="dim")
    if queue.acknowledged:
        title.append(f" · {queue.acknowledged} acknowledged", style="dim")
    return title


def quick_queue_lines(queue: Queue, now: float, limit: int) -> list[Text]:
    """Prefix+g's lines: the first `limit` items and how many more (nothing when empty)."""
    if not queue.items:
        return []
    lines = [item_row(item, now) for item in queue.items[:limit]]
    more = len(queue.items) - limit
    if more > 0:
        lines.append(Text(f"  … {more} more: gt-mcp queue (Prefix+Q)", style="dim"))
    return lines


def queue_table(queue: Queue, now: float, *, show_snoozed: bool = True) -> RenderableType:
    """`gt-mcp queue`: every item with its id and what to do, then the snoozed ones."""
    parts: list[RenderableType] = [queue_summary(queue)]
    if not queue.items:
        parts.append(Text("  nothing needs you", style="green"))
    for item in queue.items:
        parts.append(item_row(item, now))
        action = Text("      ", no_wrap=True, overflow="ellipsis")
        action.append_text(literal(item.action, "italic"))
        parts.append(action)
        parts.append(id_line(item.id))
    if show_snoozed and queue.snoozed:
        parts.append(Text("Snoozed", style="bold dim"))
        for snoozed in queue.snoozed:
            row = item_row(snoozed.item, now)
            row.append(f"  for {span(snoozed.until - now)} more", style="dim")
            parts.append(row)
            parts.append(id_line(snoozed.item.id))
    return Group(*parts)


def id_line(item_id: str) -> Text:
    """`      id mail_urgent:…`: whole, folded when wider than the screen (it is what snooze and
    ack take, so it must be copyable)."""
    line = Text("      id ", style="dim", overflow="fold")
    line.append_text(Text(clean(item_id), style="dim"))
    return line


def popup_items(queue: Queue, snoozed: bool) -> list[QueueItem]:
    """The items the popup lists: what needs you, or (`snoozed`) what is snoozed."""
    return [s.item for s in queue.snoozed] if snoozed else queue.items


def queue_popup(
    queue: Queue,
    now: float,
    index: int,
    height: int,
    peek: Sequence[str] | None = None,
    note: str = "",
    snoozed: bool = False,
) -> RenderableType:
    """The queue's popup: the list with a cursor (`snoozed`: the snoozed items, each with how
    long it sleeps), the selected item's what-to-do, and, when asked, its agent's pane."""
    items = popup_items(queue, snoozed)
    peek_rows = min(len(peek), max(height // 2, 3)) if peek else 0
    rows = max(height - 5 - (peek_rows + 1 if peek_rows else 0), 3)
    start = min(max(index - rows // 2, 0), max(len(items) - rows, 0))
    table = Table.grid(expand=True)
    table.add_column(no_wrap=True, overflow="ellipsis")
    for offset, item in enumerate(items[start : start + rows]):
        row = item_row(item, now, selected=start + offset == index)
        if snoozed:
            row.append(f"  for {span(queue.snoozed[start + offset].until - now)} more", style="dim")
        table.add_row(row)
    if snoozed:
        heading = Text(f"Snoozed {len(items)}", style="bold")
        heading.append(f" · needs you {len(queue.items)}", style="dim")
        parts: list[RenderableType] = [heading]
        parts.append(table if items else Text("  nothing is snoozed", style="green"))
    else:
        parts = [queue_summary(queue)]
        parts.append(table if items else Text("  nothing needs you", style="green"))
    if items:
        chosen = items[min(index, len(items) - 1)]
        what = Text("  → ", style="bold cyan", no_wrap=True, overflow="ellipsis")
        what.append_text(literal(chosen.action, "italic"))
        parts.append(what)
    if peek_rows and peek:
        parts.append(Text("  pane:", style="dim"))
        for line in peek[-peek_rows:]:
            parts.append(literal("  " + line, "dim"))
    keys = SNOOZED_KEYS if snoozed else POPUP_KEYS
    parts.append(Text(keys, style="dim", no_wrap=True, overflow="ellipsis"))
    if note:
        parts.append(literal(note, "yellow"))
    return Group(*parts)
