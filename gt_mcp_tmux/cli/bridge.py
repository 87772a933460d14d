"""`gt-mcp bridge [--json]`: detection of both sides, mail projects ⇄ rigs, the collector."""

from __future__ import annotations

import argparse
import threading
import time
from typing import Any

from gt_mcp_tmux.cli.common import command_settings, console, in_popup
from gt_mcp_tmux.cli.focus import add_focus_arguments, focus_snapshot
from gt_mcp_tmux.output import print_json


def create_bridge_subparser(sub: Any) -> None:
    parser = sub.add_parser("bridge", help="detection, mail projects ⇄ rigs, collector state")
    parser.add_argument(
        "--json", action="store_true", help="print {detect, bridge, collector} (README)"
    )
    parser.add_argument("--popup", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--frame", help=argparse.SUPPRESS)  # the frame popup.sh showed first
    add_focus_arguments(parser, agent=False)
    parser.set_defaults(func=command_bridge)


def command_bridge(args: argparse.Namespace) -> int:
    from gt_mcp_tmux.collector.control import collector_status
    from gt_mcp_tmux.collector.views_data import cached_or_collected, cached_snapshot
    from gt_mcp_tmux.model import Detection
    from gt_mcp_tmux.render.bridge_view import bridge_view
    from gt_mcp_tmux.render.status_room import typical_widths
    from gt_mcp_tmux.sources.detect import detect_all

    settings = command_settings(strict=not args.popup)
    typical = typical_widths(settings)
    if args.popup:
        from gt_mcp_tmux.collector.views_data import snapshot_file
        from gt_mcp_tmux.ui.frames import popup_took_over
        from gt_mcp_tmux.ui.popups import file_stamp, run_scrolling

        found: list[Detection] = []
        worker = threading.Thread(
            target=lambda: found.append(detect_all(settings, typical=typical)), daemon=True
        )
        worker.start()

        def build() -> Any:
            return bridge_view(
                found[0] if found else None,
                focus_snapshot(cached_snapshot(), args.project),
                collector_status(),
                time.time(),
            )

        def stamp() -> object:  # the cache changed, or the detection came in
            return (file_stamp(snapshot_file()), bool(found))

        # a view narrowed to one project is not the frame of the next Prefix+b
        took_over = None if args.project else popup_took_over("bridge", args.frame)
        return in_popup(lambda: run_scrolling(console(), build, changed=stamp, on_first=took_over))
    detection = detect_all(settings, typical=typical)
    snapshot = focus_snapshot(cached_or_collected(settings), args.project)
    collector = collector_status()
    if args.json:
        print_json(
            {
                "detect": detection,
                "bridge": snapshot.bridge if snapshot else None,
                "collector": collector,
            }
        )
        return 0
    console().print(bridge_view(detection, snapshot, collector, time.time()))
    return 0
