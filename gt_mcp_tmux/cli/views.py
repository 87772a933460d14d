"""The view commands: `dashboard`, `mail`, `bridge`, `tmux status|setup`, and `--popup` modes.

`--popup` is what the Prefix keys run inside `tmux display-popup`: paint from the cache at once,
then wait for a key (quick status) or refresh until q/Esc (the others). A failure inside a popup
is shown in it, and waits for a key, instead of closing the popup before anyone can read it.
Heavy modules (rich, psutil) load inside each command, never at import.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from gt_mcp_tmux.config import Settings, load_settings
from gt_mcp_tmux.output import error_line, print_json

if TYPE_CHECKING:
    from rich.console import Console

QUICK_FOOTER = "any key closes"


def view_settings(strict: bool = True) -> Settings:
    """Settings with this tmux server's options (when inside tmux)."""
    from gt_mcp_tmux.config import read_tmux_options

    tmux_values = read_tmux_options() if os.environ.get("TMUX") else {}
    return load_settings(tmux_values=tmux_values, strict=strict)[0]


def _console() -> Console:
    from gt_mcp_tmux.output import console

    return console()


def _interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def in_popup(body: Callable[[], None]) -> int:
    """Run a popup's body; on failure show one line and wait for a key before closing."""
    if _interactive():
        # The terminal knows its size; COLUMNS/LINES inherited from wherever the tmux server was
        # started would pin rich to a stale one (a popup is not the size of that shell).
        os.environ.pop("COLUMNS", None)
        os.environ.pop("LINES", None)
    try:
        body()
        return 0
    except (KeyboardInterrupt, EOFError):
        return 0
    except Exception as err:
        if os.environ.get("GT_MCP_DEBUG"):
            raise
        message = f"gt-mcp: {type(err).__name__}: {err}"
        sys.stdout.write("\n" + " ".join(message.split()) + "\n(any key closes)")
        sys.stdout.flush()
        if _interactive():
            from gt_mcp_tmux.ui.keys import KeyReader

            with KeyReader() as keys:
                keys.read(None)
        return 1


# --- quick status (`gt-mcp status --popup`) -------------------------------------------------


def quick_popup() -> None:
    from rich.text import Text

    from gt_mcp_tmux.render.quick_view import quick_status
    from gt_mcp_tmux.ui.popups import show_until_key
    from gt_mcp_tmux.ui.views_data import cached_snapshot, command_snapshot

    settings = view_settings(strict=False)
    console = _console()
    snapshot = cached_snapshot()
    if snapshot is None:
        console.print(Text("no snapshot yet: collecting once…", style="dim"))
        snapshot = command_snapshot(settings)
        console.clear()
    hint = QUICK_FOOTER
    if settings.key_dashboard != "none":
        hint += f" · Prefix+{settings.key_dashboard} opens the dashboard"
    footer = Text(hint, style="dim", no_wrap=True, overflow="ellipsis")
    if snapshot is None:
        body: Any = Text(
            "no data: is the collector running? (gt-mcp collector status)", style="yellow"
        )
    else:
        height = max(console.height - 1, 5)
        body = quick_status(snapshot, time.time(), height=height, stale_after=settings.stale_after)
    show_until_key(console, body, footer)


def cmd_status_popup(_: argparse.Namespace) -> int:
    return in_popup(quick_popup)


# --- dashboard ------------------------------------------------------------------------------


def cmd_dashboard(args: argparse.Namespace) -> int:
    from gt_mcp_tmux.ui.dashboard import render_once, run_live
    from gt_mcp_tmux.ui.extensions import load_extensions

    settings = view_settings(strict=not args.popup)
    if args.json:
        return dashboard_json()
    extensions = tuple(load_extensions(settings.panels))
    if args.once or not _interactive():
        console = _console()
        console.print(render_once(console, settings.stale_after, extensions))
        return 0
    return in_popup(
        lambda: run_live(
            _console(), settings.stale_after, extensions, settings.jump_mode, args.popup
        )
    )


def dashboard_json() -> int:
    """What one dashboard frame shows, as data: {snapshot, host, user_sessions}."""
    from gt_mcp_tmux.ui.dashboard import Dashboard

    board = Dashboard()
    board.refresh()
    time.sleep(0.3)  # CPU percentages need two samples
    print_json(
        {"snapshot": board.snapshot, "host": board.sampler.sample(), "user_sessions": board.user}
    )
    return 0


# --- Agent Mail -----------------------------------------------------------------------------


def cmd_mail(args: argparse.Namespace) -> int:
    from gt_mcp_tmux.ui.views_data import cached_snapshot, command_snapshot

    if args.popup:
        from gt_mcp_tmux.render.mail_view import mail_view
        from gt_mcp_tmux.ui.popups import run_scrolling

        def build() -> Any:
            snapshot = cached_snapshot()
            return mail_view(
                snapshot.agent_mail if snapshot else None,
                time.time(),
                snapshot.bridge if snapshot else None,
            )

        return in_popup(lambda: run_scrolling(_console(), build))
    snapshot = command_snapshot(view_settings())
    mail = snapshot.agent_mail if snapshot else None
    if args.json:
        print_json(mail)
        return 0
    from gt_mcp_tmux.render.mail_view import mail_view

    _console().print(mail_view(mail, time.time(), snapshot.bridge if snapshot else None))
    return 0 if mail is not None and mail.state == "ok" else 1


