"""`gt-mcp status`: the fleet, Agent Mail and the bridge; `--popup` is Prefix+g's quick status."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from gt_mcp_tmux.cli.common import command_settings, command_snapshot, console, in_popup

QUICK_FOOTER = "any key closes · ↑↓ PgUp PgDn: every agent"


def create_status_subparser(sub: Any) -> None:
    parser = sub.add_parser("status", help="the fleet, Agent Mail and the bridge at a glance")
    parser.add_argument("--json", action="store_true", help="print the Snapshot JSON (README)")
    parser.add_argument(
        "--all", action="store_true", help="every row of every list (else long ones are cut)"
    )
    parser.add_argument("--popup", action="store_true", help=argparse.SUPPRESS)
    parser.set_defaults(func=command_status)


def command_status(args: argparse.Namespace) -> int:
    if args.popup:
        return in_popup(quick_popup)
    if args.json:
        from gt_mcp_tmux.collector.views_data import fresh_cache_json

        # a fresh cache: printed as it is (no model, no sources, no tmux call for the options)
        text = fresh_cache_json()
        if text is not None:
            sys.stdout.write(text)
            return 0
    settings = command_settings()
    snapshot = command_snapshot(settings)
    if args.json:
        from gt_mcp_tmux.output import print_json

        print_json(snapshot)
        return 0
    from gt_mcp_tmux.render.status_view import status_view

    console().print(status_view(snapshot, time.time(), bounded=not args.all))
    return 0


def quick_popup() -> None:
    from rich.text import Text

    from gt_mcp_tmux.collector.views_data import cached_or_collected, cached_snapshot
    from gt_mcp_tmux.render.quick_view import quick_status
    from gt_mcp_tmux.ui.popups import SCROLL_START, run_scrolling, show_until_key

    settings = command_settings(strict=False)
    screen = console()
    snapshot = cached_snapshot()
    if snapshot is None:
        screen.print(Text("no snapshot yet: collecting once…", style="dim"))
        snapshot = cached_or_collected(settings)
        screen.clear()
    hint = QUICK_FOOTER
    if settings.key_dashboard != "none":
        hint += f" · Prefix+{settings.key_dashboard} opens the dashboard"
    footer = Text(hint, style="dim", no_wrap=True, overflow="ellipsis")
    if snapshot is None:
        body: Any = Text(
            "no data: is the collector running? (gt-mcp collector status)", style="yellow"
        )
    else:
        height = max(screen.height - 1, 5)
        body = quick_status(snapshot, time.time(), height=height, stale_after=settings.stale_after)
    key = show_until_key(screen, body, footer)
    if snapshot is not None and key in SCROLL_START:
        # as many agents as fit, most urgent first; a scroll key shows them all, and scrolls
        def whole() -> Any:
            latest = cached_snapshot() or snapshot
            return quick_status(
                latest, time.time(), stale_after=settings.stale_after, live=True, bounded=False
            )

        run_scrolling(screen, whole, hint="q close · ↑↓ PgUp PgDn Home End scroll")
