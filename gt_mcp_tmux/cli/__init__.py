"""`gt-mcp`: gastown-mcp's own commands; every other command goes to `gt` untouched.

The passthrough path imports nothing but `os` and `sys`: the own commands load lazily.
"""

from __future__ import annotations

import sys

from gt_mcp_tmux.passthrough import exec_gt

#: First words only gt-mcp has: always ours.
OWN_COMMANDS = frozenset(
    {"detect", "collector", "tmux", "bridge", "alerts", "jump", "demo", "queue"}
)
#: First words gt has too (`gt status`, `gt mail send`, `gt dashboard`, `gt config`): ours only
#: when every further argument is one of ours, so `gt-mcp mail send ...` still reaches gt.
SHARED_COMMANDS: dict[str, frozenset[str]] = {
    "status": frozenset({"--json", "--all", "--popup", "--client", "-h", "--help"}),
    "dashboard": frozenset({"--once", "--popup", "--json", "-h", "--help"}),
    "config": frozenset({"init", "--force", "-h", "--help"}),
    "sling": frozenset({"--popup"}),  # bare `gt-mcp sling` is the picker; with arguments, gt's
    "mail": frozenset({"--json", "--popup", "--project", "--agent", "--message", "-h", "--help"}),
}
#: Shared first words whose own form names one thing (`peek AGENT`): ours with at most one
#: name and these options (those in `TAKES_VALUE` followed by their value); gt's otherwise.
SHARED_WITH_A_NAME: dict[str, frozenset[str]] = {
    "peek": frozenset({"--json", "--lines", "-h", "--help"}),
}
TAKES_VALUE = frozenset({"--lines", "--project", "--agent", "--message", "--client"})
OWN_FLAGS = frozenset({"-h", "--help", "--version"})
#: What a popup started by scripts/popup.sh is given after its pre-rendered frame was shown.
FRAME_ARG = "--frame="


def is_own(args: list[str]) -> bool:
    """Whether gt-mcp answers this command line itself (else it is `gt`'s)."""
    if not args or args[0] in OWN_COMMANDS or args[0] in OWN_FLAGS:
        return True
    named = SHARED_WITH_A_NAME.get(args[0])
    if named is not None:
        return _fits(args[1:], named, names=1)
    allowed = SHARED_COMMANDS.get(args[0])
    if allowed is None:
        return False
    popup = "--popup" in args[1:]  # a popup's --frame=PATH (scripts/popup.sh): the frame it showed
    rest = [arg for arg in args[1:] if not (popup and arg.startswith(FRAME_ARG))]
    return _fits(rest, allowed, names=0)


def _fits(rest: list[str], allowed: frozenset[str], names: int) -> bool:
    """Whether `rest` is only our options (with their values) and at most `names` names."""
    i = 0
    while i < len(rest):
        arg = rest[i]
        option = arg.split("=", 1)[0]
        if option in allowed:
            takes = option in TAKES_VALUE and "=" not in arg
            i += 2 if takes else 1
            continue
        if arg.startswith("-") or names == 0:
            return False
        names -= 1
        i += 1
    return True


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not is_own(args):
        return exec_gt(args, _why_gts(args))
    if args == ["status", "--json"] and _print_fresh_cache():
        return 0
    from gt_mcp_tmux.cli.parser import run

    return run(args)


def _why_gts(args: list[str]) -> str:
    """For a shared first word whose rest is not ours (`config set`, `status --bogus`): that
    this form is gt's, and what ours takes (said only when gt is missing)."""
    ours = SHARED_COMMANDS.get(args[0]) if args else None
    if ours is None:
        ours = SHARED_WITH_A_NAME.get(args[0]) if args else None
    if ours is None:
        return ""
    takes = ", ".join(sorted(o for o in ours if o not in ("-h", "--help")))
    shown = " ".join(args[:3]) + (" …" if len(args) > 3 else "")
    return f"`{shown}` is gt's (gt-mcp's own `{args[0]}` takes {takes})"


def _print_fresh_cache() -> bool:
    """`status --json` from a fresh cache: its text as the collector wrote it, before argparse
    and the rest of the package load (they cost 5x the interpreter's own start)."""
    import os

    if os.environ.get("GT_MCP_SNAPSHOT"):  # views_data.SNAPSHOT_ENV: a saved snapshot instead
        return False
    from gt_mcp_tmux import __version__
    from gt_mcp_tmux.private_files import fresh_text

    text = fresh_text(__version__)
    if text is None:
        return False
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:  # `| head`: what was wanted was read
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return True


if __name__ == "__main__":
    raise SystemExit(main())
