"""Run `gt ... --json` with a hard timeout and turn its answer into data or a typed failure."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from gt_mcp_tmux.model import SourceError
from gt_mcp_tmux.passthrough import GT_INSTALL_HINT, gt_command_name, resolve_gt
from gt_mcp_tmux.proc import Finished, TimedOut, run_bounded


@dataclass(frozen=True, slots=True)
class GtAnswer:
    """Parsed JSON from gt (`data`), or why there is none (`error`)."""

    data: Any = None
    error: SourceError | None = None


def first_line(text: str, limit: int = 160) -> str:
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    return line[:limit]


def _run(args: list[str], source: str, timeout: float, cwd: str | None) -> Finished | SourceError:
    binary = resolve_gt()
    if binary is None:
        return SourceError(source, "missing", f"{gt_command_name()} not found: {GT_INSTALL_HINT}")
    try:
        return run_bounded([binary, *args], timeout, cwd=cwd)
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
    except ValueError:
        pass
    if plain_text_means is not None and done.returncode == 0 and not text.startswith(("{", "[")):
        return GtAnswer(data=plain_text_means)
    reason = first_line(done.stderr) or first_line(text) or "no output"
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