# --- bridge ---------------------------------------------------------------------------------


def cmd_bridge(args: argparse.Namespace) -> int:
    from gt_mcp_tmux.collector.control import collector_status
    from gt_mcp_tmux.detect import detect_all
    from gt_mcp_tmux.model import Detection
    from gt_mcp_tmux.ui.views_data import cached_snapshot, command_snapshot

    settings = view_settings(strict=not args.popup)
    if args.popup:
        from gt_mcp_tmux.render.bridge_view import bridge_view
        from gt_mcp_tmux.ui.popups import run_scrolling

        found: list[Detection] = []
        worker = threading.Thread(target=lambda: found.append(detect_all(settings)), daemon=True)
        worker.start()

        def build() -> Any:
            return bridge_view(
                found[0] if found else None, cached_snapshot(), collector_status(), time.time()
            )

        return in_popup(lambda: run_scrolling(_console(), build))
    detection = detect_all(settings)
    snapshot = command_snapshot(settings)
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
    from gt_mcp_tmux.render.bridge_view import bridge_view

    _console().print(bridge_view(detection, snapshot, collector, time.time()))
    return 0


# --- tmux -----------------------------------------------------------------------------------


def gastown_socket(settings: Settings) -> str | None:
    from gt_mcp_tmux.sources.gastown.town import find_town, socket_name_for

    town = find_town(configured=settings.town_root or None)
    if town is not None:
        return socket_name_for(town.root)
    explicit = os.environ.get("GT_TMUX_SOCKET", "")
    return explicit if explicit not in ("", "default", "auto") else None


def cmd_tmux_status(args: argparse.Namespace) -> int:
    from gt_mcp_tmux.model import ServerSessions
    from gt_mcp_tmux.sources.tmux.sessions import (
        gastown_server,
        list_sessions,
        user_server,
    )

    user = list_sessions(user_server())
    socket = gastown_socket(view_settings())
    gastown = (
        list_sessions(gastown_server(socket), with_roles=True)
        if socket
        else ServerSessions(None, False)
    )
    if args.json:
        print_json({"user": user, "gastown": gastown})
        return 0
    from gt_mcp_tmux.render.sessions_panel import servers_view

    _console().print(servers_view(user, gastown, time.time()))
    return 0


def cmd_tmux_setup(args: argparse.Namespace) -> int:
    from pathlib import Path

    import gt_mcp_tmux.cli.tmux_setup as tmux_setup

    conf = tmux_setup.tmux_conf_path()
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
            result = tmux_setup.install_block(conf, entry)
    except (tmux_setup.SetupError, OSError) as err:
        error_line(str(err))
        return 1
    print(result.message)
    if result.backup is not None:
        print(f"backup: {result.backup}")
    if result.changed:
        print(f"reload tmux to apply: tmux source-file {conf}")
    return 0


# --- registration ---------------------------------------------------------------------------


def add_view_commands(sub: Any, parser_class: type[argparse.ArgumentParser]) -> None:
    """Add the view commands to gt-mcp's subcommands (`sub` from add_subparsers)."""
    dashboard = sub.add_parser(
        "dashboard", help="live dashboard: agents, convoys, feed, mail, tmux, host"
    )
    dashboard.add_argument("--once", action="store_true", help="print one frame and exit")
    dashboard.add_argument(
        "--json", action="store_true", help="print {snapshot, host, user_sessions} (README)"
    )
    dashboard.add_argument("--popup", action="store_true", help=argparse.SUPPRESS)
    dashboard.set_defaults(func=cmd_dashboard)
    mail = sub.add_parser("mail", help="Agent Mail: projects, unread, reservations, conflicts")
    mail.add_argument("--json", action="store_true", help="print the agent_mail JSON (README)")
    mail.add_argument("--popup", action="store_true", help=argparse.SUPPRESS)
    mail.set_defaults(func=cmd_mail)
    bridge = sub.add_parser("bridge", help="detection, mail projects ⇄ rigs, collector state")
    bridge.add_argument(
        "--json", action="store_true", help="print {detect, bridge, collector} (README)"
    )
    bridge.add_argument("--popup", action="store_true", help=argparse.SUPPRESS)
    bridge.set_defaults(func=cmd_bridge)
    tmux = sub.add_parser("tmux", help="tmux sessions on both servers; load the plugin without TPM")
    actions = tmux.add_subparsers(
        dest="action", metavar="ACTION", parser_class=parser_class, required=True
    )
    status = actions.add_parser("status", help="sessions on your tmux server and on Gas Town's")
    status.add_argument("--json", action="store_true", help="print JSON (README)")
    status.set_defaults(func=cmd_tmux_status)
    setup = actions.add_parser("setup", help="add (or --remove) the plugin's block in tmux.conf")
    setup.add_argument("--remove", action="store_true", help="take the block out again")
    setup.add_argument("--plugin-dir", help="the plugin's folder (default: this installation's)")
    setup.set_defaults(func=cmd_tmux_setup)
