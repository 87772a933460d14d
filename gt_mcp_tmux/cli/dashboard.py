"""`gt-mcp dashboard [--once|--json]`: the live dashboard (Prefix+G runs it in a popup)."""

from __future__ import annotations

import argparse
import time
from typing import Any

from gt_mcp_tmux.cli.common import command_settings, console, in_popup, interactive
from gt_mcp_tmux.config import Settings
from gt_mcp_tmux.output import print_json


def create_dashboard_subparser(sub: Any) -> None:
    parser = sub.add_parser(
        "dashboard", help="live dashboard: agents, convoys, feed, mail, tmux, host"
    )
    parser.add_argument("--once", action="store_true", help="print one frame and exit")
    parser.add_argument(
        "--json", action="store_true", help="print {snapshot, host, user_sessions} (README)"
    )
    parser.add_argument("--popup", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--frame", help=argparse.SUPPRESS)  # the frame popup.sh showed first
    parser.set_defaults(func=command_dashboard)


def command_dashboard(args: argparse.Namespace) -> int:
    from gt_mcp_tmux.render.extensions import load_extensions
    from gt_mcp_tmux.ui.dashboard import render_once, run_live

    settings = command_settings(strict=not args.popup)
    if args.json:
        return dashboard_json(settings)
    extensions = tuple(load_extensions(settings.panels))
    if args.once or not interactive():
        screen = console()
        screen.print(render_once(screen, settings.stale_after, extensions, settings))
        return 0
    return in_popup(
        lambda: run_live(
            console(),
            settings.stale_after,
            extensions,
            settings.jump_mode,
            args.popup,
            frame=args.frame,
        )
    )


def dashboard_json(settings: Settings) -> int:
    """What one dashboard frame shows, as data: {snapshot, host, user_sessions}."""
    from gt_mcp_tmux.ui.dashboard import Dashboard

    board = Dashboard(collect_with=settings)
    board.refresh()
    time.sleep(0.3)  # CPU percentages need two samples
    print_json(
        {"snapshot": board.snapshot, "host": board.sampler.sample(), "user_sessions": board.user}
    )
    return 0
