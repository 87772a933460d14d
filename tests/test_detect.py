"""`gt-mcp detect`: what it finds, how, and what it says when it finds nothing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from gt_mcp_tmux.cli.tmux_setup import block_lengths
from tests.harness import TmuxServer
from tests.townkit import StandinTown, make_town

GT_MCP = str(Path(sys.executable).parent / "gt-mcp")


def detect_json(cwd: Path) -> dict[str, Any]:
    done = subprocess.run(
        [GT_MCP, "detect", "--json"],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=True,
        timeout=30,
    )
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def test_finds_town_gt_and_running_server(town: StandinTown) -> None:
    subprocess.run(
        ["tmux", "-L", town.socket, "-f", "/dev/null", "new-session", "-d", "-s", "hq-mayor"],
        check=True,
    )
    subprocess.run(["tmux", "-L", town.socket, "new-session", "-d", "-s", "gt-furiosa"], check=True)
    try:
        found = detect_json(town.root / "gastown")
    finally:
        subprocess.run(["tmux", "-L", town.socket, "kill-server"], check=False)
    gas = found["gastown"]
    assert gas["town_root"] == str(town.root) and gas["found_by"] == "cwd"
    assert gas["socket"] == town.socket and gas["server_running"] is True and gas["sessions"] == 2
    assert gas["version"].startswith("gt version 1.0.1") and gas["binary"].endswith("gt")
    assert set(found) >= {"gastown", "agent_mail", "tmux"}
    assert found["tmux"]["popups"] is True and found["tmux"]["version"].startswith("tmux 3.")
    assert found["agent_mail"]["up"] is False and "refused" in found["agent_mail"]["error"]


def test_town_with_spaces_and_capitals(tmp_path: Path, standin_bin: Path) -> None:
    weird = make_town(tmp_path, "My Gas TOWN")
    found = detect_json(weird.root)["gastown"]
    assert found["socket"] == weird.socket and found["socket"].startswith("my-gas-town-")
    assert found["server_running"] is False


def test_nothing_found_gives_hints_not_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    done = subprocess.run(
        [GT_MCP, "detect"], capture_output=True, text=True, cwd=tmp_path, check=False
    )
    assert done.returncode == 0 and "Traceback" not in done.stderr
    assert "not found" in done.stdout
    assert "install Gas Town" in done.stdout and "GT_TOWN_ROOT" in done.stdout
    assert "serve-http" in done.stdout


def test_garbage_gt_is_reported(town: StandinTown) -> None:
    town.answer("version", "\x00\x01 segfault? {not json", exit_code=2)
    gas = detect_json(town.root)["gastown"]
    assert gas["version"] is None and "exited 2" in gas["error"]


def test_env_town_root(tmp_path: Path, town: StandinTown, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GT_TOWN_ROOT", str(town.root))
    gas = detect_json(tmp_path / "home")["gastown"]
    assert gas["found_by"] == "GT_TOWN_ROOT" and gas["town_root"] == str(town.root)


def test_gt_tmux_socket_override(town: StandinTown, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GT_TMUX_SOCKET", "custom-sock")
    gas = detect_json(town.root)["gastown"]
    assert gas["socket"] == "custom-sock" and gas["socket_from"] == "GT_TMUX_SOCKET"


def test_a_frozen_town_server_is_not_called_down(town: StandinTown) -> None:
    """A server that does not answer (stopped, swapping) is said so, not "start it with gt up"."""
    subprocess.run(
        ["tmux", "-L", town.socket, "-f", "/dev/null", "new-session", "-d", "-s", "hq-mayor"],
        check=True,
    )
    pid = int(
        subprocess.run(
            ["tmux", "-L", town.socket, "display-message", "-p", "#{pid}"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    os.kill(pid, signal.SIGSTOP)
    try:
        gas = detect_json(town.root)["gastown"]
    finally:
        os.kill(pid, signal.SIGCONT)
        subprocess.run(["tmux", "-L", town.socket, "kill-server"], check=False)
    assert gas["server_running"] is False
    assert any("does not answer" in hint for hint in gas["hints"]), gas["hints"]
    assert not any("gt up" in hint for hint in gas["hints"])


def test_a_status_length_that_cuts_our_segment_is_said(tmux: TmuxServer) -> None:
    """tmux's default status-right-length (40) cuts a busy segment mid-number: detect says so."""
    tmux.run("set", "-g", "@gtmcp-python", sys.executable)
    tmux.run("set", "-g", "status-right", "#{gtmcp_status} %H:%M %d-%b-%y")
    tmux.load_plugin()
    tmux.run("set", "-g", "@gtmcp_status", "⚑2 ⛽ 12/14 ⚠3 40/52 ✉ 13 !2 ⚿25 ⚔1 ⇄ 12")
    env = {**os.environ, "TMUX": f"{tmux.out('display-message', '-p', '#{socket_path}')},1,0"}
    done = subprocess.run(
        [GT_MCP, "detect", "--json"], capture_output=True, text=True, env=env, timeout=30
    )
    hints = json.loads(done.stdout)["tmux"]["hints"]
    assert any(
        h.startswith("set -g status-right-length ") and "(40 cuts a busy bar" in h for h in hints
    ), hints
    tmux.run("set", "-g", "status-right-length", "120")
    done = subprocess.run(
        [GT_MCP, "detect", "--json"], capture_output=True, text=True, env=env, timeout=30
    )
    assert not any("status-right-length" in h for h in json.loads(done.stdout)["tmux"]["hints"])


