"""Push user options into a tmux server: every change in one batched `tmux` call, only on change."""

from __future__ import annotations

from collections.abc import Mapping

from gt_mcp_tmux.sources.tmux.runner import run_tmux


def tmux_value(value: str) -> str:
    """tmux reads a trailing `;` in an argument as a command separator: send it as `\\;`."""
    return value[:-1] + "\\;" if value.endswith(";") and not value.endswith("\\;") else value


def set_commands(options: Mapping[str, str]) -> list[str]:
    """`set -gq @a v ; set -gq @b w` as one argv (no shell), values made separator-safe."""
    argv: list[str] = []
    for name, value in options.items():
        if argv:
            argv.append(";")
        argv += ["set-option", "-gq", name, tmux_value(value)]
    return argv


class OptionPusher:
    """Remembers what the server shows and sends only what changed, in one call."""

    def __init__(self, server_args: list[str], timeout: float = 2.0) -> None:
        self.server_args = server_args
        self.timeout = timeout
        self.shown: dict[str, str] = {}
        self.pushes = 0

    def push(self, options: Mapping[str, str], force: bool = False) -> bool:
        """Send the options whose value differs from what was last sent; True when tmux took them."""
        changed = {k: v for k, v in options.items() if force or self.shown.get(k) != v}
        if not changed:
            return True
        done = run_tmux([*self.server_args, *set_commands(changed)], timeout=self.timeout)
        if done is None or done.returncode != 0:
            return False
        self.shown.update(changed)
        self.pushes += 1
        return True
