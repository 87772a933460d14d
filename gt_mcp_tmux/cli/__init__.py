"""`gt-mcp`: gastown-mcp's own commands; every other command goes to `gt` untouched.

The passthrough path imports nothing but `os` and `sys`: the own commands load lazily.
"""

from __future__ import annotations

import sys

from gt_mcp_tmux.passthrough import exec_gt

#: First words only gt-mcp has: always ours.
OWN_COMMANDS = frozenset({"detect", "collector", "tmux", "bridge", "alerts", "jump", "demo"})
#: First words gt has too (`gt status`, `gt mail send`, `gt dashboard`, `gt config`): ours only
#: when every further argument is one of ours, so `gt-mcp mail send ...` still reaches gt.
SHARED_COMMANDS: dict[str, frozenset[str]] = {
    "status": frozenset({"--json", "--all", "--popup", "-h", "--help"}),
    "mail": frozenset({"--json", "--popup", "-h", "--help"}),
    "dashboard": frozenset({"--once", "--popup", "--json", "-h", "--help"}),
    "config": frozenset({"init", "--force", "-h", "--help"}),
    "sling": frozenset({"--popup"}),  # bare `gt-mcp sling` is the picker; with arguments, gt's
}
OWN_FLAGS = frozenset({"-h", "--help", "--version"})
#: What a popup started by scripts/popup.sh is given after its pre-rendered frame was shown.
FRAME_ARG = "--frame="


def is_own(args: list[str]) -> bool:
    """Whether gt-mcp answers this command line itself (else it is `gt`'s)."""
    if not args or args[0] in OWN_COMMANDS or args[0] in OWN_FLAGS:
        return True
    allowed = SHARED_COMMANDS.get(args[0])
    popup = "--popup" in args[1:]  # a popup's --frame=PATH (scripts/popup.sh): the frame it showed
    return allowed is not None and all(
        arg in allowed or (popup and arg.startswith(FRAME_ARG)) for arg in args[1:]
    )


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not is_own(args):
        return exec_gt(args)
    from gt_mcp_tmux.cli.parser import run

    return run(args)


if __name__ == "__main__":
    raise SystemExit(main())
