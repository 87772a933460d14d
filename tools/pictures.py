"""The README's pictures, taken from the demo as a person sees it, converted to SVG.

    python -m tools.pictures [--out docs] [--mail-python PATH]

It starts a private demo (its own runtime and tmux socket folders, so a demo you have running is
left alone), attaches a real tmux client to the viewer inside a terminal of known size (a pane of
one more tmux server), presses Prefix+g, G and m, and captures the screen with its colours
(`capture-pane -e`). rich turns each capture into an SVG: docs/status-bar.svg, quick.svg,
dashboard.svg, mail.svg, and city.svg (Prefix+g while the simulated city's reviewer
crash-loops). Then it stops the demo.
"""

from __future__ import annotations

import argparse
import contextlib
import html
import io
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from rich.cells import cell_len
from rich.text import Text

from gt_mcp_tmux.demo.viewer import terminal_name

WIDTH, HEIGHT = 140, 40
SCREEN = "gtmcp-pictures"
PROJECT = Path(__file__).resolve().parent.parent
#: (key after the prefix, file, title, text that shows the popup is painted)
VIEWS = (
    ("g", "quick.svg", "Prefix+g: quick status", "Convoys"),
    ("G", "dashboard.svg", "Prefix+G: dashboard", "Activity"),
    ("m", "mail.svg", "Prefix+m: Agent Mail", "reserved by"),
)


