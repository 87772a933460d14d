"""`gt-mcp alerts [--json] [--ack ID|all]`: what needs you now, most urgent first."""

from __future__ import annotations

import argparse
import os
import time
from typing import Any

from gt_mcp_tmux.cli.common import command_settings, command_snapshot, console
from gt_mcp_tmux.config import ConfigError
from gt_mcp_tmux.model import Alert
from gt_mcp_tmux.output import print_json


def create_alerts_subparser(sub: Any) -> None:
    parser = sub.add_parser(
        "alerts", help="what needs you now (stuck, dead, ESTOP, conflicts, ...)"
    )
    parser.add_argument("--json", action="store_true", help="print JSON (schema in the README)")
    parser.add_argument("--ack", metavar="ID|all", help="acknowledge one alert, or all of them")
    parser.set_defaults(func=command_alerts)


def collector_down_alert() -> Alert | None:
    """The collector itself is an alert source: a `down` alert when it is not running."""
    from gt_mcp_tmux.collector.control import collector_status

    status = collector_status()
    if status.running:
        return None
    return Alert("down:collector", "down", "the gastown-mcp collector is not running", time.time())


def command_alerts(args: argparse.Namespace) -> int:
    from gt_mcp_tmux.collector.views_data import SNAPSHOT_ENV
    from gt_mcp_tmux.sources.tmux.runner import current_server_socket

    snapshot = command_snapshot(command_settings())
    if args.ack is not None:
        from gt_mcp_tmux.collector.alerts import request_ack

        if args.ack != "all" and args.ack not in {alert.id for alert in snapshot.alerts}:
            raise ConfigError(f"no open alert {args.ack!r} (`gt-mcp alerts` lists their ids)")
        request_ack(current_server_socket(), [args.ack])
        print(f"acknowledged {args.ack}: the collector takes it within a second")
        return 0
    alerts = list(snapshot.alerts)
    # a saved snapshot ($GT_MCP_SNAPSHOT) has no collector to be down
    down = None if os.environ.get(SNAPSHOT_ENV) else collector_down_alert()
    if down is not None:
        alerts.insert(0, down)
    if args.json:
        print_json({"alerts": alerts})  # each: id, kind, message, since, agent
        return 0
    from gt_mcp_tmux.render.alerts_view import alerts_table

    console().print(alerts_table(alerts, time.time()))
    return 0
