"""Run `gt ... --json` with a hard timeout and turn its answer into data or a typed failure."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

from gt_mcp_tmux.messages import gt_missing
from gt_mcp_tmux.model import SourceError
from gt_mcp_tmux.passthrough import gt_command_name, resolve_gt
from gt_mcp_tmux.proc import Finished, TimedOut, run_bounded


@dataclass(frozen=True, slots=True)
class GtAnswer:
    """Parsed JSON from gt (`data`), or why there is none (`error`)."""

    data: Any = None
    error: SourceError | None = None


#: Variables of the user's own that gt may read; every other `GT_*` is an agent session's.
_KEPT_GT_VARIABLES = ("GT_TMUX_SOCKET", "GT_COMMAND")
#: Agent-session variables that are not `GT_*` (beads' actor names).
_AGENT_VARIABLES = ("BD_ACTOR", "BEADS_AGENT_NAME")


def gt_environment(environ: dict[str, str] | None = None) -> dict[str, str]:
    """The environment gt runs in: ours without an agent session's variables.

    gt touches the heartbeat of `GT_SESSION` on every command when `GT_ROLE` names a polecat,
    crew or dog: a watcher started from inside an agent's session would otherwise mark that
    agent as working every time it polls. `GT_MCP_*` (ours) and gt's user settings stay.
    """
    env = dict(os.environ if environ is None else environ)
    for key in list(env):
        agent_gt = key.startswith("GT_") and not key.startswith("GT_MCP_")
        if (agent_gt and key not in _KEPT_GT_VARIABLES) or key in _AGENT_VARIABLES:
            del env[key]
    return env


def first_line(text: str, limit: int = 160) -> str:
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    return line[:limit]


def error_line(stderr: str, limit: int = 160) -> str:
    """The line that says what went wrong: gt's `Error: ...` line, not the warning banner
    (`⚠️  WARNING: beads (bd) version issue: ...`) most commands print before it."""
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    chosen = next((ln for ln in lines if ln.startswith("Error:")), None)
    if chosen is None:
        banner = ("⚠", "WARNING", "beads (bd)", "Install with:", "Run gt doctor")
        chosen = next((ln for ln in lines if not ln.startswith(banner)), lines[0] if lines else "")
    return chosen[:limit]


def _run(args: list[str], source: str, timeout: float, cwd: str | None) -> Finished | SourceError:
    binary = resolve_gt()
    if binary is None:
        return SourceError(source, "missing", gt_missing(gt_command_name()))
    try:
        return run_bounded([binary, *args], timeout, cwd=cwd, env=gt_environment())
    except TimedOut:
        return SourceError(source, "timeout", f"gt {' '.join(args[:2])} took over {timeout:g}s")
    except OSError as err:
        return SourceError(source, "missing", f"cannot run {binary}: {err.strerror}")


def run_gt_json(
    args: list[str],
    source: str,
    timeout: float,
    cwd: str | None = None,
    plain_text_means: Any = None,
) -> GtAnswer:
    """Run gt and parse its JSON. Never raises.

    A non-zero exit with valid JSON is accepted (gt does that with warnings on stderr). Plain text
    where JSON was asked is `bad_output`, unless `plain_text_means` says what it stands for (gt
    prints `No rigs configured.` instead of `[]`).
    """
    done = _run(args, source, timeout, cwd)
    if isinstance(done, SourceError):
        return GtAnswer(error=done)
    text = done.stdout.strip()
    try:
        return GtAnswer(data=json.loads(text))
    except RecursionError:
        return GtAnswer(
            error=SourceError(source, "bad_output", "gt printed JSON nested too deep to read")
        )
    except ValueError:
        pass
    if plain_text_means is not None and done.returncode == 0 and not text.startswith(("{", "[")):
        return GtAnswer(data=plain_text_means)
    reason = error_line(done.stderr) or first_line(text) or "no output"
    if done.returncode != 0:
        return GtAnswer(
            error=SourceError(source, "error", f"gt exited {done.returncode}: {reason}")
        )
    return GtAnswer(error=SourceError(source, "bad_output", f"gt printed no JSON: {reason}"))


def gt_version(timeout: float = 3.0) -> tuple[str | None, str | None]:
    """(first line of `gt version`, None) or (None, one-line error)."""
    done = _run(["version"], "version", timeout, None)
    if isinstance(done, SourceError):
        return None, done.message
    line = first_line(done.stdout) or first_line(done.stderr)
    if done.returncode != 0:
        return None, f"gt version exited {done.returncode}: {line}"
    return line or None, None
