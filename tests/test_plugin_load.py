"""Loading gastown-mcp.tmux into a real tmux server: tokens, idempotency, the install hint."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.harness import PROJECT, Screen, TmuxServer
from tests.waiting import retry_until

PLUGIN = PROJECT / "gastown-mcp.tmux"
STALE = "#{?#{e|>:#{e|-|:%s,#{@_gtmcp_heartbeat}},#{@_gtmcp_stale_after}},#{@_gtmcp_stale},}"


def ref(token: str) -> str:
    """What the plugin turns `#{token}` into (the combined segment carries the pane's
    reservation warning, a pane option, after it)."""
    if token == "gtmcp_reserved":
        return "#{@gtmcp_reserved}"
    reserved = "#{@gtmcp_reserved}" if token == "gtmcp_status" else ""
    return STALE + "#{@" + token + "}" + reserved


def test_plugin_file_is_executable_with_shebang() -> None:
    assert PLUGIN.stat().st_mode & 0o111
    assert PLUGIN.read_text().startswith("#!/usr/bin/env bash\n")


def test_tokens_become_option_references_and_nothing_else_changes(tmux: TmuxServer) -> None:
    tmux.run(
        "set", "-g", "status-right", "#[fg=blue]#{gtmcp_status} | #(date) %H:%M #{gtmcp_mail}\\;"
    )  # \\; stores a trailing ;
    tmux.run("set", "-g", "status-left", "[#S] #{gtmcp_gastown}#{gtmcp_bridge}")
    tmux.run("set", "-g", "@gtmcp-python", sys.executable)
    for _ in range(3):
        tmux.load_plugin()
    status_right = f"#[fg=blue]{ref('gtmcp_status')} | #(date) %H:%M {ref('gtmcp_mail')};"
    assert tmux.option("status-right") == status_right
    assert tmux.option("status-left") == f"[#S] {ref('gtmcp_gastown')}{ref('gtmcp_bridge')}"


def test_status_line_without_tokens_is_left_alone(tmux: TmuxServer) -> None:
    before = tmux.option("status-right")
    tmux.run("set", "-g", "@gtmcp-python", sys.executable)
    tmux.load_plugin()
    assert tmux.option("status-right") == before


def test_missing_install_is_told_at_the_first_attach_once(tmux: TmuxServer, tmp_path: Path) -> None:
    """A TPM user's first load runs before any client is attached: the reminder waits for the
    first client (a client-attached hook that removes itself), and every key already works."""
    tmux.run("set", "-g", "@gtmcp-python", str(tmp_path / "no-venv" / "python"))
    tmux.load_plugin()
    assert tmux.option("@_gtmcp-told-install") == ""  # nobody has seen it yet
    assert "popup.sh quick" in tmux.out("list-keys", "-T", "prefix", "g")
    screen = Screen(tmux)
    try:
        text = screen.wait_for(lambda t: "install.sh once" in t)
        assert "run " in text and "install.sh once to finish the set-up" in text
        assert retry_until(lambda: tmux.option("@_gtmcp-told-install") == "1", 5)
        assert "4747" not in tmux.out("show-hooks", "-g")  # told once: the hook is gone
        screen.keys("C-b", "g")
        assert "not installed yet: run" in screen.wait_for(lambda t: "not installed yet" in t)
    finally:
        screen.close()
    tmux.run("set", "-g", "@_gtmcp-told-install", "2")  # a later load must not tell again
    tmux.load_plugin()
    assert tmux.option("@_gtmcp-told-install") == "2" and "4747" not in tmux.out("show-hooks", "-g")


def test_plugin_runs_from_any_cwd(tmux: TmuxServer, tmp_path: Path) -> None:
    tmux.run("set", "-g", "status-right", "#{gtmcp_status}")
    tmux.run("set", "-g", "@gtmcp-python", sys.executable)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    link_dir = tmp_path / "linked"
    link_dir.symlink_to(PLUGIN.parent)
    subprocess.run(
        ["tmux", "-L", tmux.socket, "run-shell", f"cd {elsewhere} && {link_dir}/{PLUGIN.name}"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert tmux.option("status-right") == ref("gtmcp_status")
    assert Path(tmux.option("@_gtmcp-plugin-dir")).resolve() == PROJECT


def test_load_is_quick_enough_for_a_reload(tmux: TmuxServer) -> None:
    """Budget check by counting work, not time: the .tmux file makes at most 3 tmux calls (read
    the options, read the prefix key table so that no key of the user's is taken, write)."""
    tmux.run("set", "-g", "@gtmcp-python", sys.executable)
    trace = subprocess.run(
        ["bash", "-xc", f". {PLUGIN}"],
        capture_output=True,
        text=True,
        env={
            "PATH": "/usr/bin:/bin",
            "HOME": "/nonexistent",
            "TMUX": tmux.out("display-message", "-p", "#{socket_path}") + ",1,0",
        },
        check=False,
    )
    calls = [ln for ln in trace.stderr.splitlines() if ln.lstrip("+ ").startswith("tmux ")]
    assert len(calls) <= 3, calls


def test_tokens_work_in_every_status_line_and_the_window_list(tmux: TmuxServer) -> None:
    """A two-line status (status-format[1]) and the window list's formats take the tokens too."""
    tmux.run("set", "-g", "@gtmcp-python", sys.executable)
    tmux.run("set", "-g", "status", "2")
    tmux.run("set", "-g", "status-format[1]", "#[align=right]#{gtmcp_status}")
    tmux.run("set", "-g", "window-status-format", "#I:#W #{gtmcp_gastown}")
    default_first_line = tmux.out("show-options", "-gv", "status-format[0]")
    tmux.load_plugin()
    assert "#{@gtmcp_status}" in tmux.out("show-options", "-gv", "status-format[1]")
    assert "#{@gtmcp_gastown}" in tmux.out("show-options", "-gwv", "window-status-format")
    assert tmux.out("show-options", "-gv", "status-format[0]") == default_first_line
    tmux.run("set", "-g", "@gtmcp_status", "STATUS-HERE")
    assert "STATUS-HERE" in tmux.out("display-message", "-p", "#{E:status-format[1]}")


def test_a_reload_with_a_client_attached_tells_at_once(tmux: TmuxServer, tmp_path: Path) -> None:
    screen = Screen(tmux)
    try:
        screen.wait_for(lambda t: bool(t.strip()))
        tmux.run("set", "-g", "@gtmcp-python", str(tmp_path / "no-venv" / "python"))
        tmux.load_plugin()
        # told now: the mark is set in the same tmux call as the message, after it (a failed
        # display-message would stop the call), and nothing is left waiting for an attach.
        # (The message itself shows for tmux's display-time, too short to catch every time.)
        assert tmux.option("@_gtmcp-told-install") == "1"
        assert "4747" not in tmux.out("show-hooks", "-g")
    finally:
        screen.close()
