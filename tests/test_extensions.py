"""Extension panels: loaded from an entry point or the `panels` option; a broken one stays contained."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console

from gt_mcp_tmux.model import Agent, GasTown, Snapshot
from gt_mcp_tmux.render.extensions import SafePanelBody, load_extensions

SNAPSHOT = Snapshot(
    1.0, "t", GasTown(agents=[Agent("gastown/nux", "nux", "polecat", status="stuck")])
)

EXTENSION = """
from rich.table import Table

def stuck_panel(snapshot):
    table = Table("stuck agent")
    for agent in snapshot.gastown.agents:
        if agent.status == "stuck":
            table.add_row(agent.address)
    return table
stuck_panel.title = "Stuck"

def raises(snapshot):
    raise RuntimeError("boom")

def not_renderable(snapshot):
    return object()

class BadRenderable:
    def __rich_console__(self, console, options):
        raise ValueError("late failure")
        yield

def fails_late(snapshot):
    return BadRenderable()
"""


@pytest.fixture
def extension_dir(tmp_path: Path) -> Iterator[Path]:
    (tmp_path / "my_panels.py").write_text(EXTENSION)
    dist = tmp_path / "my_panels-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: my-panels\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        "[gastown_mcp.panels]\nstuck = my_panels:stuck_panel\nmissing = my_panels:nope\n"
    )
    sys.path.insert(0, str(tmp_path))
    yield tmp_path
    sys.path.remove(str(tmp_path))
    sys.modules.pop("my_panels", None)


def draw(panel: object) -> str:
    console = Console(width=60, record=True, color_system=None)
    console.print(panel)
    return console.export_text()


def test_entry_point_and_option_panels_render(extension_dir: Path) -> None:
    panels = load_extensions("my_panels:stuck_panel")
    titles = [(p.title, p.source) for p in panels]
    assert ("Stuck", "entry point stuck") in titles
    assert ("Stuck", "panels option my_panels:stuck_panel") in titles
    good = next(p for p in panels if p.error is None)
    assert "gastown/nux" in draw(SafePanelBody(good, SNAPSHOT))


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        ("my_panels:raises", "RuntimeError: boom"),
        ("my_panels:not_renderable", "not something rich can draw"),
        ("my_panels:fails_late", "ValueError: late failure"),
        ("no_such_module:x", "cannot load: ModuleNotFoundError"),
        ("justamodule", "expected module:function"),
    ],
)
def test_a_broken_extension_shows_its_error_in_its_own_panel(
    extension_dir: Path, reference: str, message: str
) -> None:
    panel = next(p for p in load_extensions(reference) if p.source.endswith(reference))
    shown = draw(SafePanelBody(panel, SNAPSHOT))
    assert message in " ".join(shown.split())


def test_entry_point_that_fails_to_load(extension_dir: Path) -> None:
    missing = next(p for p in load_extensions() if p.source == "entry point missing")
    assert missing.error is not None and "AttributeError" in missing.error