class Screen:
    """A terminal of WIDTH x HEIGHT (a pane of its own tmux server) attached to the viewer."""

    def __init__(self, viewer_socket: str, width: int = WIDTH, height: int = HEIGHT) -> None:
        attach = f"env -u TMUX tmux -u -L {viewer_socket} attach"
        self.run(
            *("-f", "/dev/null", "start-server", ";", "set", "-g", "status", "off", ";"),
            *("set", "-g", "default-terminal", terminal_name(), ";"),
            *("new-session", "-d", "-s", "s", "-x", str(width), "-y", str(height), attach),
        )

    def run(self, *args: str) -> str:
        done = subprocess.run(
            ["tmux", "-u", "-L", SCREEN, *args], capture_output=True, text=True, timeout=20
        )
        return done.stdout

    def text(self, colours: bool = False) -> str:
        return self.run("capture-pane", "-p", *(["-e"] if colours else []), "-t", "s")

    def capture(self, predicate: Callable[[str], bool], timeout: float = 30.0) -> str:
        """The screen with its colours, at a moment when `predicate` holds for its text."""
        deadline = time.monotonic() + timeout
        while True:
            coloured = self.text(colours=True)
            if predicate(Text.from_ansi(coloured).plain) or time.monotonic() > deadline:
                return coloured
            time.sleep(0.1)

    def press_until(self, predicate: Callable[[str], bool], *keys: str, tries: int = 3) -> str:
        """Press `keys` until the screen shows what `predicate` wants (a busy machine may drop
        a key press, as a person would press again)."""
        for _ in range(tries - 1):
            self.keys(*keys)
            with contextlib.suppress(RuntimeError):
                return self.wait_for(predicate, 15)
        self.keys(*keys)
        return self.wait_for(predicate, 30)

    def keys(self, *keys: str) -> None:
        self.run("send-keys", "-t", "s", *keys)

    def wait_for(self, predicate: Callable[[str], bool], timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        text = self.text()
        while not predicate(text) and time.monotonic() < deadline:
            time.sleep(0.2)
            text = self.text()
        if not predicate(text):
            raise RuntimeError(f"the screen never showed what was expected:\n{text}")
        return text

    def close(self) -> None:
        self.run("kill-server")


_TEXT = re.compile(
    r'<text class="(?P<cls>[^"]*)" x="(?P<x>[^"]*)" y="(?P<y>[^"]*)" '
    r'textLength="(?P<len>[^"]*)" clip-path="(?P<clip>[^"]*)">(?P<body>[^<]*)</text>'
)
_TOKEN = re.compile(r"&#?\w+;|.", re.S)
_SPACES = ("&#160;", " ")
#: Longest run of characters placed as one element (a font's advance can drift over longer).
RUN_CELLS = 12


def _split_text(match: re.Match[str]) -> str:
    """One `<text>` of rich's SVG as one element per short run of visible characters.

    rich gives each styled segment one `<text>` whose `textLength` should stretch it to its cells.
    Some renderers (librsvg) ignore that and drop the width of non-breaking spaces, so a long gap
    collapses and a popup's frame lands mid-screen, and a long line drifts by the font's own
    advance. Placing each visible run of at most RUN_CELLS cells at its own cell keeps every
    renderer aligned to the grid.
    """
    tokens = _TOKEN.findall(match["body"])
    widths = [cell_len(html.unescape(t)) for t in tokens]
    total = sum(widths)
    if total == 0:
        return match.group(0)
    cell = float(match["len"]) / total
    parts: list[str] = []
    run: list[str] = []
    start = column = run_cells = 0

    def flush() -> None:
        if run:
            x = float(match["x"]) + start * cell
            parts.append(
                f'<text class="{match["cls"]}" x="{x:g}" y="{match["y"]}" '
                f'textLength="{run_cells * cell:g}" clip-path="{match["clip"]}">'
                f"{''.join(run)}</text>"
            )

    for token, width in zip(tokens, widths, strict=True):
        if token in _SPACES or run_cells + width > RUN_CELLS:
            flush()
            run, run_cells, start = [], 0, column
        if token in _SPACES:
            start = column + width
        else:
            run.append(token)
            run_cells += width
        column += width
    flush()
    return "".join(parts)


def to_svg(ansi: str, title: str, width: int = WIDTH) -> str:
    """A captured screen (text with SGR colour codes) as an SVG terminal picture."""
    from rich.console import Console

    console = Console(
        record=True,
        width=width,
        file=io.StringIO(),
        force_terminal=True,
        color_system="256",
        legacy_windows=False,
    )
    for line in ansi.rstrip("\n").split("\n"):
        console.print(Text.from_ansi(line, no_wrap=True, end=""), no_wrap=True, crop=True)
    return _TEXT.sub(_split_text, console.export_svg(title=title))


def _showing(
    marker: str, also: Callable[[str], bool] | None = None, absent: bool = False
) -> Callable[[str], bool]:
    def check(text: str) -> bool:
        return (marker in text) != absent and (also is None or also(text))

    return check


def take_pictures(out: Path, mail_python: str | None) -> list[Path]:
    from gt_mcp_tmux.demo.launcher import DemoOptions, start_demo, stop_demo
    from gt_mcp_tmux.demo.state import VIEWER_SOCKET

    out.mkdir(parents=True, exist_ok=True)
    options = DemoOptions(with_mail=True, mail_python=mail_python, alert_messages=False)
    start_demo(options, lambda line: print(f"pictures: {line}", file=sys.stderr))
    screen = Screen(VIEWER_SOCKET)
    written: list[Path] = []
    try:

        def bar_ready(text: str) -> bool:
            """The status bar (not a tmux message over it) shows attention, conflicts, links."""
            last = text.rstrip("\n").split("\n")[-1]
            attention = re.search(r"⚠(\d+)", last)
            many = attention is not None and int(attention.group(1)) >= 2
            return many and all(mark in last for mark in ("⛽", "⚔", "⇄"))

        screen.wait_for(bar_ready, 90)  # a stuck agent and a dead one, the mail seeded
        bar = screen.capture(bar_ready).rstrip("\n").split("\n")[-1]
        written.append(_write(out / "status-bar.svg", to_svg(bar, "tmux status bar")))
        for key, name, title, marker in VIEWS:
            screen.press_until(_showing(marker), "C-b", key)
            time.sleep(1.5)  # one refresh, so the popup shows its live state
            shown = screen.capture(_showing(marker, bar_ready))
            written.append(_write(out / name, to_svg(shown, title)))
            screen.keys("q")
            screen.wait_for(_showing(marker, absent=True), 10)
        written.append(_city_picture(screen, out, bar_ready))
    finally:
        screen.close()
        stop_demo()
    return written


def _city_picture(screen: Screen, out: Path, bar_ready: Callable[[str], bool]) -> Path:
    """Prefix+g at a moment the simulated city's reviewer is crash-looping (or quarantined for
    it): the popup is painted once, so it is opened again until it shows that (3 minutes at most,
    one loop of the demo's story)."""

    def looping(text: str) -> bool:
        return "City agents" in text and ("crash-loop" in text or "quarantined" in text)

    deadline = time.monotonic() + 200
    while True:
        screen.press_until(_showing("City agents"), "C-b", "g")
        time.sleep(1.5)
        if looping(screen.text()) or time.monotonic() > deadline:
            shown = screen.capture(_showing("City agents", bar_ready))
            break
        screen.keys("q")
        screen.wait_for(_showing("City agents", absent=True), 10)
        time.sleep(3)
    screen.keys("q")
    return _write(out / "city.svg", to_svg(shown, "Prefix+g: a town and a city"))


def _write(path: Path, svg: str) -> Path:
    path.write_text(svg, encoding="utf-8")
    return path


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.pictures")
    parser.add_argument("--out", type=Path, default=PROJECT / "docs")
    parser.add_argument("--mail-python", help="the Python that has mcp_agent_mail")
    args = parser.parse_args(argv)
    # A private runtime and socket folder: a demo the user has running is not this one.
    private = Path(tempfile.mkdtemp(prefix="gp", dir="/tmp"))
    os.environ["XDG_RUNTIME_DIR"] = str(private)
    os.environ["TMUX_TMPDIR"] = str(private)
    os.environ.pop("TMUX", None)
    try:
        for path in take_pictures(args.out, args.mail_python):
            print(path)
    finally:
        import shutil

        shutil.rmtree(private, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
