"""gt-mcp's own commands: one module per command (`create_<x>_subparser`, `command_<x>`), the
parser built from them, and the one place a command's failure becomes a one-line error."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable
from typing import Any

from gt_mcp_tmux import __version__
from gt_mcp_tmux.cli.common import CommandParser
from gt_mcp_tmux.config import ConfigError
from gt_mcp_tmux.output import error_line

DESCRIPTION = """\
gt-mcp: Gas Town and MCP Agent Mail in your tmux.

Any command that is not listed below goes to `gt` unchanged (same arguments, input, terminal and
exit code), so `gt-mcp sling gt-123 mayor` runs `gt sling gt-123 mayor`. Words gt has too (status,
mail, dashboard, config) are gt-mcp's only with the options shown here: `gt-mcp mail send ...` and
`gt-mcp status --fast` go to gt.
"""


#: Every own command and the module that has it, in the order `gt-mcp --help` lists them. A
#: command line names one: only that module is imported (`status --json` stays cheap).
SUBPARSERS: dict[str, str] = {
    "detect": "gt_mcp_tmux.cli.detect",
    "status": "gt_mcp_tmux.cli.status",
    "collector": "gt_mcp_tmux.cli.collector",
    "alerts": "gt_mcp_tmux.cli.alerts",
    "jump": "gt_mcp_tmux.cli.jump",
    "sling": "gt_mcp_tmux.cli.sling",
    "demo": "gt_mcp_tmux.demo.command",
    "config": "gt_mcp_tmux.cli.config",
    "dashboard": "gt_mcp_tmux.cli.dashboard",
    "mail": "gt_mcp_tmux.cli.mail",
    "bridge": "gt_mcp_tmux.cli.bridge",
    "tmux": "gt_mcp_tmux.cli.tmux",
    "queue": "gt_mcp_tmux.cli.queue",
    "peek": "gt_mcp_tmux.cli.peek",
}


def subparser_creator(command: str) -> Callable[[Any], None]:
    """`create_<command>_subparser` of the command's module (imported now)."""
    module = importlib.import_module(SUBPARSERS[command])
    create: Callable[[Any], None] = getattr(module, f"create_{command}_subparser")
    return create


def command_version(_: argparse.Namespace) -> int:
    from gt_mcp_tmux.sources.gastown.gt_cli import gt_version

    line, problem = gt_version()
    print(f"gt-mcp {__version__}")
    print(line if line else f"gt: {problem}")
    return 0


def build_parser(only: str | None = None) -> CommandParser:
    """The whole parser, or with `only` one command's (what parsing that command line needs)."""
    parser = CommandParser(
        prog="gt-mcp",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="store_true", help="gt-mcp's version and gt's")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=CommandParser)
    for command in [only] if only else SUBPARSERS:
        subparser_creator(command)(sub)
    return parser


def run(argv: list[str]) -> int:
    parser = build_parser(argv[0] if argv and argv[0] in SUBPARSERS else None)
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace], int] | None = getattr(args, "func", None)
    if args.version:
        func = command_version
    if func is None:
        parser.print_help()
        return 0
    try:
        return func(args)
    except ConfigError as err:
        error_line(str(err))
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except Exception as err:  # a traceback is never the answer; GT_MCP_DEBUG=1 shows it
        if os.environ.get("GT_MCP_DEBUG"):
            raise
        error_line(f"{type(err).__name__}: {err} (GT_MCP_DEBUG=1 shows details)")
        return 1


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
