"""The commands that act: `gt-mcp alerts`, `gt-mcp jump`, `gt-mcp sling` (with no arguments)."""

from __future__ import annotations

import argparse
import os
import time
from typing import Any

from gt_mcp_tmux.config import ConfigError, Settings
from gt_mcp_tmux.model import Agent, Alert, Snapshot
from gt_mcp_tmux.output import print_json


def _settings() -> Settings:
    from gt_mcp_tmux.cli.commands import _settings as settings

    return settings()


def command_snapshot(settings: Settings) -> Snapshot:
    """The snapshot the commands show: $GT_MCP_SNAPSHOT, the fresh cache, or one collection."""
    from gt_mcp_tmux.ui.views_data import SNAPSHOT_ENV
    from gt_mcp_tmux.ui.views_data import command_snapshot as cached_or_collected

    snapshot = cached_or_collected(settings)
    if snapshot is None:
        raise ConfigError(f"cannot read the snapshot in ${SNAPSHOT_ENV}")
    return snapshot


# --- alerts ---------------------------------------------------------------------------------
def collector_down_alert() -> Alert | None:
    """The collector itself is an alert source: a `down` alert when it is not running."""
    from gt_mcp_tmux.collector.control import collector_status

    status = collector_status()
    if status.running:
        return None
    return Alert("down:collector", "down", "the gastown-mcp collector is not running", time.time())


def cmd_alerts(args: argparse.Namespace) -> int:
    from gt_mcp_tmux.sources.tmux.runner import current_server_socket
    from gt_mcp_tmux.ui.views_data import SNAPSHOT_ENV

    snapshot = command_snapshot(_settings())
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
    from gt_mcp_tmux.output import console
    from gt_mcp_tmux.render.alerts_view import alerts_table

    console().print(alerts_table(alerts, time.time()))
    return 0


# --- jump -----------------------------------------------------------------------------------
def _find_agent(agents: list[Agent], wanted: str) -> Agent | None:
    for agent in agents:
        if wanted in (agent.address, agent.address.rstrip("/"), agent.name, agent.session):
            return agent
    return None


def cmd_jump(args: argparse.Namespace) -> int:
    if args.popup:  # a failure stays on screen until a key, instead of a popup that vanishes
        from gt_mcp_tmux.cli.views import in_popup

        outcome: list[int] = []
        failed = in_popup(lambda: outcome.append(jump(args)))
        return failed or (outcome[0] if outcome else 0)
    return jump(args)


def jump(args: argparse.Namespace) -> int:
    from gt_mcp_tmux.ui.jump import go, jump_targets, session_exists

    settings = _settings()
    snapshot = command_snapshot(settings)
    town = snapshot.gastown
    targets = jump_targets(town)
    if args.json:
        print_json(
            {
                "socket": town.socket,
                "agents": [
                    {
                        "address": a.address,
                        "role": a.role,
                        "rig": a.rig,
                        "status": a.status,
                        "session": a.session,
                        "running": a.running,
                        "work_title": a.work_title,
                    }
                    for a in targets
                ],
            }
        )
        return 0
    if not town.socket:
        raise ConfigError("no Gas Town found: see `gt-mcp detect`")
    if args.agent:
        agent = _find_agent(targets, args.agent)
        if agent is None:
            raise ConfigError(f"no agent {args.agent!r} (see `gt-mcp jump --json`)")
    else:
        from gt_mcp_tmux.render.choices import agent_choices
        from gt_mcp_tmux.ui.picker import pick

        agent = pick(agent_choices(targets), "jump to")
        if agent is None:
            return 0
    if not agent.session or not agent.running or not session_exists(town.socket, agent.session):
        raise ConfigError(f"{agent.address} has no live session to jump to ({agent.status})")
    after = os.getpid() if args.popup else None
    return go(town.socket, agent.session, settings.jump_mode, args.client, after_pid=after)


# --- sling ----------------------------------------------------------------------------------
def cmd_sling(args: argparse.Namespace) -> int:
    from gt_mcp_tmux.ui.sling_flow import run_sling

    if args.popup:
        from gt_mcp_tmux.cli.views import in_popup

        outcome: list[int] = []
        failed = in_popup(
            lambda: outcome.append(
                run_sling(_settings(), command_snapshot(_settings()), popup=True)
            )
        )
        return failed or (outcome[0] if outcome else 0)
    return run_sling(_settings(), command_snapshot(_settings()))


def register(sub: Any) -> None:
    """Add these commands to gt-mcp's argparse subparsers."""
    alerts = sub.add_parser(
        "alerts", help="what needs you now (stuck, dead, ESTOP, conflicts, ...)"
    )
    alerts.add_argument("--json", action="store_true", help="print JSON (schema in the README)")
    alerts.add_argument("--ack", metavar="ID|all", help="acknowledge one alert, or all of them")
    alerts.set_defaults(func=cmd_alerts)
    jump = sub.add_parser("jump", help="pick an agent and go to its tmux session")
    jump.add_argument("agent", nargs="?", help="address, name or session (else: a picker)")
    jump.add_argument("--json", action="store_true", help="list the agents as JSON")
    jump.add_argument("--popup", action="store_true", help=argparse.SUPPRESS)
    jump.add_argument("--client", help=argparse.SUPPRESS)
    jump.set_defaults(func=cmd_jump)
    sling = sub.add_parser("sling", help="pick a ready bead and a target, then `gt sling` it")
    sling.add_argument("--popup", action="store_true", help=argparse.SUPPRESS)
    sling.set_defaults(func=cmd_sling)
