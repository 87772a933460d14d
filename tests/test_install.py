"""install.sh as a new user runs it: a fresh home, any directory, twice, then --uninstall."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.harness import PROJECT

pytestmark = pytest.mark.slow
INSTALL = str(PROJECT / "install.sh")
TOOLS = (
    "dirname",
    "sed",
    "cat",
    "mkdir",
    "ln",
    "readlink",
    "rm",
    "id",
    "head",
    "env",
    "sh",
    "uname",
)


def tool_dir(tmp_path: Path, *extra: str) -> Path:
    """A PATH with the basic tools and only the named extras (to take a prerequisite away)."""
    folder = tmp_path / "tools"
    folder.mkdir()
    for name in (*TOOLS, *extra):
        found = shutil.which(name) if name != "python3" else sys.executable
        if found:
            (folder / name).symlink_to(found)
    return folder


def run_install(
    home: Path, path: str, *args: str, cwd: Path | None = None, script: Path | None = None
) -> subprocess.CompletedProcess[str]:
    runtime = home / "run"  # never the real runtime folder: running collectors keep state there
    runtime.mkdir(exist_ok=True)
    env = {
        "HOME": str(home),
        "PATH": path,
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "XDG_RUNTIME_DIR": str(runtime),
    }
    return subprocess.run(
        ["sh", str(script or INSTALL), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd or home,
        timeout=600,
        check=False,
    )


def test_install_twice_then_uninstall(tmp_path: Path) -> None:
    home = tmp_path / "newhome"
    home.mkdir()
    elsewhere = tmp_path / "somewhere else"
    elsewhere.mkdir()
    path = f"{home}/.local/bin:{os.environ['PATH']}"
    first = run_install(home, path, cwd=elsewhere)
    assert first.returncode == 0, first.stdout + first.stderr
    link = home / ".local" / "bin" / "gt-mcp"
    assert link.is_symlink()
    version = subprocess.run(
        [str(link), "--version"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "HOME": str(home), "PATH": "/usr/bin:/bin"},
    )
    assert version.stdout.startswith("gt-mcp ")
    second = run_install(home, path, cwd=elsewhere)
    assert second.returncode == 0 and "already installed" in second.stdout
    # the same venv, another clone: installing from it makes gt-mcp run that clone's code
    clone = tmp_path / "another clone"
    shutil.copytree(
        PROJECT, clone, ignore=shutil.ignore_patterns(".*", "__pycache__", "*.egg-info")
    )
    moved = run_install(home, path, cwd=elsewhere, script=clone / "install.sh")
    assert moved.returncode == 0 and "already installed" not in moved.stdout, moved.stdout
    venv = home / ".local" / "share" / "gastown-mcp" / "venv"

    def imported_from() -> Path:
        code = "import gt_mcp_tmux; print(gt_mcp_tmux.PLUGIN_DIR)"
        where = subprocess.run(
            [str(venv / "bin" / "python"), "-I", "-c", code],
            capture_output=True,
            text=True,
            check=True,
        )
        return Path(where.stdout.strip()).resolve()

    assert imported_from() == clone.resolve()
    # a venv re-pointed at another checkout behind the install's back (its stamp still says
    # this clone) is not "already installed": that would test and run the other code
    [pth] = venv.glob("lib/python*/site-packages/__editable__.gastown_mcp*.pth")
    pth.write_text(str(PROJECT) + "\n")
    assert imported_from() == PROJECT.resolve()
    repaired = run_install(home, path, cwd=clone, script=clone / "install.sh")
    assert repaired.returncode == 0 and "already installed" not in repaired.stdout
    assert imported_from() == clone.resolve()
    (home / "run" / "gastown-mcp").mkdir(parents=True)
    tests_cache = home / ".cache" / "gastown-mcp-tests" / "agent-mail-venv"
    tests_cache.mkdir(parents=True)  # as scripts/test.sh leaves it
    gone = run_install(home, path, "--uninstall")
    assert gone.returncode == 0
    assert not (home / "run" / "gastown-mcp").exists()
    assert not link.exists() and not (home / ".local" / "share" / "gastown-mcp").exists()
    assert "kept: your config" in gone.stdout  # it says what it left
    assert f"kept: {tests_cache.parent} (the tests' Agent Mail venv" in gone.stdout
    assert tests_cache.is_dir()


def test_the_tests_agent_mail_venv_is_in_the_tests_cache_not_the_installs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """scripts/test.sh installs a server for the tests; it never lands among the user's install
    (`~/.cache/gastown-mcp`, `~/.local/share/gastown-mcp`), and the demo looks where it is."""
    from gt_mcp_tmux.demo.mail import CACHE_VENV, mail_python_candidates
    from tests.agent_mail_server import venv_dir

    home = tmp_path / "h"
    venv = venv_dir({"HOME": str(home)})
    assert venv == home / ".cache" / "gastown-mcp-tests" / "agent-mail-venv"
    assert venv_dir({"HOME": str(home), "XDG_CACHE_HOME": str(tmp_path / "c")}) == (
        tmp_path / "c" / "gastown-mcp-tests" / "agent-mail-venv"
    )
    python = venv / "bin" / "python"
    assert python == home / ".cache" / CACHE_VENV
    python.parent.mkdir(parents=True)
    python.symlink_to(sys.executable)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("GT_MCP_TEST_AGENT_MAIL_PYTHON", raising=False)
    assert str(python) in mail_python_candidates(None)


def test_without_git_and_with_a_half_made_venv(tmp_path: Path) -> None:
    """git is not needed; a venv left broken by an interrupted run is made again."""
    home = tmp_path / "home"
    broken = home / ".local" / "share" / "gastown-mcp" / "venv" / "bin"
    broken.mkdir(parents=True)
    (broken / "python").write_text("#!/bin/sh\nexit 1\n")
    (broken / "python").chmod(0o755)
    folder = tool_dir(tmp_path, "python3", "tmux")  # no git on this PATH
    done = run_install(home, f"{home}/.local/bin:{folder}")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "broken: making it again" in done.stdout
    assert (home / ".local" / "bin" / "gt-mcp").is_symlink()


def test_a_python_without_venv_support_is_one_line(tmp_path: Path) -> None:
    """Debian's python3 without python3-venv: no ensurepip, so no venv can be made."""
    folder = tool_dir(tmp_path, "tmux")
    (folder / "python3").write_text(
        f'#!/bin/sh\ncase "$*" in *ensurepip*) exit 1 ;; esac\nexec {sys.executable} "$@"\n'
    )
    (folder / "python3").chmod(0o755)
    done = run_install(tmp_path, str(folder))
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and "install python3-venv" in done.stderr, done.stderr


@pytest.mark.parametrize(
    ("missing", "says"),
    [("tmux", "needs tmux >= 3.2"), ("python3", "needs python3 >= 3.10")],
)
def test_missing_prerequisite_is_one_line(tmp_path: Path, missing: str, says: str) -> None:
    tools = [t for t in ("python3", "tmux") if t != missing]
    folder = tool_dir(tmp_path, *tools)
    done = run_install(tmp_path, str(folder))
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and says in done.stderr, done.stderr


def test_unknown_option(tmp_path: Path) -> None:
    done = run_install(tmp_path, os.environ["PATH"], "--bogus")
    assert done.returncode == 1 and "unknown option '--bogus'" in done.stderr
