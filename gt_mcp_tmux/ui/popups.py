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


class Pacer:
    """When a live view is built and painted again: its data changed (`changed()`, a stamp looked
    at every CHANGE_CHECK s when no key comes), something asked (`asked()`: a key), or its ages
    tick (every `ages_every` s after the last build); but rebuilds for new data never take more
    than MOST_SHARE of a core. `builds` counts them."""

    def __init__(
        self, changed: Callable[[], object] | None = None, ages_every: float = AGES_EVERY
    ) -> None:
        self.changed = changed
        self.ages_every = ages_every
        self.stamp = changed() if changed else None
        self.next_build = 0.0
        self.earliest = 0.0  # no rebuild for new data before this
        self.builds = 0

    def due(self) -> bool:
        return time.monotonic() >= self.next_build

    def built(self, started: float) -> None:
        """After a build and its paint that began at `started` (time.monotonic())."""
        self.builds += 1
        self.earliest = started + (time.monotonic() - started) / MOST_SHARE
        self.next_build = max(started + self.ages_every, self.earliest)

    def wait(self) -> float:
        """How long to wait for a key before looking again."""
        return min(max(self.next_build - time.monotonic(), 0.05), CHANGE_CHECK)

    def look(self) -> None:
        """No key came: a new stamp makes the next build due as soon as the cap allows."""
        if self.changed is not None:
            latest = self.changed()
            if latest != self.stamp:
                self.stamp, self.next_build = latest, self.earliest

    def asked(self) -> None:
        self.next_build = 0.0


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
        pace = Pacer(changed, refresh_every)
        view = Scrolled(Text(""), 0, Text(hint, style="dim"))
        dirty = True
        while True:
            started = time.monotonic()
            built = pace.due()
            if built:
                view = Scrolled(build(), offset, Text(hint, style="dim"))
                dirty = True
            if dirty:
                view.offset = offset
                live.update(view, refresh=True)
                offset = view.offset  # clamped by the render
                dirty = False
            if built:
                pace.built(started)
                if pace.builds == 1 and on_first is not None:
                    on_first(view.renderable, console.size)
            key = keys.read(pace.wait())
            if key is None:
                pace.look()
                continue
            dirty = True
            if key == "resize":
                continue
            if key in CLOSE_KEYS:
                return
            if key in ("r", "R"):
                pace.asked()
            elif key in SCROLL:
                offset += SCROLL[key]
            elif key in PAGE:
                offset += PAGE[key] * max(console.height - 2, 1)
            elif key == "home":
                offset = 0
            elif key == "end":
                offset = END  # rendered to its end, then clamped
