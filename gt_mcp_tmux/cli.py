"""`gt-mcp`: gastown-mcp's own commands; every other command goes to `gt` untouched.

The passthrough path imports nothing but `os` and `sys`: the own commands load lazily.
"""

from __future__ import annotations

import sys

from gt_mcp_tmux.passthrough import exec_gt

#: First words gt-mcp answers itself. Everything else is `exec`'d as `gt <args>`.
OWN_COMMANDS = frozenset({"status", "dashboard", "detect", "tmux", "collector", "config"})
OWN_FLAGS = frozenset({"-h", "--help", "--version"})


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] not in OWN_COMMANDS and args[0] not in OWN_FLAGS:
        return exec_gt(args)
    from gt_mcp_tmux.commands import run

    return run(args)


if __name__ == "__main__":
    raise SystemExit(main())
