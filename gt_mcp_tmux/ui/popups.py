"""What runs inside the popups: scrolling views that follow the cache until q or Esc (Agent
Mail, bridge, the quick status's whole list). The quick status's static first screen is
cli/status.py's `quick_popup`, over its frame (ui/frames.py)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from rich.console import Console, RenderableType
from rich.live import Live
from rich.text import Text

from gt_mcp_tmux.render.scrolled import END, Scrolled
from gt_mcp_tmux.ui.keys import KeyReader

CLOSE_KEYS = frozenset({"q", "Q", "esc"})
SCROLL = {"up": -1, "down": 1, "k": -1, "j": 1}
PAGE = {"pgup": -1, "pgdn": 1, " ": 1}
#: With unchanged data, a scrolling view is rebuilt this often (its ages tick); else on change.
AGES_EVERY = 5.0
#: How often a scrolling view looks whether its data changed (one stat).
CHANGE_CHECK = 1.0
#: Rebuilds (new data) take at most this share of a core: a view that takes 0.5 s to build and
#: paint (thousands of reservations) is rebuilt at most every 5 s, however often the data moves.
MOST_SHARE = 0.1


#: Keys that turn a static view into a scrolling one (any other key closes it).
SCROLL_START = frozenset({"up", "down", "pgup", "pgdn", "end"})


def file_stamp(path: Path) -> tuple[int, int] | None:
    """What changes when a file is rewritten (its mtime and size): one stat, no read."""
    try:
        info = path.stat()
    except OSError:
        return None
    return (info.st_mtime_ns, info.st_size)


def run_scrolling(
    console: Console,
    build: Callable[[], RenderableType],
    refresh_every: float = AGES_EVERY,
    hint: str = "q close · ↑↓ PgUp PgDn scroll · r refresh",
    changed: Callable[[], object] | None = None,
    on_first: Callable[[RenderableType, tuple[int, int]], None] | None = None,
) -> None:
    """Show `build()` full-screen until q/Esc. It is rebuilt when `changed()` (checked every
    second: a stamp of the data, say the cache file's) gives something new, on `r`, and every
    `refresh_every` s (ages tick), but never so often that rebuilding takes more than
    MOST_SHARE of a core; only the rows shown are rendered, each once per build and width
    (Scrolled: scrolling renders only what it reaches), and the screen is repainted only when
    something changed. `on_first(view,
    size)`: after the first paint (a popup saves its frame for next time)."""
    offset = 0
    with KeyReader() as keys, Live(console=console, screen=True, auto_refresh=False) as live:
        next_build = 0.0
        stamp = changed() if changed else None
        view = Scrolled(Text(""), 0, Text(hint, style="dim"))
        first = True
        dirty = True
        earliest = 0.0  # no rebuild before this: at most MOST_SHARE of a core on rebuilds
        while True:
            now = time.monotonic()
            built = now >= next_build
            if built:
                view = Scrolled(build(), offset, Text(hint, style="dim"))
                dirty = True
            if dirty:
                view.offset = offset
                live.update(view, refresh=True)
                offset = view.offset  # clamped by the render
                dirty = False
            if built:
                earliest = now + (time.monotonic() - now) / MOST_SHARE
                next_build = max(now + refresh_every, earliest)
                if first and on_first is not None:
                    on_first(view.renderable, console.size)
                first = False
            key = keys.read(min(max(next_build - time.monotonic(), 0.05), CHANGE_CHECK))
            if key is None:
                if changed is not None:
                    latest = changed()
                    if latest != stamp:
                        stamp, next_build = latest, earliest
                continue
            dirty = True
            if key == "resize":
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
                offset = END  # rendered to its end, then clamped
