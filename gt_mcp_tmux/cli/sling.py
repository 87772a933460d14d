"""`gt-mcp sling` with no arguments: pick a ready bead and a target, confirm, `gt sling` it.
(With arguments, `gt-mcp sling ...` is gt's own command, passed through.)"""

from __future__ import annotations

import argparse
from typing import Any

from gt_mcp_tmux.cli.common import command_settings, command_snapshot, in_popup_returning


def create_sling_subparser(sub: Any) -> None:
    parser = sub.add_parser("sling", help="pick a ready bead and a target, then `gt sling` it")
    parser.add_argument("--popup", action="store_true", help=argparse.SUPPRESS)
    parser.set_defaults(func=command_sling)


def command_sling(args: argparse.Namespace) -> int:
    from gt_mcp_tmux.ui.sling_flow import run_sling

    def sling() -> int:
        settings = command_settings()
        return run_sling(settings, command_snapshot(settings), popup=args.popup)

    return in_popup_returning(sling) if args.popup else sling()
