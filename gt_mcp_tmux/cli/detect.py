"""`gt-mcp detect`: find Gas Town and Agent Mail, and say how (runs on with a bad option)."""

from __future__ import annotations

import argparse
from typing import Any

from gt_mcp_tmux.cli.common import console, loaded_settings
from gt_mcp_tmux.output import print_json


def create_detect_subparser(sub: Any) -> None:
    parser = sub.add_parser("detect", help="find Gas Town and Agent Mail, and say how")
    parser.add_argument("--json", action="store_true", help="print JSON (schema in the README)")
    parser.set_defaults(func=command_detect)


def command_detect(args: argparse.Namespace) -> int:
    from gt_mcp_tmux.render.status_room import typical_widths
    from gt_mcp_tmux.sources.detect import detect_all

    settings, problems = loaded_settings(strict=False)  # the diagnostic runs with a bad option
    found = detect_all(settings, config_errors=list(problems), typical=typical_widths(settings))
    if args.json:
        print_json(found)
        return 0
    from gt_mcp_tmux.render.detect_view import detection_table

    console().print(detection_table(found))
    return 0
