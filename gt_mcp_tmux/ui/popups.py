"""What runs inside the popups: a static view that closes on any key (quick status), and
scrolling views that refresh from the cache until q or Esc (Agent Mail, bridge)."""

from __future__ import annotations

import time
from collections.abc import Callable

from rich.console import Console, RenderableType
from rich.live import Live
from rich.text import Text

from gt_mcp_tmux.render.scrolled import Scrolled
from gt_mcp_tmux.ui.keys import KeyReader

CLOSE_KEYS = frozenset({"q", "Q", "esc"})
SCROLL = {"up": -1, "down": 1, "k": -1, "j": 1}
PAGE = {"pgup": -1, "pgdn": 1, " ": 1}


#: Keys that turn a static view into a scrolling one (any other key closes it).
SCROLL_START = frozenset({"up", "down", "pgup", "pgdn", "end"})


def show_until_key(console: Console, renderable: RenderableType, footer: Text) -> str | None:
    """Print `renderable` and `footer` (no newline after it, so nothing scrolls), wait for a key;
    the key pressed."""
    with KeyReader() as keys:
        console.print(renderable)
        console.print(footer, end="")
        key = keys.read(None)
        while key == "resize":
            key = keys.read(None)
        return key


def run_scrolling(
    console: Console,
    build: Callable[[], RenderableType],
    refresh_every: float = 1.0,
    hint: str = "q close · ↑↓ PgUp PgDn scroll · r refresh",
) -> None:
    """Show `build()` full-screen, rebuilt every `refresh_every` s and on `r`; q/Esc closes."""
    offset = 0
    with KeyReader() as keys, Live(console=console, screen=True, auto_refresh=False) as live:
        next_build = 0.0
        view = Scrolled(Text(""), 0, Text(hint, style="dim"))
        while True:
            now = time.monotonic()
            if now >= next_build:
                view = Scrolled(build(), offset, Text(hint, style="dim"))
                next_build = now + refresh_every
            view.offset = offset
            live.update(view, refresh=True)
            offset = view.offset  # clamped by the render
            key = keys.read(max(next_build - time.monotonic(), 0.05))
            if key is None or key == "resize":
                continue
            if key in CLOSE_KEYS:
                return
            if key in ("r", "R"):
                next_build = 0.0
            elif key in SCROLL:
                offset += SCROLL[key]
            elif key in PAGE:
                offset += PAGE[key] * max(console.height - 2, 1)
            elif key == "home":
                offset = 0
            elif key == "end":
                offset = view.max_offset
