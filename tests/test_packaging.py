"""The package as others install it: a built wheel in a fresh venv, and the shell side's defaults
in step with `config.py` (the one module that knows every option)."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from gt_mcp_tmux.config import default_value
from tests.harness import PROJECT

pytestmark = pytest.mark.slow


def test_the_wheel_holds_every_package_and_each_command_starts(tmp_path: Path) -> None:
    """pipx, a wheel or a distro package: `gt-mcp --help`, `detect`, `demo --help` work."""
    dist = tmp_path / "dist"
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(PROJECT)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert built.returncode == 0, built.stderr[-2000:]
    (wheel,) = dist.glob("gastown_mcp-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for folder in PROJECT.joinpath("gt_mcp_tmux").rglob("__init__.py"):
        assert str(folder.relative_to(PROJECT)) in names, f"{folder} is not in the wheel"
    assert not [n for n in names if n.startswith(("tests/", "bench/", "tools/"))]
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    installed = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert installed.returncode == 0, installed.stderr[-2000:]
    for args in (["--help"], ["detect"], ["demo", "--help"], ["alerts", "--json"]):
        done = subprocess.run(
            [str(venv / "bin" / "gt-mcp"), *args],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=tmp_path,
        )
        assert "Traceback" not in done.stderr, (args, done.stderr)
        assert done.returncode in (0, 1), (args, done.returncode, done.stderr)
        assert done.stdout.strip(), args
    # the tmux side is not in a wheel: `tmux setup` says where to point it, in one line
    setup = subprocess.run(
        [str(venv / "bin" / "gt-mcp"), "tmux", "setup"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert setup.returncode == 1 and "use --plugin-dir" in setup.stderr
    assert len(setup.stderr.strip().splitlines()) == 1 and "Traceback" not in setup.stderr


def shell_array(name: str) -> list[str]:
    text = (PROJECT / "scripts" / "variables.sh").read_text()
    match = re.search(rf"^{name}=\(([^)]*)\)", text, re.M | re.S)
    assert match, name
    return match.group(1).split()


def test_the_shell_sides_defaults_are_configs() -> None:
    """Keys, their options and the popup sizes the shell files use are config.py's."""
    options = shell_array("KEY_OPTIONS")
    defaults = shell_array("KEY_DEFAULTS")
    views = shell_array("KEY_VIEWS")
    assert len(options) == len(defaults) == len(views)
    for option, key, view in zip(options, defaults, views, strict=True):
        field = "key_" + option.removeprefix("@gtmcp-key-")
        assert default_value(field) == key, field
        assert view in ("quick", "dashboard", "mail", "bridge", "jump", "sling", "queue", "next")
    popup = (PROJECT / "scripts" / "popup.sh").read_text()
    sizes = dict(re.findall(r"^  (\w+)\) size=(\d+%)", popup, re.M))
    assert sizes.pop("dashboard") == default_value("dashboard_size")
    assert set(sizes.values()) == {default_value("popup_size")}
