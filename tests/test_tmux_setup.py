"""`gt-mcp tmux setup [--remove]`: one marked block, a backup, idempotent, and a byte-identical
round trip; the block really loads the plugin into a tmux server."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gt_mcp_tmux.cli.tmux_setup import BEGIN, END, block_lengths, install_block, remove_block
from tests.harness import PROJECT, Screen, TmuxServer
from tests.townkit import StandinTown

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
    assert backups(isolated_home) == [backup]  # removing touches only our lines: no backup
    assert setup().returncode == 0 and setup("--remove").returncode == 0  # a second round
    assert backups(isolated_home) == [backup] and backup.read_bytes() == ORIGINALS[name]


def test_a_changed_file_gets_its_own_backup_and_an_updated_block_none(
    isolated_home: Path,
) -> None:
    """Nothing the user owns is lost: their file as it was before each setup is kept once."""
    conf = isolated_home / ".tmux.conf"
    conf.write_bytes(b"set -g mouse on\n")
    entry = PROJECT / "gastown-mcp.tmux"
    assert install_block(conf, entry).backup is not None
    assert install_block(conf, entry, {"right": 70}).backup is None  # only our lines changed
    assert remove_block(conf).changed and len(backups(isolated_home)) == 1
    conf.write_bytes(b"set -g mouse off\n")  # the user edited it since
    assert install_block(conf, entry).backup is not None
    assert sorted(b.read_bytes() for b in backups(isolated_home)) == [
        b"set -g mouse off\n",
        b"set -g mouse on\n",
    ]


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


def test_a_status_length_in_the_block_is_kept_raised_never_lowered(isolated_home: Path) -> None:
    """Once in force, the length no longer cuts: a second setup must not drop it (the bar would
    be cut again at the next reload); a larger need raises it; --remove gives the file back."""
    conf = isolated_home / ".tmux.conf"
    conf.write_bytes(b"set -g status-right-length 40\nset -g mouse on\n")
    entry = PROJECT / "gastown-mcp.tmux"
    assert install_block(conf, entry, {"right": 60}).changed
    text = conf.read_bytes()
    assert b"\nset -g status-right-length 60\nrun-shell " in text
    conf.write_bytes(text.replace(b"\n", b"\r\n"))  # an editor made the whole file CRLF
    original = b"set -g status-right-length 40\r\nset -g mouse on\r\n"
    assert block_lengths(conf.read_bytes()) == {"right": 60}
    assert not install_block(conf, entry, {}).changed  # measured again: nothing cuts any more
    assert not install_block(conf, entry, {"right": 50}).changed
    assert install_block(conf, entry, {"right": 80, "left": 30}).changed
    assert block_lengths(conf.read_bytes()) == {"left": 30, "right": 80}
    assert remove_block(conf).changed
    assert conf.read_bytes() == original


def test_setup_twice_says_the_length_once(isolated_home: Path, tmux: TmuxServer) -> None:
    """Run again before the reload: the file is the same, no second backup, and the length is
    not announced as new again (only that it waits for the reload)."""
    conf = isolated_home / ".tmux.conf"
    conf.write_bytes(b"set -g mouse on\n")
    tmux.run("set", "-g", "status-right", "#{gtmcp_status} |%d-%b-%y|")
    env = {"TMUX": f"{tmux.out('display-message', '-p', '#{socket_path}')},1,0"}
    first = setup(env=env)
    assert first.returncode == 0 and "would cut the bar" in first.stdout, first.stdout
    text = conf.read_bytes()
    again = setup(env=env)
    assert again.returncode == 0 and "already loads" in again.stdout
    assert "would cut" not in again.stdout and "backup:" not in again.stdout
    assert "not in force yet (tmux has 40): tmux source-file" in again.stdout, again.stdout
    assert conf.read_bytes() == text and text.count(b"status-right-length") == 1
    assert len(backups(isolated_home)) == 1


def test_setup_gives_the_bar_the_room_it_needs(
    isolated_home: Path, town: StandinTown, gas_town: TmuxServer, tmux: TmuxServer
) -> None:
    """A status-right-length of 20 cuts the bar (a real client shows it cut); `tmux setup` says
    so and writes the length into its block; sourced, the whole bar shows."""
    conf = isolated_home / ".tmux.conf"
    original = b"set -g mouse on\n"
    conf.write_bytes(original)
    tmux.run("set-environment", "-g", "GT_TOWN_ROOT", str(town.root))
    tmux.run("set", "-g", "@gtmcp-python", sys.executable)
    tmux.run("set", "-g", "status-right", "#{gtmcp_status} |%d-%b-%y|")
    tmux.run("set", "-g", "status-right-length", "20")
    tmux.load_plugin()
    date = time.strftime("|%d-%b-%y|")
    view = Screen(tmux)
    try:
        bar = view.wait_for(lambda t: "6/7" in t, timeout=30).splitlines()[-1]
        assert date not in bar  # cut at 20 columns: the date (and digits) are gone
        socket = tmux.out("display-message", "-p", "#{socket_path}")
        done = setup(env={"TMUX": f"{socket},1,0"})
        assert done.returncode == 0, done.stderr
        said = re.search(
            r"status-right-length 20 would cut the bar \(a busy town needs (\d+) columns there\):"
            r" the block sets status-right-length (\d+)",
            done.stdout,
        )
        assert said is not None, done.stdout
        need, wanted = int(said[1]), int(said[2])
        assert wanted > need > 20
        assert block_lengths(conf.read_bytes()) == {"right": wanted}
        tmux.run("source-file", str(conf))
        assert tmux.option("status-right-length") == str(wanted)
        bar = view.wait_for(lambda t: date in t.splitlines()[-1]).splitlines()[-1]
        assert "6/7" in bar and "3/5" in bar and date in bar  # the whole bar, every digit
        again = setup(env={"TMUX": f"{socket},1,0"})
        assert "already loads" in again.stdout and "would cut" not in again.stdout
        assert block_lengths(conf.read_bytes()) == {"right": wanted}
    finally:
        view.close()
    assert setup("--remove").returncode == 0
    assert conf.read_bytes() == original
    assert "status-right-length" in " ".join(setup("--help").stdout.split())
