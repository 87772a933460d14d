"""Pre-rendered first frames of the popups (Prefix+g, G, m, b), so that a popup paints like `cat`.

A frame is the exact screen a view's first paint shows at one popup size, as ANSI text
(render/frame_text.py: only SGR sequences pass), in a private folder (collector/cache.py's
`frames_dir`) named in the tmux option `@_gtmcp_frames`. scripts/popup.sh computes the popup's
inner size the way tmux does (`client * percent / 100 - 2`, the border), and when
`<view>-<width>x<height>.ansi` is there the popup first `cat`s it, then runs the view with
`--frame=PATH`. The view then takes over at once: it renders the live screen, repaints only if it
differs from the frame (a stale frame is shown for no longer than Python's start), and saves what
it painted as the frame for next time.

Frames are renewed by `python -m gt_mcp_tmux.ui.frames WxH...` (the clients' sizes), which the
collector starts when the cache changed and a client is attached, at most every
`collector/frames_trigger.py`'s interval, bounded; and by every popup for its own size.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gt_mcp_tmux.collector.cache import frames_dir
from gt_mcp_tmux.collector.views_data import snapshot_file
from gt_mcp_tmux.private_files import open_regular, write_private

if TYPE_CHECKING:
    from rich.console import RenderableType

    from gt_mcp_tmux.config import Settings
    from gt_mcp_tmux.model import Snapshot

#: The views that have a frame, and their popup.sh names.
VIEWS = ("quick", "dashboard", "mail", "bridge")
#: The tmux option that tells scripts/popup.sh where the frames are.
FRAMES_OPTION = "@_gtmcp_frames"
#: A frame is a screenful: larger files are not frames of ours.
MAX_FRAME_BYTES = 4 << 20
#: Frames of sizes no client had for this long are removed.
FORGET_AFTER = 24 * 3600.0
QUICK_FOOTER = "any key closes · ↑↓ PgUp PgDn: every agent"
SCROLL_HINT = "q close · ↑↓ PgUp PgDn scroll · r refresh"


def popup_inner_size(client_width: int, client_height: int, percent: str) -> tuple[int, int]:
    """The size of the program's terminal inside a `display-popup -w P% -h P%` (with its border),
    as tmux computes it; scripts/popup.sh does the same sum."""
    digits = percent.removesuffix("%")
    share = int(digits) if digits.isdigit() and 20 <= int(digits) <= 100 else 80
    return client_width * share // 100 - 2, client_height * share // 100 - 2


def frame_file(view: str, width: int, height: int, folder: Path | None = None) -> Path:
    return (folder or frames_dir(snapshot_file())) / f"{view}-{width}x{height}.ansi"


def read_frame(path: Path | str | None) -> str | None:
    """A frame's text, or None (no such file, not a regular file, too large)."""
    if not path:
        return None
    try:
        with open_regular(path) as fh:
            data = fh.read(MAX_FRAME_BYTES + 1)
    except OSError:
        return None
    return data.decode("utf-8", "replace") if len(data) <= MAX_FRAME_BYTES else None


def save_frame(path: Path, text: str) -> bool:
    """Write `text` as the frame at `path` unless it is already that; True when written."""
    if read_frame(path) == text:
        return False
    try:
        path.parent.mkdir(mode=0o700, exist_ok=True)
        write_private(path, text)
    except OSError:
        return False
    return True


def announce_folder(folder: Path) -> None:
    """Tell scripts/popup.sh where the frames are (a tmux option; the value is data, never a
    format: set-option does not expand it and popup.sh only reads it)."""
    from gt_mcp_tmux.sources.tmux.runner import run_tmux

    run_tmux(["set-option", "-gq", FRAMES_OPTION, str(folder)])


def took_over(view: str, frame: str | None, painted: str, size: tuple[int, int]) -> None:
    """After a popup painted `painted` over the frame popup.sh gave it (`frame`, None: none):
    keep it as the frame for next time, and name the folder to tmux when popup.sh looked
    elsewhere or nowhere."""
    path = frame_file(view, *size)
    save_frame(path, painted)
    if not frame or Path(frame).parent != path.parent:
        announce_folder(path.parent)


def popup_took_over(
    view: str, frame: str | None
) -> Callable[[RenderableType, tuple[int, int]], None]:
    """For a scrolling popup's `on_first`: save its first screen as the frame for next time."""

    def save(renderable: RenderableType, size: tuple[int, int]) -> None:
        took_over(view, frame, scrolled_frame(renderable, size), size)

    return save


# --- the views' first screens -------------------------------------------------------------
def quick_parts(
    snapshot: Snapshot | None, settings: Settings, height: int, now: float
) -> tuple[RenderableType, RenderableType]:
    """Prefix+g's body (fitted to `height` - 1 lines) and its footer line."""
    from rich.text import Text

    from gt_mcp_tmux.render.quick_view import quick_status

    hint = QUICK_FOOTER
    if snapshot is not None and snapshot.queue.items:
        hint = "n: go to the first item · " + hint
    if settings.key_dashboard != "none":
        hint += f" · Prefix+{settings.key_dashboard} opens the dashboard"
    footer = Text(hint, style="dim", no_wrap=True, overflow="ellipsis")
    if snapshot is None:
        body: RenderableType = Text(
            "no data: is the collector running? (gt-mcp collector status)", style="yellow"
        )
    else:
        body = quick_status(
            snapshot, now, height=max(height - 1, 5), stale_after=settings.stale_after
        )
    return body, footer


