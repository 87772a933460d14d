"""Untrusted text (agent names, bead titles, mail subjects) as rich `Text`, shown exactly as typed.

`Text(value)` already keeps rich markup literal, but it lets escape sequences through to the
terminal; here every control character is dropped (tabs and newlines become one space), so a
title can neither style, move the cursor nor break a table row.
"""

from __future__ import annotations

import unicodedata

from rich.style import Style
from rich.text import Text


def clean(value: object) -> str:
    """`value` as one line of printable text: control, format (bidi) and private characters removed."""
    text = "" if value is None else str(value)
    if text.isprintable():
        return text
    out = []
    for ch in text:
        if ch in "\t\n\r\v\f\x85\u2028\u2029":
            out.append(" ")
        elif ch == "\u200d" or unicodedata.category(ch)[0] != "C":  # keep emoji joiners
            out.append(ch)
    return "".join(out)


def literal(value: object, style: str | Style = "") -> Text:
    """A `Text` showing `value` literally, on one line, cut with `…` when its cell is too narrow."""
    return Text(clean(value), style=style, no_wrap=True, overflow="ellipsis")


def joined(*parts: tuple[object, str | Style], sep: str = " ") -> Text:
    """Several (value, style) pieces on one line, each literal, empty ones left out."""
    out = Text(no_wrap=True, overflow="ellipsis")
    for value, style in parts:
        piece = clean(value)
        if not piece:
            continue
        if out.plain:
            out.append(sep)
        out.append(piece, style=style)
    return out
