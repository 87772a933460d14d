"""`gt-mcp dashboard --once`, `mail`, `bridge`, `tmux status` as commands: real tmux servers,
the snapshot cache keyed by the server's socket, and what a person reads on the terminal."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gt_mcp_tmux.collector.cache import snapshot_path, write_snapshot
from gt_mcp_tmux.model import GasTown, Snapshot, to_json
from gt_mcp_tmux.ui.keys import split_keys
from tests.harness import TmuxServer
from tests.townkit import StandinTown
from tests.viewkit import busy_town, quiet_town

GT_MCP = str(Path(sys.executable).parent / "gt-mcp")


def gt_mcp(
    *args: str, env: dict[str, str] | None = None, check: bool = False
) -> subprocess.CompletedProcess[str]:
    base = {**os.environ, "COLUMNS": "100", "NO_COLOR": "1", **(env or {})}
    return subprocess.run(
        [GT_MCP, *args], capture_output=True, text=True, env=base, timeout=60, check=check
    )


def inside(tmux: TmuxServer) -> dict[str, str]:
    """The environment of a program running in that tmux server."""
    socket_path = tmux.out("display", "-p", "#{socket_path}")
    return {"TMUX": f"{socket_path},{os.getpid()},0"}


def cached(tmux: TmuxServer, snapshot: Snapshot) -> Snapshot:
    """Put `snapshot` (collected now) where the collector of `tmux`'s server keeps it."""
    snapshot = dataclasses.replace(snapshot, collected_at=time.time())
    write_snapshot(snapshot, snapshot_path(tmux.out("display", "-p", "#{socket_path}")))
    return snapshot


@pytest.fixture
def gastown_server(tmp_path: Path) -> Iterator[TmuxServer]:
    """A stand-in for Gas Town's own tmux server: two agent sessions whose panes run processes."""
    import uuid

    server = TmuxServer(f"gtmcp-gt-{uuid.uuid4().hex[:8]}")
    server.run("-f", "/dev/null", "new-session", "-d", "-s", "hq-mayor", "sleep 600")
    server.run("new-session", "-d", "-s", "gt-furiosa", "sh -c 'sleep 600 & sleep 600'")
    server.run("set-environment", "-t", "hq-mayor", "GT_ROLE", "mayor")
    server.run("set-environment", "-t", "gt-furiosa", "GT_ROLE", "gastown/polecats/furiosa")
    yield server
    server.kill()


def test_dashboard_once_reads_this_servers_cache(
    tmux: TmuxServer, gastown_server: TmuxServer
) -> None:
    snapshot = busy_town()
    gas = dataclasses.replace(snapshot.gastown, socket=gastown_server.socket)
    cached(tmux, dataclasses.replace(snapshot, gastown=gas))
    done = gt_mcp("dashboard", "--once", env=inside(tmux), check=True)
    out = done.stdout
    for title in (
        "Agents 10 ⚠ 3",
        "Convoys 2 open",
        "Activity",
        "Agent Mail",
        "tmux sessions",
        "Host",
    ):
        assert title in out
    assert "▲ 😺 gastown/nux" in out and "merge_failed" in out
    assert "your tmux" in out and " main " in out  # the user's server, read live
    assert (
        "gt-furiosa" in out and "hq-mayor" in out
    )  # the Gas Town server's panes, with their processes
    host = out[out.index("Host") :]
    furiosa = next(line for line in host.splitlines() if "gt-furiosa" in line)
    assert furiosa.split()[2] == "3", furiosa  # sh + two sleeps
    assert "\x1b[" not in out  # NO_COLOR and a pipe: plain text


