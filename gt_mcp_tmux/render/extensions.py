"""Dashboard panels from outside the project, without forking it.

An extension panel is any callable that takes the `Snapshot` and returns a rich renderable; a
`title` attribute names its panel (else the callable's name). Two ways to add one:

- a Python entry point in the group `gastown_mcp.panels` (in the extension's own package), or
- the `panels` option: comma-separated `module:function` references (the module on sys.path).

A broken extension (fails to import, raises, returns nothing renderable, or fails while rich
draws it) shows its error inside its own panel; the dashboard goes on.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any

from rich.console import Console, ConsoleOptions, RenderResult
from rich.protocol import is_renderable
from rich.segment import Segment
from rich.text import Text

from gt_mcp_tmux.model import Snapshot

ENTRY_POINT_GROUP = "gastown_mcp.panels"
PanelFunction = Callable[[Snapshot], Any]


@dataclass(frozen=True)
class ExtensionPanel:
    title: str
    source: str  # "entry point NAME" or "panels option MODULE:FUNCTION"
    function: PanelFunction | None = None
    error: str | None = None


def _title(function: Any, fallback: str) -> str:
    title = getattr(function, "title", None)
    return str(title) if title else fallback


def _from_reference(reference: str) -> ExtensionPanel:
    module_name, _, attribute = reference.partition(":")
    source = f"panels option {reference}"
    if not module_name or not attribute:
        return ExtensionPanel(reference, source, error="expected module:function")
    try:
        function = getattr(importlib.import_module(module_name), attribute)
    except Exception as err:  # an extension's import may fail in any way
        return ExtensionPanel(reference, source, error=f"cannot load: {type(err).__name__}: {err}")
    if not callable(function):
        return ExtensionPanel(reference, source, error=f"{attribute} is not callable")
    return ExtensionPanel(_title(function, attribute), source, function)


def load_extensions(references: str = "", group: str = ENTRY_POINT_GROUP) -> list[ExtensionPanel]:
    """Every extension panel: entry points first, then the `panels` option's references."""
    panels: list[ExtensionPanel] = []
    for point in entry_points(group=group):
        source = f"entry point {point.name}"
        try:
            function = point.load()
        except Exception as err:
            panels.append(
                ExtensionPanel(
                    point.name, source, error=f"cannot load: {type(err).__name__}: {err}"
                )
            )
            continue
        panels.append(ExtensionPanel(_title(function, point.name), source, function))
    panels += [_from_reference(ref.strip()) for ref in references.split(",") if ref.strip()]
    return panels


class SafePanelBody:
    """The extension's renderable, drawn eagerly so that any failure becomes a red line instead."""

    def __init__(self, panel: ExtensionPanel, snapshot: Snapshot) -> None:
        self.panel = panel
        self.snapshot = snapshot

    def _failure(self, message: str) -> Text:
        return Text(f"{self.panel.title} ({self.panel.source}): {message}", style="red")

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if self.panel.error or self.panel.function is None:
            yield self._failure(self.panel.error or "nothing to call")
            return
        try:
            body = self.panel.function(self.snapshot)
            if not is_renderable(body):
                raise TypeError(f"returned {type(body).__name__}, not something rich can draw")
            lines: Iterable[list[Segment]] = console.render_lines(body, options, pad=False)
            rendered = list(lines)
        except Exception as err:
            yield self._failure(f"{type(err).__name__}: {err}")
            return
        for line in rendered:
            yield from line
            yield Segment.line()
