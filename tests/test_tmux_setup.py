"""`gt-mcp tmux setup [--remove]`: one marked block, a backup, idempotent, and a byte-identical
round trip; the block really loads the plugin into a tmux server."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from gt_mcp_tmux.cli.tmux_setup import BEGIN, END
from tests.harness import PROJECT, TmuxServer

GT_MCP = str(Path(sys.executable).parent / "gt-mcp")
ORIGINALS = {
    "plain": b"set -g mouse on\nbind r source-file ~/.tmux.conf\n",
    "no final newline": b"set -g mouse on",
    "final blank line": b"set -g mouse on\n\n",
    "empty": b"",
    "crlf and latin-1": b"set -g status-right '\xe9t\xe9'\r\nset -g mouse on\r\n",
}


def setup(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [GT_MCP, "tmux", "setup", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=30,
        check=False,
    )


def backups(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.gastown-mcp-*.bak"))


@pytest.mark.parametrize("name", list(ORIGINALS))
def test_round_trip_is_byte_identical(isolated_home: Path, name: str) -> None:
    conf = isolated_home / ".tmux.conf"
    conf.write_bytes(ORIGINALS[name])
    conf.chmod(0o640)
    first = setup()
    assert first.returncode == 0, first.stderr
    text = conf.read_bytes()
    assert text.startswith(ORIGINALS[name]) and text.count(BEGIN) == 1 and text.count(END) == 1
    assert f"run-shell '{PROJECT / 'gastown-mcp.tmux'}'".encode() in text
    [backup] = backups(isolated_home)
    assert backup.read_bytes() == ORIGINALS[name]
    assert "backup:" in first.stdout and "tmux source-file" in first.stdout
    again = setup()
    assert again.returncode == 0 and "already" in again.stdout
    assert conf.read_bytes() == text and len(backups(isolated_home)) == 1  # nothing changed
    removed = setup("--remove")
    assert removed.returncode == 0 and "removed" in removed.stdout
    assert conf.read_bytes() == ORIGINALS[name]
    assert conf.stat().st_mode & 0o777 == 0o640
    assert "no gastown-mcp block" in setup("--remove").stdout


def test_xdg_file_is_used_when_it_exists(isolated_home: Path) -> None:
    xdg = isolated_home / "xdg"
    conf = xdg / "tmux" / "tmux.conf"
    conf.parent.mkdir(parents=True)
    conf.write_bytes(b"set -g mouse on\n")
    assert setup(env={"XDG_CONFIG_HOME": str(xdg)}).returncode == 0
    assert BEGIN in conf.read_bytes()
    assert not (isolated_home / ".tmux.conf").exists()


def test_creates_tmux_conf_when_there_is_none(isolated_home: Path) -> None:
    assert setup().returncode == 0
    conf = isolated_home / ".tmux.conf"
    assert BEGIN in conf.read_bytes() and not backups(isolated_home)


def test_a_symlinked_conf_stays_a_symlink(isolated_home: Path) -> None:
    dotfiles = isolated_home / "dotfiles"
    dotfiles.mkdir()
    real = dotfiles / "tmux.conf"
    real.write_bytes(b"set -g mouse on\n")
    (isolated_home / ".tmux.conf").symlink_to(real)
    assert setup().returncode == 0
    assert (isolated_home / ".tmux.conf").is_symlink() and BEGIN in real.read_bytes()
    assert setup("--remove").returncode == 0
    assert real.read_bytes() == b"set -g mouse on\n"


def test_the_block_loads_the_plugin_even_from_a_path_with_spaces(
    isolated_home: Path, tmp_path: Path
) -> None:
    plugin = tmp_path / "my plugins" / "gastown mcp"
    plugin.parent.mkdir()
    plugin.symlink_to(PROJECT)
    done = setup("--plugin-dir", str(plugin))
    assert done.returncode == 0, done.stderr
    conf = isolated_home / ".tmux.conf"
    conf.write_bytes(b"set -g @gtmcp-python " + sys.executable.encode() + b"\n" + conf.read_bytes())
    server = TmuxServer(f"gtmcp-setup-{os.getpid()}")
    try:
        server.run("-f", str(conf), "new-session", "-d", "-s", "main")
        assert Path(server.option("@_gtmcp-plugin-dir")) == plugin
        keys = server.out("list-keys", "-T", "prefix")
        assert "popup.sh quick" in keys
    finally:
        server.kill()


def test_unquotable_plugin_path_is_refused(isolated_home: Path, tmp_path: Path) -> None:
    plugin = tmp_path / "it's here"
    plugin.symlink_to(PROJECT)
    done = setup("--plugin-dir", str(plugin))
    assert done.returncode == 1 and "cannot quote" in done.stderr
    assert not (isolated_home / ".tmux.conf").exists()


def test_remove_takes_only_the_block_whatever_the_user_did_around_it(isolated_home: Path) -> None:
    """The user moved the block between two lines: removing it joins nothing."""
    conf = isolated_home / ".tmux.conf"
    conf.write_bytes(b"set -g mouse on\n")
    assert setup().returncode == 0
    text = conf.read_bytes()
    start = text.index(BEGIN)
    end = text.index(END) + len(END) + 1
    block = text[start:end]
    conf.write_bytes(b"set -g a 1\n" + block + b"set -g b 2\n")
    assert setup("--remove").returncode == 0
    assert conf.read_bytes() == b"set -g a 1\nset -g b 2\n"


def test_stray_markers_never_take_the_users_lines(isolated_home: Path) -> None:
    conf = isolated_home / ".tmux.conf"
    stray = BEGIN + b"\nset -g keep-me 1\nset -g and-me 2\n" + END + b"\n"
    conf.write_bytes(b"# an old copy, pasted by hand:\n" + stray)
    assert setup("--remove").returncode == 0
    assert conf.read_bytes() == b"# an old copy, pasted by hand:\n" + stray  # not our block


def test_a_crlf_file_keeps_its_line_endings(isolated_home: Path) -> None:
    conf = isolated_home / ".tmux.conf"
    conf.write_bytes(b"set -g mouse on\r\n")
    assert setup().returncode == 0
    crlf = conf.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    conf.write_bytes(crlf)  # an editor made the whole file CRLF
    again = setup()
    assert again.returncode == 0 and "already loads" in again.stdout
    assert setup("--remove").returncode == 0
    assert conf.read_bytes() == b"set -g mouse on\r\n"


def test_a_read_only_conf_is_refused_and_no_temp_file_is_left(isolated_home: Path) -> None:
    conf = isolated_home / ".tmux.conf"
    conf.write_bytes(b"set -g mouse on\n")
    conf.chmod(0o444)
    try:
        done = setup()
        assert done.returncode == 1  # even for root: the mode is the user's word
        assert "read-only" in done.stderr and len(done.stderr.strip().splitlines()) == 1
        assert conf.read_bytes() == b"set -g mouse on\n"
        assert not list(isolated_home.glob(".*.tmp")) and not list(isolated_home.glob("*.bak"))
    finally:
        conf.chmod(0o644)