@pytest.mark.parametrize("shown", ["⛽ 12/14 ⚠3 40/52 ✉ 13 !2", "⛽ 1/1"])
def test_detect_and_tmux_setup_recommend_the_same_length(
    tmux: TmuxServer, isolated_home: Path, shown: str
) -> None:
    """One rule: detect's hint and the length `tmux setup` writes are the same number, whether
    the bar shows a little more than the limit now or a quiet town (room for a busy one)."""
    tmux.run("set", "-g", "status-right", "#{@gtmcp_status} %H:%M %d-%b-%y")
    tmux.run("set", "-g", "@gtmcp_status", shown)
    env = {**os.environ, "TMUX": f"{tmux.out('display-message', '-p', '#{socket_path}')},1,0"}

    def run(*args: str) -> str:
        done = subprocess.run(
            [GT_MCP, *args], capture_output=True, text=True, env=env, timeout=30, check=True
        )
        return done.stdout

    hints = json.loads(run("detect", "--json"))["tmux"]["hints"]
    advised = [int(h.split()[3]) for h in hints if h.startswith("set -g status-right-length ")]
    (isolated_home / ".tmux.conf").write_bytes(b"set -g mouse on\n")
    run("tmux", "setup")
    written = block_lengths((isolated_home / ".tmux.conf").read_bytes())
    assert advised == [written["right"]], (hints, written)


def test_agent_mail_switched_off_is_not_even_probed() -> None:
    """`agent_mail = false` (the demo without --with-mail): detect says so and asks nothing."""
    import socket as sockets
    import threading

    listener = sockets.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    asked: list[bool] = []
    listener.settimeout(3)

    def accept() -> None:
        try:
            listener.accept()[0].close()
            asked.append(True)
        except OSError:
            pass

    thread = threading.Thread(target=accept)
    thread.start()
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    done = subprocess.run(
        [sys.executable, "-m", "gt_mcp_tmux", "detect", "--json"],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, "AGENT_MAIL_URL": url, "GT_MCP_AGENT_MAIL": "false"},
        check=False,
    )
    thread.join()
    listener.close()
    found = json.loads(done.stdout)["agent_mail"]
    assert (found["enabled"], found["up"], found["error"], asked) == (False, False, None, [])
    human = subprocess.run(
        [sys.executable, "-m", "gt_mcp_tmux", "detect"],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, "AGENT_MAIL_URL": url, "GT_MCP_AGENT_MAIL": "false"},
        check=False,
    )
    assert "agent mail  switched off (option agent_mail = false): not asked" in human.stdout
