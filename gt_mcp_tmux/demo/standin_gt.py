"""A stand-in for Gas Town's `gt` binary (the real one is a Go program not installable everywhere).

The tests use it, and `gt-mcp demo` serves its simulated town through it. It prints exactly what the
real `gt` prints for the commands gastown-mcp uses, from files in `$STANDIN_GT_DATA`, and records
every argv it gets as a JSON line in `$STANDIN_GT_LOG` (when set). `gt nudge` with no answer set
delivers: the message goes to `nudges.jsonl`, which the demo shows in the agent's pane.

Answer files are named by the command's words: `status.json` (`gt status --json`),
`status-fast.json` (`... --fast`), `convoy_list.json`, `ready.json`, `sling.txt`, `rig_list.txt`
(plain text), ...; a command naming one thing (`gt convoy status <id>`) is answered from
`<key>/<id>.json` first. Beside one, `<key>.exit` holds an exit code, `<key>.sleep` seconds to
hang first, `<key>.stderr` noise for stderr. A few `standin-*` commands help test the passthrough itself.
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
from typing import Any


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
    words = [a for a in argv if not a.startswith("-")]
    by_name = [data / key / f"{words[2]}.json"] if len(words) > 2 and "/" not in words[2] else []
    for answer in [*by_name, data / f"{key}.json", data / f"{key}.txt"]:
        if answer.exists():
            sys.stdout.write(answer.read_text())
            return code
    if key == "version":
        print("gt version 1.0.1 (dev: main@0f3c2a1)")
        return 0
    if key == "nudge":
        return _nudge(data, argv[1:])
    sys.stderr.write(f'Error: unknown command {head!r} for "gt"\n')
    return 1


#: Where a nudge goes when no `nudge` answer is set: the demo's simulator reads it each beat and
#: shows the message in the agent's pane (a stuck polecat gets going again).
NUDGES_FILE = "nudges.jsonl"


def _nudge(data: Path, args: list[str]) -> int:
    """`gt nudge <target> [--message=TEXT | -m TEXT | TEXT...]`: the message for the target,
    appended to `NUDGES_FILE`; a target the town's status does not list is refused, as gt does."""
    target, words, message = "", [], None
    i = 0
    while i < len(args):
        arg = args[i]
        if arg.startswith("--message="):
            message = arg.split("=", 1)[1]
        elif arg in ("--message", "-m") and i + 1 < len(args):
            message, i = args[i + 1], i + 1
        elif arg.startswith("-"):
            pass  # --mode, --force, ...: every mode delivers here
        elif not target:
            target = arg
        else:
            words.append(arg)
        i += 1
    text = message if message is not None else " ".join(words)
    if not target or not text:
        sys.stderr.write("Error: requires a target and a message\n")
        return 1
    try:
        status = json.loads((data / "status.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        status = {}
    known = {str(a.get("address", "")).rstrip("/") for a in _agents(status)}
    if known and target.rstrip("/") not in known:
        sys.stderr.write(f"Error: no agent {target!r} in this town\n")
        return 1
    record = {"to": target, "message": text, "at": time.time()}
    with (data / NUDGES_FILE).open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    print(f"Nudged {target}")
    return 0


def _agents(status: Any) -> list[dict[str, Any]]:
    """Every agent of a `gt status --json` document: the town's and each rig's."""
    if not isinstance(status, dict):
        return []
    found = [a for a in status.get("agents") or [] if isinstance(a, dict)]
    for rig in status.get("rigs") or []:
        if isinstance(rig, dict):
            found += [a for a in rig.get("agents") or [] if isinstance(a, dict)]
    return found


def run() -> None:
    sys.exit(main(sys.argv[1:]))


if __name__ == "__main__":
    run()
