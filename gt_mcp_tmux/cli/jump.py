"""`gt-mcp jump [AGENT]`: pick an agent (or name one) and go to its tmux session."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from gt_mcp_tmux import messages
from gt_mcp_tmux.cli.common import command_settings, command_snapshot, in_popup_returning
from gt_mcp_tmux.config import ConfigError
from gt_mcp_tmux.model import Agent, Snapshot
from gt_mcp_tmux.output import print_json

if TYPE_CHECKING:
    from gt_mcp_tmux.ui.jump import JumpTarget


def create_jump_subparser(sub: Any) -> None:
    parser = sub.add_parser("jump", help="pick an agent and go to its tmux session")
    parser.add_argument("agent", nargs="?", help="address, name or session (else: a picker)")
    parser.add_argument("--json", action="store_true", help="list the agents as JSON")
    parser.add_argument("--popup", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--client", help=argparse.SUPPRESS)
    parser.set_defaults(func=command_jump)


def command_jump(args: argparse.Namespace) -> int:
    if args.popup:  # a failure stays on screen until a key, instead of a popup that vanishes
        return in_popup_returning(lambda: jump(args))
    return jump(args)


def find_target(targets: list[JumpTarget], wanted: str) -> JumpTarget | None:
    for target in targets:
        agent = target.agent
        if wanted in (agent.address, agent.address.rstrip("/"), agent.name, agent.session):
            return target
    return None


def jump(args: argparse.Namespace) -> int:
    from gt_mcp_tmux.ui.jump import go, jump_targets, session_exists

    settings = command_settings()
    snapshot = command_snapshot(settings)
    town = snapshot.gastown
    targets = jump_targets(snapshot)
    if args.json:
        print_json(
            {
                "socket": town.socket,
                "agents": [
                    {
                        "address": t.agent.address,
                        "role": t.agent.role,
                        "rig": t.agent.rig,
                        "status": t.agent.status,
                        "session": t.agent.session,
                        "running": t.agent.running,
                        "work_title": t.agent.work_title,
                        "orchestrator": t.orchestrator,
                        "socket": t.socket,
                    }
                    for t in targets
                ],
            }
        )
        return 0
    if not targets and not town.socket and not snapshot.gascity.socket:
        raise ConfigError(messages.NO_TOWN)
    if args.agent:
        target = find_target(targets, args.agent)
        if target is None:
            raise ConfigError(f"no agent {args.agent!r} (see `gt-mcp jump --json`)")
    else:
        from gt_mcp_tmux.render.choices import agent_choices
        from gt_mcp_tmux.ui.picker import pick

        agents = [t.agent for t in targets]
        in_city = [t.orchestrator == "gascity" for t in targets]
        chosen = pick(agent_choices(agents, in_city), "jump to", preview=pane_preview(targets))
        if chosen is None:
            return 0
        target = targets[next(i for i, a in enumerate(agents) if a is chosen)]
    agent, socket = target.agent, target.socket
    if (
        not socket
        or not agent.session
        or not agent.running
        or not session_exists(socket, agent.session)
    ):
        raise ConfigError(f"{agent.address} has no live session to jump to ({agent.status})")
    after = os.getpid() if args.popup else None
    _acknowledge_alerts_of(agent, snapshot)  # before: outside tmux, `go` becomes the attach
    return go(socket, agent.session, settings.jump_mode, args.client, after_pid=after)


def _acknowledge_alerts_of(agent: Agent, snapshot: Snapshot) -> None:
    """Going to an agent is seeing what its alerts said: they are acknowledged (they come back if
    the condition clears and returns)."""
    ids = [a.id for a in snapshot.alerts if a.agent in (agent.address, agent.session)]
    if ids and os.environ.get("TMUX"):
        from gt_mcp_tmux.collector.alerts import request_ack
        from gt_mcp_tmux.private_files import current_server_socket

        request_ack(current_server_socket(), ids)


def pane_preview(targets: list[JumpTarget]) -> Callable[[Agent], list[str]]:
    """The picker's preview: the last lines of the highlighted agent's pane (peek)."""
    from gt_mcp_tmux.model import SourceError
    from gt_mcp_tmux.ui.peek import pane_tail

    def lines(agent: Agent) -> list[str]:
        target = next((t for t in targets if t.agent is agent), None)
        if target is None or not target.socket or not agent.session or not agent.running:
            return ["(no live pane)"]
        found = pane_tail(target.socket, agent.session, PREVIEW_LINES)
        return [f"({found.message})"] if isinstance(found, SourceError) else found

    return lines


#: Lines of the highlighted agent's pane under the jump picker.
PREVIEW_LINES = 12
