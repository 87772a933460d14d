"""Popup sizes are options: @gtmcp-popup-size and @gtmcp-dashboard-size."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.harness import Screen, TmuxServer
from tests.test_popups import loaded, saved
from tests.viewkit import busy_town

pytestmark = pytest.mark.integration


def frame_width(text: str) -> int:
    top = next(line for line in text.splitlines() if "┌─ gastown-mcp" in line)
    return top.index("┐") - top.index("┌") + 1


@pytest.mark.parametrize(
    ("options", "key", "width"),
    [
        ({}, "g", 96),
        ({"@gtmcp-popup-size": "50%"}, "g", 60),
        ({"@gtmcp-popup-size": "70%"}, "g", 84),
        ({"@gtmcp-dashboard-size": "100%"}, "G", 120),
        ({"@gtmcp-popup-size": "huge"}, "g", 96),
        ({"@gtmcp-popup-size": "5%"}, "g", 96),
    ],
)
def test_popup_sizes(
    tmux: TmuxServer, screen: Screen, tmp_path: Path, options: dict[str, str], key: str, width: int
) -> None:
    loaded(tmux, saved(busy_town(), tmp_path), **options)
    screen.keys("C-b", key)
    text = screen.wait_for(lambda t: "┌─ gastown-mcp" in t and "Agents" in t)
    assert frame_width(text) == width
    screen.keys("q")


def test_a_missing_python_is_said_in_a_message(
    tmux: TmuxServer, screen: Screen, tmp_path: Path
) -> None:
    loaded(tmux, saved(busy_town(), tmp_path))
    tmux.run("set", "-g", "@gtmcp-python", str(tmp_path / "gone" / "python"))
    screen.keys("C-b", "g")
    text = screen.wait_for(lambda t: "not installed yet" in t)
    assert "not installed yet: run" in text and "install.sh" in text and "returned" not in text
