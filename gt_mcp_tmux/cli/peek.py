"""`gt-mcp peek AGENT [--lines N] [--json]`: the last lines of an agent's pane, as text, from its
own tmux server (Gas Town's or Gas City's), without attaching."""

from __future__ import annotations

import argparse
from typing import Any

from gt_mcp_tmux.cli.common import command_settings, command_snapshot
from gt_mcp_tmux.config import ConfigError


def create_peek_subparser(sub: Any) -> None:
    parser = sub.add_parser("peek", help="the last lines of an agent's pane, without attaching")
    parser.add_argument("agent", help="address, name or session (gt-mcp jump --json lists them)")
    parser.add_argument("--lines", type=int, default=20, help="how many lines (default 20)")
    parser.add_argument("--json", action="store_true", help="print JSON (schema in the README)")
    parser.set_defaults(func=command_peek)


def command_peek(args: argparse.Namespace) -> int:
    from gt_mcp_tmux.cli.jump import find_target
    from gt_mcp_tmux.model import SourceError
    from gt_mcp_tmux.output import print_json
    from gt_mcp_tmux.ui.jump import jump_targets
    from gt_mcp_tmux.ui.peek import pane_tail

    if not 1 <= args.lines <= 2000:
        raise ConfigError("--lines: from 1 to 2000")
    snapshot = command_snapshot(command_settings())
    target = find_target(jump_targets(snapshot), args.agent)
    if target is None:
        raise ConfigError(f"no agent {args.agent!r} (see `gt-mcp jump --json`)")
    agent = target.agent
    if not target.socket or not agent.session:
        raise ConfigError(f"{agent.address} has no tmux session to peek at ({agent.status})")
    lines = pane_tail(target.socket, agent.session, args.lines)
    if isinstance(lines, SourceError):
        raise ConfigError(f"cannot peek at {agent.address}: {lines.message}")
    if args.json:
        print_json(
            {
                "agent": agent.address,
                "session": agent.session,
                "socket": target.socket,
                "orchestrator": target.orchestrator,
                "lines": lines,
            }
        )
        return 0
    print("\n".join(lines))
    return 0
