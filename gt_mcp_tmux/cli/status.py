"""`gt-mcp status`: the fleet, Agent Mail and the bridge; `--popup` is Prefix+g's quick status."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from gt_mcp_tmux.cli.common import command_settings, command_snapshot, console, in_popup


def create_status_subparser(sub: Any) -> None:
    parser = sub.add_parser("status", help="the fleet, Agent Mail and the bridge at a glance")
    parser.add_argument("--json", action="store_true", help="print the Snapshot JSON (README)")
    parser.add_argument(
        "--all", action="store_true", help="every row of every list (else long ones are cut)"
    )
    parser.add_argument("--popup", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--frame", help=argparse.SUPPRESS)  # the frame popup.sh showed first
    parser.add_argument("--client", help=argparse.SUPPRESS)
    parser.set_defaults(func=command_status)


def command_status(args: argparse.Namespace) -> int:
    if args.popup:
        return in_popup(lambda: quick_popup(args.frame, args.client))
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


def quick_popup(frame: str | None = None, client: str | None = None) -> None:
    """Prefix+g: the quick status, painted once over the frame popup.sh may have `cat`ed first
    (`frame`: repainted only when it differs, then kept for next time), until a key; `n` goes
    to the queue's first item (for `client`)."""
    from rich.text import Text

    from gt_mcp_tmux.collector.views_data import cached_or_collected, cached_snapshot
    from gt_mcp_tmux.ui.frames import quick_frame, read_frame, took_over
    from gt_mcp_tmux.ui.keys import KeyReader
    from gt_mcp_tmux.ui.popups import SCROLL_START, file_stamp, run_scrolling

    settings = command_settings(strict=False)
    screen = console()
    shown = read_frame(frame)
    snapshot = cached_snapshot()
    if snapshot is None and shown is None:
        screen.print(Text("no snapshot yet: collecting once…", style="dim"))
        snapshot = cached_or_collected(settings)
        screen.clear()
    with KeyReader() as keys:
        size = screen.size
        painted = quick_frame(snapshot, settings, (size.width, size.height))
        if painted != shown:
            sys.stdout.write(("\x1b[H\x1b[2J" if frame else "") + painted)
            sys.stdout.flush()
        took_over("quick", frame, painted, (size.width, size.height))
        key = keys.read(None)
        while key == "resize":
            key = keys.read(None)
    if snapshot is not None and key == "n" and snapshot.queue.items:
        import os

        from gt_mcp_tmux.private_files import current_server_socket
        from gt_mcp_tmux.ui.queue_actions import first_item, go_to, shown_queue

        item = first_item(shown_queue(snapshot, current_server_socket()))
        if item is not None:
            go_to(item, settings, client, after_pid=os.getpid())
        return
    if snapshot is not None and key in SCROLL_START:
        # as many agents as fit, most urgent first; a scroll key shows them all, and scrolls
        from gt_mcp_tmux.collector.views_data import snapshot_file
        from gt_mcp_tmux.render.quick_view import quick_status

        first = snapshot

        def whole() -> Any:
            latest = cached_snapshot() or first
            return quick_status(
                latest, time.time(), stale_after=settings.stale_after, live=True, bounded=False
            )

        run_scrolling(
            screen,
            whole,
            hint="q close · ↑↓ PgUp PgDn Home End scroll",
            changed=lambda: file_stamp(snapshot_file()),
        )
