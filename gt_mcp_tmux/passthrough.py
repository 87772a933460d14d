"""Hand a command to the real `gt`, byte for byte, by replacing this process.

This module is on the hot path of every `gt-mcp <gt command>`: it imports only `os`, `sys` and
the plain strings of `messages`.
"""

from __future__ import annotations

import os
import sys

from gt_mcp_tmux.messages import gt_missing


def gt_command_name(environ: os._Environ[str] | dict[str, str] | None = None) -> str:
    """The `gt` binary to run: `$GT_MCP_GT` when set and non-empty, else `gt`."""
    env = os.environ if environ is None else environ
    return env.get("GT_MCP_GT") or "gt"


def find_program(name: str, environ: os._Environ[str] | dict[str, str] | None = None) -> str | None:
    """Like `shutil.which` (without importing shutil): a path, or a name looked up on PATH."""
    env = os.environ if environ is None else environ
    if os.sep in name:
        return name if os.access(name, os.X_OK) and not os.path.isdir(name) else None
    for folder in env.get("PATH", os.defpath).split(os.pathsep):
        candidate = os.path.join(folder or ".", name)
        if os.access(candidate, os.X_OK) and not os.path.isdir(candidate):
            return candidate
    return None


def resolve_gt(environ: os._Environ[str] | dict[str, str] | None = None) -> str | None:
    """Absolute path of the `gt` binary, or None when it cannot be found or run."""
    env = os.environ if environ is None else environ
    return find_program(gt_command_name(env), env)


def exec_gt(args: list[str], why: str = "") -> int:
    """Replace this process with `gt args...`; return 127 (after one line) when it is missing.
    `why`: what made the command line gt's (said then), else "not a gt-mcp command".

    `exec` keeps stdin, the tty, signals and the exit code exactly as if the user had typed `gt`.
    """
    name = gt_command_name()
    path = resolve_gt()
    if path is None:
        # a typo of one of our own commands reads as a missing install otherwise
        what = why or (
            f"`{args[0]}` is not a gt-mcp command (gt-mcp --help), so it is gt's" if args else ""
        )
        code = 126 if os.sep in name and os.path.isfile(name) else 127
        sys.stderr.write(f"gt-mcp: {what + ', and ' if what else ''}{gt_missing(name)}\n")
        return code
    sys.stdout.flush()
    try:
        os.execv(path, [name, *args])
    except OSError as err:
        sys.stderr.write(f"gt-mcp: cannot run `{path}`: {err.strerror}\n")
        return 126
    return 0  # not reached
