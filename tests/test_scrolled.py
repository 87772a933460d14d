"""The scrolling popups' window (render/scrolled.py): only the rows shown are rendered, each once
per build and width, counted (never timed)."""

from __future__ import annotations

import io
import time

from rich.console import Console, ConsoleOptions, Group, RenderResult
from rich.text import Text

from gt_mcp_tmux.render.mail_view import mail_view
from gt_mcp_tmux.render.scrolled import END, Scrolled, _parts
from tests.bigmail import big_mail


class Counted:
    """One line of text that counts how often it is rendered."""

    renders = 0

    def __init__(self, n: int) -> None:
        self.n = n

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        Counted.renders += 1
        yield Text(f"row {self.n}")


def screen(view: Scrolled, height: int = 11, width: int = 60) -> str:
    console = Console(file=io.StringIO(), width=width, height=height, color_system=None)
    with console.capture() as captured:
        console.print(view, end="")
    return captured.get()


def test_only_the_rows_shown_are_rendered_and_each_once() -> None:
    Counted.renders = 0
    view = Scrolled(Group(*(Counted(n) for n in range(1000))), 0, Text("q close"))
    first = screen(view)
    assert "row 0" in first and "row 9" in first and "row 10" not in first
    # one row past the screen (is there more?), and nothing else
    assert Counted.renders == 11 and "lines 1-10 of 11+" in first
    screen(view)
    assert Counted.renders == 11, "a repaint renders nothing again"
    view.offset = 5
    assert "row 14" in screen(view) and Counted.renders == 16, "a scroll renders what it reaches"
    view.offset = END
    last = screen(view)
    assert "row 999" in last and "lines 991-1000 of 1000" in last and Counted.renders == 1000
    assert view.offset == view.max_offset == 990
    screen(view, width=70)
    assert Counted.renders == 2000, "another width: rendered again"


def test_a_huge_mail_view_renders_its_first_screen_only() -> None:
    """2,000 reservations over 20 projects: the mail popup's first screen renders the first
    pieces, not every project's table."""
    mail = mail_view(big_mail(), time.time())
    pieces = len(_parts(mail))
    view = Scrolled(mail, 0, Text("q close"))
    shown = screen(view, height=30, width=100)
    assert "proj-" in shown
    assert not view.complete and view.rendered_parts * 4 < pieces, (view.rendered_parts, pieces)
    view.offset = END
    screen(view, height=30, width=100)
    assert view.complete
