"""`gt-mcp <anything not ours>` is `gt <anything>`: argv to the byte, stdin, tty, exit code, signals."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

GT_MCP = str(Path(sys.executable).parent / "gt-mcp")


def logged_argv(tmp_path: Path) -> list[list[str]]:
    lines = (tmp_path / "gt-argv.jsonl").read_text(encoding="utf-8", errors="surrogateescape")
    return [json.loads(line)["argv"] for line in lines.splitlines()]


HOSTILE_ARGVS = [
    ["sling", "gt-123", "mayor", "--quality=chrome"],
    [
        "sling",
        "gt-abc12",
        "gastown",
        "--var",
        "k=v",
        "--var",
        "x=a b",
        "--args",
        'say "hi"; rm -rf /',
    ],
    ["sling", "", "  ", "unicode ✓ 猫", "$(touch pwned)", "#{pane_id}", "a\nb", "\\;"],
    ["mail", "send", "--subject", "'single' \"double\" `tick`"],
]


@pytest.mark.parametrize("argv", HOSTILE_ARGVS)
def test_argv_reaches_gt_byte_for_byte(standin_bin: Path, tmp_path: Path, argv: list[str]) -> None:
    done = subprocess.run([GT_MCP, *argv], capture_output=True, text=True, check=False)
    assert logged_argv(tmp_path) == [argv]
    assert not (tmp_path / "pwned").exists()
    assert "Traceback" not in done.stderr


def test_non_utf8_argv_survives(standin_bin: Path, tmp_path: Path) -> None:
    raw = b"caf\xe9-\xff"
    subprocess.run([GT_MCP.encode(), b"sling", raw], capture_output=True, check=False)
    line = (tmp_path / "gt-argv.jsonl").read_bytes()
    assert (
        json.loads(line.decode("utf-8", "surrogateescape"))["argv"][1].encode(
            "utf-8", "surrogateescape"
        )
        == raw
    )


def test_stdin_and_stdout_pass_through(standin_bin: Path) -> None:
    payload = b"line one\n\x00binary\xff\nlast"
    done = subprocess.run([GT_MCP, "standin-cat"], input=payload, capture_output=True, check=False)
    assert done.stdout == payload


@pytest.mark.parametrize("code", [0, 1, 3, 42, 255])
def test_exit_code_is_gts(standin_bin: Path, code: int) -> None:
    assert subprocess.run([GT_MCP, "standin-exit", str(code)], check=False).returncode == code


def test_gt_keeps_the_terminal(standin_bin: Path, tmp_path: Path) -> None:
    """Under a real pty (script), gt sees a tty on stdin and stdout, as if typed directly."""
    out = tmp_path / "tty.txt"
    cmd = f"{GT_MCP} standin-tty > /dev/tty; {GT_MCP} standin-tty"
    done = subprocess.run(
        ["script", "-qec", cmd, str(out)],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
        timeout=30,
    )
    assert "stdin=True stdout=True" in done.stdout


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signals_reach_gt(standin_bin: Path, tmp_path: Path, sig: signal.Signals) -> None:
    mark = tmp_path / "signal.txt"
    proc = subprocess.Popen([GT_MCP, "standin-wait-signal", str(mark)], stdout=subprocess.PIPE)
    assert proc.stdout is not None
    assert proc.stdout.readline() == b"ready\n"  # gt itself is running: gt-mcp exec'd into it
    os.kill(proc.pid, sig)
    assert proc.wait(timeout=10) == 128 + sig
    assert mark.read_text() == sig.name


def test_missing_gt_is_one_line_and_127(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("GT_MCP_GT", raising=False)
    done = subprocess.run([GT_MCP, "sling", "gt-1"], capture_output=True, text=True, check=False)
    assert done.returncode == 127
    assert done.stderr.count("\n") == 1 and "not found" in done.stderr
    assert "Traceback" not in done.stderr


def test_gt_mcp_gt_names_the_binary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GT_MCP_GT", str(tmp_path / "nope" / "gt"))
    done = subprocess.run([GT_MCP, "rig", "list"], capture_output=True, text=True, check=False)
    assert done.returncode == 127 and str(tmp_path / "nope" / "gt") in done.stderr


def test_empty_gt_mcp_gt_falls_back_to_path(
    standin_bin: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GT_MCP_GT", "")
    monkeypatch.setenv("PATH", f"{standin_bin.parent}{os.pathsep}{os.environ['PATH']}")
    subprocess.run([GT_MCP, "hook", "show"], capture_output=True, check=False)
    assert logged_argv(tmp_path) == [["hook", "show"]]


def test_passthrough_imports_nothing_heavy(standin_bin: Path) -> None:
    code = (
        "import sys; sys.argv=['gt-mcp','standin-exit','0'];"
        "import os; os.execv = lambda *a: (print(sorted(m for m in sys.modules"
        " if m.split('.')[0] in {'rich','libtmux','psutil','json','argparse','subprocess'})),"
        " sys.exit(0));"
        "from gt_mcp_tmux.cli import main; main()"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_version_shows_both(standin_bin: Path) -> None:
    done = subprocess.run([GT_MCP, "--version"], capture_output=True, text=True, check=True)
    lines = done.stdout.splitlines()
    assert lines[0].startswith("gt-mcp ") and lines[1].startswith("gt version 1.0.1")


def test_version_without_gt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    done = subprocess.run([GT_MCP, "--version"], capture_output=True, text=True, check=False)
    assert done.returncode == 0 and "not found" in done.stdout.splitlines()[1]


def test_help_lists_own_commands_and_the_rule(standin_bin: Path, tmp_path: Path) -> None:
    done = subprocess.run([GT_MCP, "--help"], capture_output=True, text=True, check=True)
    assert "detect" in done.stdout and "goes to `gt` unchanged" in done.stdout
    assert not (tmp_path / "gt-argv.jsonl").exists()


def test_gt_mcp_becomes_gt_in_the_same_process(standin_bin: Path) -> None:
    """gt-mcp exec's: the pid the caller holds is gt's, so job control and signals just work."""
    proc = subprocess.Popen([GT_MCP, "standin-wait-signal", "/dev/null"], stdout=subprocess.PIPE)
    assert proc.stdout is not None
    proc.stdout.readline()
    cmdline = Path(f"/proc/{proc.pid}/cmdline").read_bytes().split(b"\0")
    proc.terminate()
    proc.wait(timeout=10)
    assert any(part.endswith(b"gt.py") for part in cmdline)


def test_a_file_that_is_not_executable_is_said_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain = tmp_path / "gt"
    plain.write_text("not a program")
    monkeypatch.setenv("GT_MCP_GT", str(plain))
    done = subprocess.run([GT_MCP, "sling", "x"], capture_output=True, text=True, check=False)
    assert done.returncode == 126 and "is not executable" in done.stderr


def test_every_own_command_is_routed_to_gt_mcp() -> None:
    """A command added to the parser but not to OWN_COMMANDS/SHARED_COMMANDS would go to gt."""
    from gt_mcp_tmux.cli import OWN_COMMANDS, SHARED_COMMANDS, SHARED_WITH_A_NAME
    from gt_mcp_tmux.cli.parser import SUBPARSERS, build_parser

    parser = build_parser()
    (sub,) = [a for a in parser._actions if a.dest == "command"]
    assert sub.choices is not None
    assert set(sub.choices) == OWN_COMMANDS | set(SHARED_COMMANDS) | set(SHARED_WITH_A_NAME)
    assert list(sub.choices) == list(SUBPARSERS)  # each module makes the command it is listed for
    for command in SUBPARSERS:  # and a command line naming one parses with that one alone
        (alone,) = [a for a in build_parser(command)._actions if a.dest == "command"]
        assert alone.choices is not None and list(alone.choices) == [command]


def test_a_mistyped_own_command_says_so_when_gt_is_missing(tmp_path: Path) -> None:
    done = subprocess.run(
        [GT_MCP, "detcet"],
        capture_output=True,
        text=True,
        env={**os.environ, "GT_MCP_GT": str(tmp_path / "no-gt")},
        timeout=30,
    )
    assert done.returncode == 127
    assert "`detcet` is not a gt-mcp command" in done.stderr and "not found" in done.stderr
