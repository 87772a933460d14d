"""A stand-in for Gas Town's `gt` binary (the real one is a Go program not installable everywhere).

The tests use it, and `gt-mcp demo` serves its simulated town through it. It prints exactly what the
real `gt` prints for the commands gastown-mcp uses, from files in `$STANDIN_GT_DATA`, and records
every argv it gets as a JSON line in `$STANDIN_GT_LOG` (when set).

Answer files are named by the command's words: `status.json` (`gt status --json`),
`status-fast.json` (`... --fast`), `convoy_list.json`, `ready.json`, `sling.txt`, `rig_list.txt`
(plain text), ... Beside one, `<key>.exit` holds an exit code, `<key>.sleep` seconds to hang first,
`<key>.stderr` noise for stderr. A few `standin-*` commands help test the passthrough itself.
Writers replace answer files atomically (see `demo.town_layout.write_answer`), so a reader never
sees half a file.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import stat
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path


def command_key(argv: list[str]) -> str:
    words = [a for a in argv if not a.startswith("-")]
    key = (
        "_".join(words[:2])
        if words[:1] in (["convoy"], ["rig"], ["crew"], ["polecat"], ["deacon"], ["hook"])
        else "_".join(words[:1])
    )
    if "--fast" in argv:
        key += "-fast"
    return key or "help"


def install(bin_dir: Path, command: Sequence[str], env: Mapping[str, str] | None = None) -> Path:
    """An executable `gt` in `bin_dir` that runs `command` (argv of the stand-in) with `env` set."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    gt = bin_dir / "gt"
    assigns = "".join(f"{key}={shlex.quote(value)} " for key, value in (env or {}).items())
    argv = " ".join(shlex.quote(part) for part in command)
    gt.write_text(f'#!/bin/sh\n{assigns}exec {argv} "$@"\n')
    gt.chmod(gt.stat().st_mode | stat.S_IEXEC)
    return gt


def main(argv: list[str]) -> int:
    log = os.environ.get("STANDIN_GT_LOG")
    if log:
        with open(log, "a", encoding="utf-8", errors="surrogateescape") as fh:
            # the GT_* / BD_* variables it was given: gastown-mcp must not pass an agent's
            env = {
                k: v
                for k, v in os.environ.items()
                if k.startswith(("GT_", "BD_")) and not k.startswith("GT_MCP_")
            }
            record = {"argv": argv, "cwd": os.getcwd(), "env": env}
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    head = argv[0] if argv else ""
    if head == "standin-cat":
        sys.stdout.buffer.write(sys.stdin.buffer.read())
        return 0
    if head == "standin-exit":
        return int(argv[1])
    if head == "standin-tty":
        print(f"stdin={os.isatty(0)} stdout={os.isatty(1)}")
        return 0
    if head == "standin-wait-signal":
        target = Path(argv[1])

        def note(signum: int, _frame: object) -> None:
            target.write_text(signal.Signals(signum).name)
            sys.exit(128 + signum)

        signal.signal(signal.SIGTERM, note)
        signal.signal(signal.SIGINT, note)
        print("ready", flush=True)
        time.sleep(20)
        return 0

    data = Path(os.environ.get("STANDIN_GT_DATA", "/nonexistent"))
    key = command_key(argv)
    for suffix, action in ((".sleep", "sleep"), (".stderr", "stderr")):
        extra = data / (key + suffix)
        if extra.exists():
            if action == "sleep":
                time.sleep(float(extra.read_text()))
            else:
                sys.stderr.write(extra.read_text())
    code_file = data / (key + ".exit")
    code = int(code_file.read_text()) if code_file.exists() else 0
    for suffix in (".json", ".txt"):
        answer = data / (key + suffix)
        if answer.exists():
            sys.stdout.write(answer.read_text())
            return code
    if key == "version":
        print("gt version 1.0.1 (dev: main@0f3c2a1)")
        return 0
    sys.stderr.write(f'Error: unknown command {head!r} for "gt"\n')
    return 1


def run() -> None:
    sys.exit(main(sys.argv[1:]))


if __name__ == "__main__":
    run()
