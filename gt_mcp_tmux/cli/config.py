"""`gt-mcp config init`: write a commented config.toml with every option at its default."""

from __future__ import annotations

import argparse
from typing import Any

from gt_mcp_tmux.cli.common import CommandParser


def create_config_subparser(sub: Any) -> None:
    parser = sub.add_parser("config", help="configuration file")
    actions = parser.add_subparsers(
        dest="action", metavar="ACTION", parser_class=CommandParser, required=True
    )
    init = actions.add_parser("init", help="write a commented config.toml with every option")
    init.add_argument(
        "--force", action="store_true", help="overwrite an existing file (kept as .bak)"
    )
    init.set_defaults(func=command_config)


def command_config(args: argparse.Namespace) -> int:
    from gt_mcp_tmux.cli.config_init import write_config

    path = write_config(force=args.force)
    print(f"wrote {path}")
    return 0