def test_dashboard_once_without_a_collector_collects_once(
    tmux: TmuxServer, town: StandinTown
) -> None:
    """No collector, no cache: `--once` (and `--json`) collect once instead of an empty board."""
    env = {**inside(tmux), "GT_TOWN_ROOT": str(town.root)}
    done = gt_mcp("dashboard", "--once", env=env, check=True)
    assert "no snapshot yet" not in done.stdout
    assert "gastown/furiosa" in done.stdout and "Deploy v2.0" in done.stdout
    assert "your tmux" in done.stdout and "Host" in done.stdout
    data = json.loads(gt_mcp("dashboard", "--json", env=env, check=True).stdout)
    assert {a["address"] for a in data["snapshot"]["gastown"]["agents"]} >= {"gastown/furiosa"}


def test_mail_json_is_the_snapshots_agent_mail(tmux: TmuxServer) -> None:
    snapshot = cached(tmux, busy_town())
    done = gt_mcp("mail", "--json", env=inside(tmux), check=True)
    assert json.loads(done.stdout) == to_json(snapshot.agent_mail)


def test_mail_view_and_its_exit_code(tmux: TmuxServer) -> None:
    cached(tmux, busy_town())
    done = gt_mcp("mail", env=inside(tmux))
    assert done.returncode == 0
    assert "web UI http://127.0.0.1:8765/mail" in done.stdout
    assert "Who owns src/api.py?" in done.stdout
    cached(tmux, quiet_town())
    done = gt_mcp("mail", env=inside(tmux))
    assert done.returncode == 1
    assert "Agent Mail is down" in done.stdout and "serve-http" in done.stdout


def test_mail_with_gt_words_goes_to_gt(standin_bin: Path, tmp_path: Path) -> None:
    gt_mcp("mail", "inbox", "--json")  # gt's own mail command: passed through untouched
    lines = (tmp_path / "gt-argv.jsonl").read_text().splitlines()
    assert json.loads(lines[-1])["argv"] == ["mail", "inbox", "--json"]


def test_bridge_json_has_detect_bridge_and_collector(tmux: TmuxServer) -> None:
    snapshot = cached(tmux, busy_town())
    done = gt_mcp("bridge", "--json", env=inside(tmux), check=True)
    data: dict[str, Any] = json.loads(done.stdout)
    assert set(data) == {"detect", "bridge", "collector"}
    assert data["bridge"] == to_json(snapshot.bridge)
    assert set(data["detect"]) == {"gastown", "agent_mail", "tmux", "config_errors", "gascity"}
    assert data["collector"]["running"] is False and data["collector"]["sources"]
    human = gt_mcp("bridge", env=inside(tmux), check=True).stdout
    assert (
        "Detection" in human and "home-me-gt-gastown" in human and "collector not running" in human
    )


def test_tmux_status_lists_both_servers_with_roles(
    tmux: TmuxServer, town: StandinTown, monkeypatch: pytest.MonkeyPatch
) -> None:
    gastown = TmuxServer(town.socket)
    gastown.run("-f", "/dev/null", "new-session", "-d", "-s", "hq-mayor")
    gastown.run("new-session", "-d", "-s", "gt-furiosa")
    gastown.run("new-window", "-t", "gt-furiosa")
    gastown.run("set-environment", "-t", "gt-furiosa", "GT_ROLE", "gastown/polecats/furiosa")
    try:
        env = {**inside(tmux), "GT_TOWN_ROOT": str(town.root)}
        data = json.loads(gt_mcp("tmux", "status", "--json", env=env, check=True).stdout)
        human = gt_mcp("tmux", "status", env=env, check=True).stdout
    finally:
        gastown.kill()
    assert data["user"]["running"] is True
    assert [s["name"] for s in data["user"]["sessions"]] == ["main"]
    assert data["gastown"]["server"] == town.socket
    sessions = {s["name"]: s for s in data["gastown"]["sessions"]}
    assert sessions["gt-furiosa"]["role"] == "gastown/polecats/furiosa"
    assert sessions["gt-furiosa"]["windows"] == 2 and sessions["hq-mayor"]["role"] is None
    assert sessions["hq-mayor"]["created"] > 0
    assert "gastown/polecats/furiosa" in human and town.socket in human


