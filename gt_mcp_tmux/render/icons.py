"""Glyphs and styles for agent statuses and roles, with an ASCII set for dumb terminals.

Every status is also spelled out next to its glyph, so nothing depends on colour alone.
"""

from __future__ import annotations

import os

from rich.console import Console, ConsoleOptions, RenderResult
from rich.rule import Rule
from rich.text import Text

#: status -> (glyph, ascii glyph, style)
STATUS_LOOK: dict[str, tuple[str, str, str]] = {
    "stuck": ("▲", "!", "bold red"),
    "dead": ("✖", "x", "bold red"),
    "stalled": ("◆", "~", "bold yellow"),
    "working": ("●", "*", "green"),
    "idle": ("○", "o", "cyan"),
    "stopped": ("·", "-", "dim"),
}
UNKNOWN_STATUS = ("?", "?", "dim")

#: role -> (icon, ascii abbreviation)
ROLE_LOOK: dict[str, tuple[str, str]] = {
    "mayor": ("🎩", "M"),
    "deacon": ("🐺", "D"),
    "witness": ("🦉", "W"),
    "refinery": ("🏭", "R"),
    "polecat": ("😺", "P"),
    "crew": ("👷", "C"),
    "dog": ("🐕", "d"),
    "boot": ("🐾", "b"),
}

#: Agent statuses, most urgent first: the order agents are listed in.
STATUS_ORDER = ("stuck", "dead", "stalled", "working", "idle", "stopped")


def plain_glyphs(console: Console, options: ConsoleOptions | None = None) -> bool:
    """True when the terminal should get ASCII only (TERM=dumb, or no UTF-8 encoding)."""
    dumb = console.is_dumb_terminal or os.environ.get("TERM") == "dumb"
    return dumb or bool(options and options.ascii_only)


class Heading:
    """A section title on a horizontal line (`Agents 10 ───`), drawn with `-` on dumb terminals."""

    def __init__(self, title: Text, style: str = "") -> None:
        self.title = title
        self.style = style

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        characters = "-" if plain_glyphs(console, options) else "─"
        yield Rule(self.title, characters=characters, align="left", style=self.style or "rule.line")


def status_glyph(status: str, ascii_only: bool = False) -> tuple[str, str]:
    """(glyph, style) for an agent status."""
    glyph, plain, style = STATUS_LOOK.get(status, UNKNOWN_STATUS)
    return (plain if ascii_only else glyph), style


def role_icon(role: str, ascii_only: bool = False) -> str:
    icon, plain = ROLE_LOOK.get(role, ("❔", "?"))
    return plain if ascii_only else icon


#: Glyphs of the header and summary lines, and what a dumb terminal gets instead (same length).
ASCII_FOR = str.maketrans(
    {
        "⛽": "#",
        "⚠": "!",
        "✉": "@",
        "⌛": "~",
        "✘": "x",
        "✔": "v",
        "⚔": "X",
        "⇄": "=",
        "⚑": "!",
        "⚿": "R",
        "●": "*",
        "○": "o",
        "·": "-",
    }
)


def ascii_text(text: Text) -> Text:
    """`text` with its glyphs swapped for ASCII, styles kept (each glyph is one character)."""
    plain = text.plain.translate(ASCII_FOR)
    if plain == text.plain:
        return text
    swapped = Text(
        plain,
        style=text.style,
        justify=text.justify,
        overflow=text.overflow,
        no_wrap=text.no_wrap,
        end=text.end,
    )
    for span in text.spans:
        swapped.stylize(span.style, span.start, span.end)
    return swapped


def status_rank(status: str) -> int:
    return STATUS_ORDER.index(status) if status in STATUS_ORDER else len(STATUS_ORDER)
