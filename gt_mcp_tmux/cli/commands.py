"""gt-mcp's own subcommands. Loaded only when the first word is one of them."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable

from gt_mcp_tmux import __version__
from gt_mcp_tmux.config import ConfigError, Settings, load_settings
from gt_mcp_tmux.output import error_line, print_json

DESCRIPTION = """\
gt-mcp: Gas Town and MCP Agent Mail in your tmux.

Any command that is not listed below goes to `gt` unchanged (same arguments, input, terminal and
exit code), so `gt-mcp sling gt-123 mayor` runs `gt sling gt-123 mayor`. Words gt has too (status,
mail, dashboard, config) are gt-mcp's only with the options shown here: `gt-mcp mail send ...` and
`gt-mcp status --fast` go to gt.
"""


class _Parser(argparse.ArgumentParser):
    """argparse that fails with our one-line error format instead of a usage block."""

    def error(self, message: str) -> None:  # type: ignore[override]
        error_line(f"{message} (see `gt-mcp --help`)")
        raise SystemExit(2)


def _settings() -> Settings:
    return _load(strict=True)[0]


def _load(strict: bool) -> tuple[Settings, list[str]]:
    from gt_mcp_tmux.config import read_tmux_options

    tmux_values = read_tmux_options() if os.environ.get("TMUX") else {}
    return load_settings(tmux_values=tmux_values, strict=strict)


def cmd_version(_: argparse.Namespace) -> int:
    from gt_mcp_tmux.sources.gastown.gt_cli import gt_version

    line, problem = gt_version()
    print(f"gt-mcp {__version__}")
    print(line if line else f"gt: {problem}")
    return 0


def cmd_detect(args: argparse.Namespace) -> int:
    from gt_mcp_tmux.detect import detect_all

    settings, problems = _load(strict=False)  # the diagnostic runs even with a bad option
    found = detect_all(settings, config_errors=problems)
    if args.json:
        print_json(found)
        return 0
    from gt_mcp_tmux.output import console
    from gt_mcp_tmux.render.detect_view import detection_table

    console().print(detection_table(found))
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    if args.popup:
        from gt_mcp_tmux.cli.views import cmd_status_popup

        return cmd_status_popup(args)
    from gt_mcp_tmux.cli.actions import command_snapshot

    snapshot = command_snapshot(_settings())
    if args.json:
        print_json(snapshot)
        return 0
    import time

    from gt_mcp_tmux.output import console
    from gt_mcp_tmux.render.status_view import status_view

    console().print(status_view(snapshot, time.time()))
    return 0


def _collector_socket(args: argparse.Namespace) -> str:
    from gt_mcp_tmux.sources.tmux.runner import current_server_socket

    socket: str = args.socket or os.environ.get("GT_MCP_COLLECTOR_SOCKET") or ""
    if socket:
        return socket
    if not os.environ.get("TMUX") and args.action != "status":
        raise ConfigError("not inside tmux: run this in tmux, or pass --socket PATH")
    return current_server_socket()


def cmd_collector(args: argparse.Namespace) -> int:
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
    from gt_mcp_tmux.output import console
    from gt_mcp_tmux.render.collector_view import collector_table

    console().print(collector_table(status))
    return 0 if status.running or args.action == "stop" else 1


def cmd_config(args: argparse.Namespace) -> int:
    from gt_mcp_tmux.cli.config_init import write_config

    path = write_config(force=args.force)
    print(f"wrote {path}")
    return 0


def build_parser() -> _Parser:
    parser = _Parser(
        prog="gt-mcp",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="store_true", help="gt-mcp's version and gt's")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    detect = sub.add_parser("detect", help="find Gas Town and Agent Mail, and say how")
    detect.add_argument("--json", action="store_true", help="print JSON (schema in the README)")
    detect.set_defaults(func=cmd_detect)
    status = sub.add_parser("status", help="the fleet, Agent Mail and the bridge at a glance")
    status.add_argument("--json", action="store_true", help="print the Snapshot JSON (README)")
    status.add_argument("--popup", action="store_true", help=argparse.SUPPRESS)
    status.set_defaults(func=cmd_status)
    collector = sub.add_parser("collector", help="the background collector of this tmux server")
    collector.add_argument(
        "action", choices=["status", "start", "stop", "run"], nargs="?", default="status"
    )
    collector.add_argument("--json", action="store_true", help="print JSON")
    collector.add_argument("--socket", help="the tmux server's socket path (default: $TMUX's)")
    collector.add_argument("--all", action="store_true", help="with stop: every tmux server's")
    collector.set_defaults(func=cmd_collector)
    from gt_mcp_tmux.cli.actions import register as register_actions

    register_actions(sub)
    from gt_mcp_tmux.demo.command import register as register_demo

    register_demo(sub)
    config = sub.add_parser("config", help="configuration file")
    config_sub = config.add_subparsers(
        dest="action", metavar="ACTION", parser_class=_Parser, required=True
    )
    init = config_sub.add_parser("init", help="write a commented config.toml with every option")
    init.add_argument(
        "--force", action="store_true", help="overwrite an existing file (kept as .bak)"
    )
    init.set_defaults(func=cmd_config)
    from gt_mcp_tmux.cli.views import add_view_commands

    add_view_commands(sub, _Parser)
    return parser


def run(argv: list[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace], int] | None = getattr(args, "func", None)
    if args.version:
        func = cmd_version
    if func is None:
        parser.print_help()
        return 0
    try:
        return func(args)
    except ConfigError as err:
        error_line(str(err))
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except Exception as err:  # a traceback is never the answer; GT_MCP_DEBUG=1 shows it
        if os.environ.get("GT_MCP_DEBUG"):
            raise
        error_line(f"{type(err).__name__}: {err} (GT_MCP_DEBUG=1 shows details)")
        return 1


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
