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
exit code), so `gt-mcp sling gt-123 mayor` runs `gt sling gt-123 mayor`. Use `gt` itself for gt's
own `status` and `dashboard`.
"""


class _Parser(argparse.ArgumentParser):
    """argparse that fails with our one-line error format instead of a usage block."""

    def error(self, message: str) -> None:  # type: ignore[override]
        error_line(f"{message} (see `gt-mcp --help`)")
        raise SystemExit(2)


def _settings() -> Settings:
    from gt_mcp_tmux.config import read_tmux_options

    tmux_values = read_tmux_options() if os.environ.get("TMUX") else {}
    return load_settings(tmux_values=tmux_values)[0]


def cmd_version(_: argparse.Namespace) -> int:
    from gt_mcp_tmux.sources.gt_cli import gt_version

    line, problem = gt_version()
    print(f"gt-mcp {__version__}")
    print(line if line else f"gt: {problem}")
    return 0


def cmd_detect(args: argparse.Namespace) -> int:
    from gt_mcp_tmux.detect import detect_all

    found = detect_all(_settings())
    if args.json:
        print_json(found)
        return 0
    from gt_mcp_tmux.output import console
    from gt_mcp_tmux.render.detect_view import detection_table

    console().print(detection_table(found))
    return 0


def cmd_config(args: argparse.Namespace) -> int:
    from gt_mcp_tmux.config_file import write_config

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
    config = sub.add_parser("config", help="configuration file")
    config_sub = config.add_subparsers(
        dest="action", metavar="ACTION", parser_class=_Parser, required=True
    )
    init = config_sub.add_parser("init", help="write a commented config.toml with every option")
    init.add_argument(
        "--force", action="store_true", help="overwrite an existing file (kept as .bak)"
    )
    init.set_defaults(func=cmd_config)
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
