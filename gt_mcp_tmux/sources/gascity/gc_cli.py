"""`gc` commands, bounded, for when the supervisor's API does not answer: `gc session list
--json`, `gc mail count human`, `gc convoy list` (its only form: a table) and `gc version`.

gc runs in the city's folder, without an agent session's variables (`GC_SESSION_*`, `GC_ALIAS`,
`GC_AGENT`, ...: a watcher started inside a city session must not act as that agent).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from gt_mcp_tmux.messages import INSTALL_GC
from gt_mcp_tmux.model import SourceError
from gt_mcp_tmux.passthrough import find_program
from gt_mcp_tmux.proc import Finished, TimedOut, run_bounded
from gt_mcp_tmux.sources.gastown.gt_cli import first_line

#: The user's own Gas City settings; every other `GC_*` belongs to an agent's session.
_KEPT_GC_VARIABLES = ("GC_HOME", "GC_BEADS", "GC_DOLT", "GC_MAIL", "GC_CEILING_DIRECTORIES")


def gc_command_name(environ: dict[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    return env.get("GT_MCP_GC") or "gc"


def gc_environment(root: Path, environ: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ if environ is None else environ)
    for key in list(env):
        if (key.startswith("GC_") and key not in _KEPT_GC_VARIABLES) or key in (
            "BEADS_ACTOR",
            "BEADS_DIR",
        ):
            del env[key]
    env["GC_CITY"] = str(root)
    return env


def run_gc(args: list[str], root: Path, source: str, timeout: float) -> Finished | SourceError:
    binary = find_program(gc_command_name())
    if binary is None:
        return SourceError(source, "missing", f"{gc_command_name()} not found: {INSTALL_GC}")
    try:
        return run_bounded([binary, *args], timeout, cwd=str(root), env=gc_environment(root))
    except TimedOut:
        return SourceError(source, "timeout", f"gc {' '.join(args[:2])} took over {timeout:g}s")
    except OSError as err:
        return SourceError(source, "missing", f"cannot run {binary}: {err.strerror or err}")


def _failed(done: Finished, source: str, what: str) -> SourceError:
    reason = first_line(done.stderr) or first_line(done.stdout) or "no output"
    return SourceError(source, "error", f"gc {what} exited {done.returncode}: {reason}")


def gc_json(args: list[str], root: Path, source: str, timeout: float) -> Any:
    """gc's JSON answer, or a SourceError."""
    done = run_gc(args, root, source, timeout)
    if isinstance(done, SourceError):
        return done
    if done.returncode != 0:
        return _failed(done, source, " ".join(args[:2]))
    try:
        return json.loads(done.stdout)
    except (ValueError, RecursionError):
        return SourceError(source, "bad_output", f"gc {' '.join(args[:2])} printed no JSON")


def gc_text(args: list[str], root: Path, source: str, timeout: float) -> str | SourceError:
    done = run_gc(args, root, source, timeout)
    if isinstance(done, SourceError):
        return done
    if done.returncode != 0:
        return _failed(done, source, " ".join(args[:2]))
    return done.stdout


def gc_version(root: Path, timeout: float = 3.0) -> str | None:
    answer = gc_text(["version"], root, "version", timeout)
    return None if isinstance(answer, SourceError) else (first_line(answer) or None)
