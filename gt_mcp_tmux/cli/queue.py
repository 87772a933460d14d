"""`gt-mcp queue [--json]`, `queue next`, `queue snooze ID DURATION`, `queue ack ID|all`: one
ordered list of what needs you, across Gas Town, Gas City and Agent Mail (collector/queue.py)."""

from __future__ import annotations

import argparse
import os
import time
from typing import Any

from gt_mcp_tmux.cli.common import command_settings, command_snapshot, console, in_popup_returning
from gt_mcp_tmux.config import ConfigError
from gt_mcp_tmux.model import Queue, QueueItem, Snapshot


def create_queue_subparser(sub: Any) -> None:
    parser = sub.add_parser(
        "queue", help="what needs you now, across Gas Town, Gas City and Agent Mail"
    )
    parser.add_argument("--json", action="store_true", help="print JSON (schema in the README)")
    parser.add_argument("--popup", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--client", dest="popup_client", help=argparse.SUPPRESS)
    actions = parser.add_subparsers(dest="queue_action", metavar="{next,snooze,ack}")
    nxt = actions.add_parser("next", help="go to the first item: its session, mail or conflict")
    nxt.add_argument("--client", help=argparse.SUPPRESS)
    snooze = actions.add_parser("snooze", help="hide an item for a while (kept across restarts)")
    snooze.add_argument("id", help="the item's id, or a start of it only one id has")
    snooze.add_argument("duration", help="30m, 2h, 1h30m, 1d (a bare number: minutes); 0 wakes it")
    ack = actions.add_parser("ack", help="acknowledge an item (it comes back if it grows)")
    ack.add_argument("id", help="the item's id, a start of it only one id has, or all")
    parser.set_defaults(func=command_queue)


def command_queue(args: argparse.Namespace) -> int:
    from gt_mcp_tmux.private_files import current_server_socket

    socket = current_server_socket()
    if args.popup:
        return in_popup_returning(lambda: _popup(socket, args.popup_client))
    action = getattr(args, "queue_action", None)
    if action == "next":
        return _next(socket, args.client)
    if action in ("snooze", "ack"):
        return _change(socket, args)
    return _show(socket, args.json)


def _collector(socket: str) -> tuple[bool, int | None]:
    """(a saved snapshot is shown, the collector's pid or None when none runs)."""
    from gt_mcp_tmux.collector.control import collector_status
    from gt_mcp_tmux.collector.views_data import SNAPSHOT_ENV

    if os.environ.get(SNAPSHOT_ENV):
        return True, None
    status = collector_status(socket)
    return False, status.pid if status.running else None


def _queue_of(snapshot: Snapshot, socket: str | None) -> Queue:
    from gt_mcp_tmux.ui.queue_actions import shown_queue

    return shown_queue(snapshot, socket)


def _show(socket: str, as_json: bool) -> int:
    from gt_mcp_tmux.cli.alerts import server_words

    saved, pid = _collector(socket)
    snapshot = command_snapshot(command_settings())
    queue = _queue_of(snapshot, None if saved else socket)
    if as_json:
        from gt_mcp_tmux.output import print_json

        print_json(
            {
                "server": None if saved else socket,
                "collector_pid": pid,
                "items": queue.items,
                "snoozed": queue.snoozed,
                "acknowledged": queue.acknowledged,
            }
        )
        return 0
    from rich.text import Text

    from gt_mcp_tmux.render.queue_view import queue_table

    out = console()
    out.print(queue_table(queue, time.time()))
    if not saved and pid is None:
        out.print(
            Text(
                f"no gastown-mcp collector runs for {server_words(socket)}: this is one"
                " collection (no event alerts; snooze and ack need the collector)",
                style="yellow",
            )
        )
    return 0


def _change(socket: str, args: argparse.Namespace) -> int:
    from gt_mcp_tmux.cli.alerts import server_words
    from gt_mcp_tmux.ui.queue_actions import (
        acknowledge,
        duration_words,
        parse_duration,
        resolve_item,
        snooze,
    )

    saved, pid = _collector(socket)
    if saved or pid is None:
        raise ConfigError(
            f"no gastown-mcp collector runs for {server_words(socket)}: nothing keeps the queue"
        )
    queue = _queue_of(command_snapshot(command_settings()), socket)
    every = [*queue.items, *(s.item for s in queue.snoozed)]
    if args.queue_action == "ack":
        chosen: list[QueueItem] = (
            list(queue.items) if args.id == "all" else [resolve_item(args.id, every)]
        )
        acknowledge(socket, chosen)
        names = ", ".join(i.id for i in chosen) or "nothing (the queue is empty)"
        print(f"acknowledged {names}: the collector takes it within a second")
        return 0
    seconds = parse_duration(args.duration)
    item = resolve_item(args.id, every)
    snooze(socket, item, seconds)
    if seconds > 0:
        print(
            f"snoozed {item.id} for {duration_words(seconds)}:"
            " the collector keeps it across restarts"
        )
    else:
        print(f"woke {item.id}: it is back in the queue")
    return 0


def _next(socket: str, client: str | None) -> int:
    """Go to the first item; from a key (run in the background) every word is a tmux message."""
    from gt_mcp_tmux.ui.jump import tell
    from gt_mcp_tmux.ui.queue_actions import first_item, go_to

    try:
        settings = command_settings(strict=False)
        item = first_item(_queue_of(command_snapshot(settings), socket))
        if item is None:
            tell("gastown-mcp: nothing needs you", client)
            return 0
        return go_to(item, settings, client)
    except ConfigError as err:
        if client is None:
            raise
        tell(f"gastown-mcp: {err}", client)
        return 1


def _popup(socket: str, client: str | None) -> int:
    from gt_mcp_tmux.collector.views_data import cached_or_collected
    from gt_mcp_tmux.ui.queue_popup import run_queue_popup

    settings = command_settings(strict=False)
    snapshot = cached_or_collected(settings)
    if snapshot is None:
        raise ConfigError("no data: is the collector running? (gt-mcp collector status)")
    return run_queue_popup(settings, socket, client, snapshot)
