"""`gt-mcp alerts [--json] [--ack ID|all]`: what needs you now, most urgent first.

It reads the collector of the tmux server it runs in ($TMUX), and outside tmux the default
server's; it says which, and when that server has no collector, which servers have one.
"""

from __future__ import annotations

import argparse
import os
import time
from typing import TYPE_CHECKING, Any

from gt_mcp_tmux.cli.common import command_settings, command_snapshot, console
from gt_mcp_tmux.config import ConfigError
from gt_mcp_tmux.model import Alert, CollectorStatus

if TYPE_CHECKING:  # rich stays out of `--json` and `--ack`
    from gt_mcp_tmux.render.alerts_view import AlertsSource


def create_alerts_subparser(sub: Any) -> None:
    parser = sub.add_parser(
        "alerts",
        help="what needs you now (stuck, dead, ESTOP, conflicts, ...), from this tmux server's collector",
    )
    parser.add_argument("--json", action="store_true", help="print JSON (schema in the README)")
    parser.add_argument(
        "--ack",
        metavar="ID|all",
        help="acknowledge one alert (its id, or any start of it that only one id has), or all",
    )
    parser.set_defaults(func=command_alerts)


def server_words(socket: str) -> str:
    """`tmux server /tmp/tmux-1000/work`, or, outside tmux, `the default tmux server (...)`."""
    if os.environ.get("TMUX"):
        return f"tmux server {socket}"
    return f"the default tmux server ({socket}; outside tmux)"


def collector_down_alert(status: CollectorStatus) -> Alert | None:
    """The collector itself is an alert source: a `down` alert when it is not running."""
    if status.running:
        return None
    message = f"no gastown-mcp collector runs for {server_words(status.socket or '-')}"
    return Alert("down:collector", "down", message, time.time())


def resolve_ack(wanted: str, ids: list[str]) -> str:
    """The id `--ack` means: `all`, an id, or the one id that starts with what was typed."""
    if wanted == "all" or wanted in ids:
        return wanted
    starting = [i for i in ids if i.startswith(wanted)] if wanted else []
    if len(starting) == 1:
        return starting[0]
    if starting:
        raise ConfigError(
            f"{len(starting)} open alerts start with {wanted!r}: give more of the id"
            " (`gt-mcp alerts` lists them)"
        )
    raise ConfigError(f"no open alert {wanted!r} (`gt-mcp alerts` lists their ids)")


def command_alerts(args: argparse.Namespace) -> int:
    from gt_mcp_tmux.collector.control import collector_status
    from gt_mcp_tmux.collector.views_data import SNAPSHOT_ENV
    from gt_mcp_tmux.private_files import current_server_socket

    saved = os.environ.get(SNAPSHOT_ENV) or None
    socket = current_server_socket()
    # a saved snapshot ($GT_MCP_SNAPSHOT) has no collector to be down
    status = None if saved else collector_status(socket)
    snapshot = command_snapshot(command_settings())
    if args.ack is not None:
        from gt_mcp_tmux.collector.alerts import request_ack

        if status is not None and not status.running:
            raise ConfigError(
                f"no gastown-mcp collector runs for {server_words(socket)}: nothing to acknowledge"
            )
        chosen = resolve_ack(args.ack, [alert.id for alert in snapshot.alerts])
        request_ack(socket, [chosen])
        print(f"acknowledged {chosen}: the collector takes it within a second")
        return 0
    alerts = list(snapshot.alerts)
    down = collector_down_alert(status) if status is not None else None
    if down is not None:
        alerts.insert(0, down)
    if args.json:
        from gt_mcp_tmux.output import print_json

        print_json(  # each alert: id, kind, message, since, agent
            {
                "alerts": alerts,
                "server": None if saved else socket,
                "collector_pid": status.pid if status is not None else None,
            }
        )
        return 0
    from gt_mcp_tmux.render.alerts_view import alerts_view

    console().print(alerts_view(alerts, time.time(), alerts_source(socket, status, saved)))
    return 0


def alerts_source(socket: str, status: CollectorStatus | None, saved: str | None) -> AlertsSource:
    from gt_mcp_tmux.collector.control import running_collector_sockets
    from gt_mcp_tmux.render.alerts_view import AlertsSource

    if status is None:
        return AlertsSource(None, saved=saved)
    others = [] if status.running else [s for s in running_collector_sockets() if s != socket]
    inside = bool(os.environ.get("TMUX"))
    return AlertsSource(socket, inside, status.running, status.pid, others=others)
