"""The layers of docs/ARCHITECTURE.md, kept: what each folder may import of ours."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.harness import PROJECT

PACKAGE = PROJECT / "gt_mcp_tmux"
#: folder -> the layers above it, which it must never import (not even lazily).
FORBIDDEN = {
    "sources": ("gt_mcp_tmux.collector", "gt_mcp_tmux.render", "gt_mcp_tmux.ui", "gt_mcp_tmux.cli"),
    "render": ("gt_mcp_tmux.collector", "gt_mcp_tmux.ui", "gt_mcp_tmux.cli", "gt_mcp_tmux.sources"),
    "collector": ("gt_mcp_tmux.ui", "gt_mcp_tmux.cli"),
    "ui": ("gt_mcp_tmux.cli",),
}


def imports_of(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name.startswith("gt_mcp_tmux")}


@pytest.mark.parametrize("folder", sorted(FORBIDDEN))
def test_a_layer_never_imports_the_layers_above_it(folder: str) -> None:
    wrong = [
        f"{path.relative_to(PROJECT)} imports {name}"
        for path in sorted((PACKAGE / folder).rglob("*.py"))
        for name in sorted(imports_of(path))
        if name.startswith(FORBIDDEN[folder])
    ]
    assert wrong == []


def test_the_package_top_holds_at_most_ten_modules() -> None:
    assert len(list(PACKAGE.glob("*.py"))) <= 10