def test_tmux_status_without_servers(tmp_path: Path) -> None:
    env = {"TMUX": f"{tmp_path}/no-such-socket,1,0", "GT_TOWN_ROOT": ""}
    data = json.loads(gt_mcp("tmux", "status", "--json", env=env, check=True).stdout)
    assert data["user"]["running"] is False and data["gastown"]["sessions"] == []


def test_keys_from_terminal_bytes() -> None:
    assert split_keys("q") == ["q"]
    assert split_keys("\x1b") == ["esc"]
    assert split_keys("\x1b[A\x1b[B\t\x1b[Z\r") == ["up", "down", "tab", "shift-tab", "enter"]
    assert split_keys("\x1bOC\x1b[5~j") == ["right", "pgup", "j"]
    assert split_keys("\x1b[1;5A") == []  # an unknown sequence is skipped whole, not typed
    assert split_keys("\x1bq") == ["esc", "q"]


def run_in_pty(
    argv: list[str], keys: bytes, env: dict[str, str], stop: str = "key"
) -> tuple[list[Any], list[Any], int]:
    """Run `argv` on a fresh pty, type `keys` once it painted; terminal modes before and after."""
    import pty
    import select
    import signal
    import termios

    pid, fd = pty.fork()
    if pid == 0:  # the child: the program on the pty
        os.execve(
            argv[0],
            argv,
            {**os.environ, **env, "TERM": "xterm-256color", "COLUMNS": "100", "LINES": "30"},
        )
    before = termios.tcgetattr(fd)
    assert before[3] & termios.ICANON, "read before the program changed anything"
    output = b""
    deadline = time.monotonic() + 30
    while b"q quit" not in output and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                output += os.read(fd, 65536)
            except OSError:
                break
    during = termios.tcgetattr(fd)
    assert not during[3] & termios.ICANON, "keys arrive one by one while the view runs"
    if stop == "key":
        os.write(fd, keys)
    else:
        os.kill(pid, signal.SIGTERM)
    status = 0
    while time.monotonic() < deadline:
        try:
            done, status = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            break
        if done:
            break
        with_data, _, _ = select.select([fd], [], [], 0.1)
        if with_data:
            with contextlib.suppress(OSError):
                os.read(fd, 65536)
    after = termios.tcgetattr(fd)
    os.close(fd)
    return before, after, status


@pytest.mark.parametrize("stop", ["key", "sigterm"])
def test_dashboard_restores_the_terminal(tmux: TmuxServer, stop: str) -> None:
    cached(tmux, busy_town())
    before, after, _ = run_in_pty([GT_MCP, "dashboard"], b"q", inside(tmux), stop)
    assert after[3] == before[3], "local modes (echo, canonical input) are back as they were"


def test_no_town_dashboard_is_not_an_error(tmux: TmuxServer) -> None:
    cached(tmux, Snapshot(time.time(), "0.1.0", GasTown()))
    done = gt_mcp("dashboard", "--once", env=inside(tmux))
    assert (
        done.returncode == 0 and "no town found" in done.stdout and "Traceback" not in done.stderr
    )


def test_dumb_terminal_gets_ascii_glyphs_and_no_colour(tmux: TmuxServer) -> None:
    cached(tmux, busy_town())
    out = gt_mcp("dashboard", "--once", env={**inside(tmux), "TERM": "dumb", "NO_COLOR": ""}).stdout
    assert "\x1b" not in out
    assert "! P gastown/nux" in out and "stuck" in out  # ASCII status glyph, role letter, the word
    assert "😺" not in out and "╭" not in out and "+--" in out
    quick = gt_mcp("mail", env={**inside(tmux), "TERM": "dumb"}).stdout
    assert "home-me-gt-gastown /home/me/gt/gastown  rig gastown ---" in quick
