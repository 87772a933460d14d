"""`gt-mcp collector [status|start|stop|run]`: the background collector of this tmux server."""

from __future__ import annotations

import argparse
import os
from typing import Any

from gt_mcp_tmux.cli.common import console
from gt_mcp_tmux.config import ConfigError
from gt_mcp_tmux.output import error_line, print_json


def create_collector_subparser(sub: Any) -> None:
    parser = sub.add_parser("collector", help="the background collector of this tmux server")
    parser.add_argument(
        "action", choices=["status", "start", "stop", "run"], nargs="?", default="status"
    )
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--socket", help="the tmux server's socket path (default: $TMUX's)")
    parser.add_argument("--all", action="store_true", help="with stop: every tmux server's")
    parser.set_defaults(func=command_collector)


def _collector_socket(args: argparse.Namespace) -> str:
    from gt_mcp_tmux.private_files import current_server_socket

    socket: str = args.socket or os.environ.get("GT_MCP_COLLECTOR_SOCKET") or ""
    if socket:
        return socket
    if not os.environ.get("TMUX") and args.action != "status":
        raise ConfigError("not inside tmux: run this in tmux, or pass --socket PATH")
    return current_server_socket()


def command_collector(args: argparse.Namespace) -> int:
    import gt_mcp_tmux.collector.control as control

    if args.all:
        if args.action != "stop":
            raise ConfigError("--all goes with stop: gt-mcp collector stop --all")
        left = control.stop_all_collectors()
        if left:
            error_line(f"{left} collector(s) did not stop within 5 s")
            return 1
        print("every collector of yours is stopped")
        return 0
    socket = _collector_socket(args)
    if args.action == "run":
        from gt_mcp_tmux.collector.loop import run_collector

        return run_collector(socket)
    if args.action == "start":
        status = control.start_collector(socket)
    elif args.action == "stop":
        if not control.stop_collector(socket):
            error_line("the collector did not stop within 5 s")
            return 1
        status = control.collector_status(socket)
    else:
        status = control.collector_status(socket)
    if args.json:
        print_json(status)
        return 0
    from gt_mcp_tmux.render.collector_view import collector_table

    console().print(collector_table(status))
    return 0 if status.running or args.action == "stop" else 1
