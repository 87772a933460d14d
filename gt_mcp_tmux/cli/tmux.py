"""`gt-mcp tmux status|setup`: sessions on both tmux servers; load the plugin without TPM."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gt_mcp_tmux.cli.common import CommandParser, command_settings, console
from gt_mcp_tmux.output import error_line, print_json

if TYPE_CHECKING:
    from gt_mcp_tmux.sources.detect import StatusRoom


def create_tmux_subparser(sub: Any) -> None:
    parser = sub.add_parser(
        "tmux", help="tmux sessions on both servers; load the plugin without TPM"
    )
    actions = parser.add_subparsers(
        dest="action", metavar="ACTION", parser_class=CommandParser, required=True
    )
    status = actions.add_parser("status", help="sessions on your tmux server and on Gas Town's")
    status.add_argument("--json", action="store_true", help="print JSON (README)")
    status.set_defaults(func=command_tmux_status)
    setup = actions.add_parser(
        "setup",
        help="add (or --remove) the plugin's block in tmux.conf",
        description=(
            "Add one marked block to your tmux.conf that loads the plugin (after a backup), or"
            " take it out with --remove. When status-right-length (or status-left-length) of"
            " the running tmux server would cut the bar, the block also sets it, as long as a"
            " busy town's bar needs, and says so."
        ),
    )
    setup.add_argument("--remove", action="store_true", help="take the block out again")
    setup.add_argument("--plugin-dir", help="the plugin's folder (default: this installation's)")
    setup.set_defaults(func=command_tmux_setup)


def gastown_socket() -> str | None:
    """The socket of the town this command is about (or `GT_TMUX_SOCKET`'s, with no town)."""
    from gt_mcp_tmux.sources.gastown.town import explicit_socket, find_town, live_socket_name

    town = find_town(configured=command_settings().town_root or None)
    return live_socket_name(town.root) if town is not None else explicit_socket()


def city_socket() -> str | None:
    """The socket of the watched Gas City's tmux server (None: no city, or Gas City off)."""
    from gt_mcp_tmux.sources.gascity.city import find_city

    settings = command_settings()
    city = find_city(configured=settings.city_root or None) if settings.gascity else None
    return city.socket if city is not None else None


def command_tmux_status(args: argparse.Namespace) -> int:
    from gt_mcp_tmux.model import ServerSessions
    from gt_mcp_tmux.sources.tmux.sessions import gastown_sessions, list_sessions, user_server

    user = list_sessions(user_server())
    socket = gastown_socket()
    gastown = gastown_sessions(socket) if socket else ServerSessions(None, False)
    city = city_socket()
    # the same reader serves a city's, keeping its sessions' GC_* (the template is the role)
    gascity = gastown_sessions(city, kept_env=("GC_", "BEADS_ACTOR")) if city else None
    if args.json:
        print_json({"user": user, "gastown": gastown, "gascity": gascity})
        return 0
    from gt_mcp_tmux.render.sessions_panel import servers_view

    console().print(servers_view(user, gastown, time.time(), gascity))
    return 0


def needed_room() -> list[StatusRoom]:
    """The sides of the running tmux server's status line that would cut the bar (none when no
    server answers: there is nothing to measure)."""
    from gt_mcp_tmux.render.status_room import typical_widths
    from gt_mcp_tmux.sources.detect import short_rooms

    return short_rooms([], typical_widths(command_settings(strict=False)))


def command_tmux_setup(args: argparse.Namespace) -> int:
    import gt_mcp_tmux.cli.tmux_setup as tmux_setup

    conf = tmux_setup.tmux_conf_path()
    rooms: list[StatusRoom] = []
    try:
        if args.remove:
            result = tmux_setup.remove_block(conf)
        else:
            entry = (
                Path(args.plugin_dir).expanduser().absolute() / "gastown-mcp.tmux"
                if args.plugin_dir
                else tmux_setup.default_plugin_entry()
            )
            if tmux_setup.tpm_loads_plugin(conf):
                error_line(
                    f"note: {conf} already loads gastown-mcp through TPM; the block loads it a second time (harmless)"
                )
            rooms = needed_room()
            lengths = {room.side: room.wanted for room in rooms}
            result = tmux_setup.install_block(conf, entry, lengths)
    except (tmux_setup.SetupError, OSError) as err:
        error_line(str(err))
        return 1
    print(result.message)
    for room in rooms:
        if result.changed:
            print(
                f"status-{room.side}-length {room.limit} would cut the bar (a busy town needs"
                f" {room.need} columns there): the block sets status-{room.side}-length"
                f" {result.lengths[room.side]}"
            )
        else:  # said on the first run; the block's length waits for a reload
            print(
                f"the block's status-{room.side}-length {result.lengths[room.side]} is not in"
                f" force yet (tmux has {room.limit}): tmux source-file {conf}"
            )
    if result.backup is not None:
        print(f"backup: {result.backup}")
    if result.changed:
        print(f"reload tmux to apply: tmux source-file {conf}")
    return 0
