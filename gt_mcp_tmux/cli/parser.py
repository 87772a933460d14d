"""gt-mcp's own commands: one module per command (`create_<x>_subparser`, `command_<x>`), the
parser built from them, and the one place a command's failure becomes a one-line error."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from typing import Any

from gt_mcp_tmux import __version__
from gt_mcp_tmux.cli import (
    alerts,
    bridge,
    collector,
    config,
    dashboard,
    detect,
    jump,
    mail,
    sling,
    status,
    tmux,
)
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


def _demo_subparser(sub: Any) -> None:
    from gt_mcp_tmux.demo.command import create_demo_subparser

    create_demo_subparser(sub)


#: Every own command, in the order `gt-mcp --help` lists them.
SUBPARSERS: tuple[Callable[[Any], None], ...] = (
    detect.create_detect_subparser,
    status.create_status_subparser,
    collector.create_collector_subparser,
    alerts.create_alerts_subparser,
    jump.create_jump_subparser,
    sling.create_sling_subparser,
    _demo_subparser,
    config.create_config_subparser,
    dashboard.create_dashboard_subparser,
    mail.create_mail_subparser,
    bridge.create_bridge_subparser,
    tmux.create_tmux_subparser,
)


def command_version(_: argparse.Namespace) -> int:
    from gt_mcp_tmux.sources.gastown.gt_cli import gt_version

    line, problem = gt_version()
    print(f"gt-mcp {__version__}")
    print(line if line else f"gt: {problem}")
    return 0


def build_parser() -> CommandParser:
    parser = CommandParser(
        prog="gt-mcp",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="store_true", help="gt-mcp's version and gt's")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=CommandParser)
    for create in SUBPARSERS:
        create(sub)
    return parser


def run(argv: list[str]) -> int:
    parser = build_parser()
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
