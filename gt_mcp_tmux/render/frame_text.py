"""A view as the exact bytes a terminal of a given size shows: the pre-rendered popup frames.

A frame is written by rich (256 colours, whatever the writer's terminal) and then cleaned: only
SGR colour/style sequences and newlines pass, so that no cursor movement, title, OSC or tmux
passthrough can reach the popup's terminal, whatever text an agent typed (the views already make
agents' text literal; this holds even if one did not).
"""

from __future__ import annotations

import io
import re

from rich.console import Console, RenderableType
from rich.screen import Screen

#: Every escape sequence (CSI, OSC, DCS/APC/PM/SOS, two-byte ESC x) or lone control character.
_SEQUENCE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]|\x9b[0-?]*[ -/]*[@-~]"  # CSI (7- and 8-bit)
    r"|\x1b[\]P^_X][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC, DCS, PM, APC, SOS (to BEL or ST)
    r"|\x1b[ -~]?"  # two-byte escapes, or a lone ESC
    r"|[\x00-\x09\x0b-\x1f\x7f-\x9f]"  # C0 (but newline) and C1 controls
)
_SGR = re.compile(r"\x1b\[[0-9;]*m\Z")


def safe_ansi(text: str) -> str:
    """`text` with every escape sequence but SGR (colours, bold...) and every control character
    but newline removed."""
    return _SEQUENCE.sub(lambda m: m.group() if _SGR.match(m.group()) else "", text)


def _console(width: int, height: int) -> Console:
    return Console(
        file=io.StringIO(),
        width=width,
        height=height,
        force_terminal=True,
        color_system="256",
        highlight=False,
        emoji=False,
        legacy_windows=False,
        _environ={},  # the writer's COLUMNS/LINES/TERM must not shape a frame for another tty
    )


def printed_frame(width: int, height: int, *parts: RenderableType) -> str:
    """`parts` printed one after the other at `width` x `height`, the last without a newline (so
    nothing scrolls): what a static popup (Prefix+g) prints."""
    console = _console(width, height)
    with console.capture() as captured:
        for index, part in enumerate(parts):
            console.print(part, end="" if index == len(parts) - 1 else "\n")
    return safe_ansi(captured.get())


def screen_frame(renderable: RenderableType, width: int, height: int) -> str:
    """`renderable` cut or padded to exactly `height` lines of `width`: the first screen of a
    full-screen view (the dashboard, the mail and bridge views)."""
    console = _console(width, height)
    with console.capture() as captured:
        console.print(Screen(renderable), end="")
    return safe_ansi(captured.get())
