"""Printing for commands: JSON the same way everywhere, rich consoles, one-line errors."""

from __future__ import annotations

import json
import re
import sys
import unicodedata
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console


def print_json(record: Any) -> None:
    from gt_mcp_tmux.model import to_json  # here: a one-line error needs no model

    sys.stdout.write(json.dumps(to_json(record), indent=2, ensure_ascii=False) + "\n")


def error_line(message: str) -> None:
    """One line on stderr, prefixed, newlines folded: what every failure looks like."""
    sys.stderr.write("gt-mcp: " + " ".join(message.split()) + "\n")


def console(width: int | None = None) -> Console:
    from rich.console import Console

    return Console(width=width, highlight=False, emoji=False)


_STYLE_RE = re.compile(r"#\[[^\]]*\]")


def shown_width(expanded: str) -> int:
    """Columns a tmux status string takes once drawn: styles take none, `##` is one `#`, wide
    characters (most emoji) two."""
    text = _STYLE_RE.sub("", expanded).replace("##", "#")
    return sum(
        2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text if ch.isprintable()
    )
