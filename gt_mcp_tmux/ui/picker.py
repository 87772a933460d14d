"""A small type-to-filter list in the terminal: jump to an agent, pick a bead, pick a target.

Type to filter (every word must appear), Up/Down (or Ctrl-P/Ctrl-N) to move, Enter to choose,
Esc to cancel. Labels are rich `Text` built from untrusted data with `render.literal`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from gt_mcp_tmux.render.choices import Choice
from gt_mcp_tmux.render.literal import literal
from gt_mcp_tmux.ui.keys import KeyReader

T = TypeVar("T")


def filter_choices(choices: Sequence[Choice[T]], query: str) -> list[Choice[T]]:
    """The choices whose search text holds every word of `query` (case-insensitive), in order."""
    words = query.casefold().split()
    return [c for c in choices if all(word in c.search.casefold() for word in words)]


@dataclass
class PickerState(Generic[T]):
    """What the picker shows: the query, the filtered list and the highlighted row."""

    choices: Sequence[Choice[T]]
    query: str = ""
    index: int = 0

    @property
    def shown(self) -> list[Choice[T]]:
        return filter_choices(self.choices, self.query)

    def press(self, key: str) -> str | None:
        """Apply one key; returns `choose` or `cancel` when the picker should end."""
        if key in ("enter",):
            return "choose" if self.shown else None
        if key in ("esc", "\x03", "\x07"):
            return "cancel"
        if key in ("up", "\x10"):
            self.index = max(self.index - 1, 0)
        elif key in ("down", "\x0e", "tab"):
            self.index = min(self.index + 1, max(len(self.shown) - 1, 0))
        elif key == "backspace":
            self.query = self.query[:-1]
            self.index = 0
        elif key == "\x15":  # Ctrl-U clears the filter
            self.query, self.index = "", 0
        elif len(key) == 1 and key.isprintable():
            self.query += key
            self.index = 0
        return None

    @property
    def selected(self) -> Choice[T] | None:
        shown = self.shown
        return shown[min(self.index, len(shown) - 1)] if shown else None


def render_picker(
    state: PickerState[T],
    title: str,
    height: int,
    note: str = "",
    preview: list[str] | None = None,
) -> RenderableType:
    """The picker; `preview`: lines shown under the list (the highlighted agent's pane)."""
    shown = state.shown
    preview_rows = min(len(preview), max(height // 2 - 1, 0)) if preview else 0
    rows = max(height - 4 - (preview_rows + 1 if preview_rows else 0), 3)
    start = min(max(state.index - rows // 2, 0), max(len(shown) - rows, 0))
    table = Table.grid(expand=True)
    table.add_column(no_wrap=True, overflow="ellipsis")
    for offset, choice in enumerate(shown[start : start + rows]):
        pointer = "›" if start + offset == state.index else " "
        line = Text(f"{pointer} ", style="bold cyan")
        line.append_text(choice.label)
        if start + offset == state.index:
            line.stylize("reverse")
        table.add_row(line)
    prompt = Text(f"{title}  ", style="bold")
    prompt.append("› ", style="cyan")
    prompt.append(state.query)
    prompt.append("▏", style="blink")
    footer = Text(
        f"{len(shown)}/{len(state.choices)}  type to filter · ↑↓ move · Enter choose · Esc cancel",
        style="dim",
    )
    parts: list[RenderableType] = [
        prompt,
        table if shown else Text("  nothing matches", style="dim"),
        footer,
    ]
    if note:
        parts.append(Text(note, style="yellow"))
    if preview_rows and preview:
        parts.append(Text("─ its pane ─", style="dim"))
        parts += [literal("  " + line, "dim") for line in preview[-preview_rows:]]
    return Group(*parts)


def pick(
    choices: Sequence[Choice[T]],
    title: str,
    console: Console | None = None,
    preview: Callable[[T], list[str]] | None = None,
) -> T | None:
    """Show the picker on the terminal until Enter (the value) or Esc (None). `preview`: the
    lines to show for the highlighted choice (asked again every second while it stays)."""
    console = console or Console(highlight=False)
    state: PickerState[T] = PickerState(choices)
    with KeyReader() as keys, console.screen() as screen:
        while True:
            selected = state.selected
            lines = preview(selected.value) if preview and selected is not None else None
            screen.update(render_picker(state, title, console.size.height, preview=lines))
            key = keys.read(1.0 if preview else None)
            if key is None or key == "resize":
                continue
            outcome = state.press(key)
            if outcome == "cancel":
                return None
            if outcome == "choose" and state.selected is not None:
                return state.selected.value