def quick_frame(snapshot: Snapshot | None, settings: Settings, size: tuple[int, int]) -> str:
    from gt_mcp_tmux.render.frame_text import printed_frame

    width, height = size
    return printed_frame(width, height, *quick_parts(snapshot, settings, height, time.time()))


def scrolled_frame(renderable: RenderableType, size: tuple[int, int]) -> str:
    """The first screen of a scrolling popup (mail, bridge): `renderable` from its top."""
    from rich.text import Text

    from gt_mcp_tmux.render.frame_text import screen_frame
    from gt_mcp_tmux.render.scrolled import Scrolled

    return screen_frame(Scrolled(renderable, 0, Text(SCROLL_HINT, style="dim")), *size)


def mail_first(snapshot: Snapshot | None, now: float) -> RenderableType:
    from gt_mcp_tmux.render.mail_view import mail_view

    return mail_view(
        snapshot.agent_mail if snapshot else None, now, snapshot.bridge if snapshot else None
    )


def bridge_first(snapshot: Snapshot | None, now: float) -> RenderableType:
    """The bridge popup's first screen: detection still running, the links, the collector."""
    from gt_mcp_tmux.collector.control import collector_status
    from gt_mcp_tmux.render.bridge_view import bridge_view

    return bridge_view(None, snapshot, collector_status(), now)


def dashboard_frame(board: Any, size: tuple[int, int], now: float) -> str:
    """The dashboard's (ui/dashboard.py's `Dashboard`) live screen at `size`."""
    from gt_mcp_tmux.render.dashboard_view import live_frame
    from gt_mcp_tmux.render.frame_text import screen_frame

    width, height = size
    view = dataclasses.replace(board.view(now, keys=True), painted_once=True)
    return screen_frame(live_frame(view, width, height), width, height)


# --- the renderer the collector starts ----------------------------------------------------
def render_frames(client_sizes: list[tuple[int, int]], settings: Settings) -> list[Path]:
    """Every view's frame for every client size; the frames written (unchanged ones are not)."""
    from gt_mcp_tmux.collector.views_data import cached_snapshot
    from gt_mcp_tmux.render.extensions import load_extensions
    from gt_mcp_tmux.ui.dashboard import Dashboard

    snapshot = cached_snapshot()
    now = time.time()
    written: list[Path] = []
    popups = {popup_inner_size(w, h, settings.popup_size) for w, h in client_sizes}
    boards = {popup_inner_size(w, h, settings.dashboard_size) for w, h in client_sizes}
    popups = {size for size in popups if size[0] >= 10 and size[1] >= 3}
    boards = {size for size in boards if size[0] >= 10 and size[1] >= 3}
    texts: list[tuple[Path, str]] = []
    for size in sorted(popups):
        texts.append((frame_file("quick", *size), quick_frame(snapshot, settings, size)))
        texts.append((frame_file("mail", *size), scrolled_frame(mail_first(snapshot, now), size)))
        texts.append(
            (frame_file("bridge", *size), scrolled_frame(bridge_first(snapshot, now), size))
        )
    if boards:
        board = Dashboard(settings.stale_after, tuple(load_extensions(settings.panels)))
        board.refresh()
        for size in sorted(boards):
            texts.append((frame_file("dashboard", *size), dashboard_frame(board, size, now)))
    for path, text in texts:
        if save_frame(path, text):
            written.append(path)
    forget_old(frame_file("quick", 1, 1).parent, {path for path, _ in texts})
    return written


def forget_old(folder: Path, kept: set[Path]) -> None:
    """Remove the frames of sizes no client has had for a day (a folder stays small)."""
    now = time.time()
    with contextlib.suppress(OSError):
        for path in folder.glob("*.ansi"):
            if path not in kept and now - path.stat().st_mtime > FORGET_AFTER:
                path.unlink()


def parse_sizes(words: list[str]) -> list[tuple[int, int]]:
    sizes = []
    for word in words:
        width, _, height = word.partition("x")
        if (
            width.isdigit()
            and height.isdigit()
            and 0 < int(width) < 2000
            and 0 < int(height) < 1000
        ):
            sizes.append((int(width), int(height)))
    return sizes[:8]


def main(argv: list[str]) -> int:
    """`python -m gt_mcp_tmux.ui.frames WxH... [--known FOLDER]...`: the collector's renderer
    (one short-lived process, run under $TMUX of the server). It names its folder to tmux unless
    one `--known` folder (what popup.sh reads now) is it. Never fails loudly: a frame not written
    only means the popup paints live."""
    from gt_mcp_tmux.config import load_settings, read_tmux_options

    known: set[str] = set()
    words: list[str] = []
    rest = iter(argv)
    for word in rest:
        if word == "--known":
            known.add(next(rest, ""))
        else:
            words.append(word)
    sizes = parse_sizes(words)
    if not sizes:
        return 0
    try:
        settings, _ = load_settings(tmux_values=read_tmux_options(), strict=False)
        render_frames(sizes, settings)
        folder = frame_file("quick", 1, 1).parent
        if str(folder) not in known:
            announce_folder(folder)
    except Exception as err:  # a renderer that fails leaves the old frames: popups repaint them
        if os.environ.get("GT_MCP_DEBUG"):
            raise
        print(f"gt-mcp frames: {type(err).__name__}: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
