"""`gt-mcp demo`: start the demo town and look at it; `--stop` ends it and removes its files."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from gt_mcp_tmux.output import error_line


def _speed(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0.1 <= value <= 50:
        raise argparse.ArgumentTypeError(f"expected 0.1 to 50, got {text!r}")
    return value


def _say(line: str) -> None:
    print(f"gt-mcp demo: {line}", flush=True)


def command_demo(args: argparse.Namespace) -> int:
    from gt_mcp_tmux.demo.launcher import DemoError, DemoOptions, start_demo, stop_demo
    from gt_mcp_tmux.demo.viewer import attach_command

    if args.stop:
        problems = stop_demo()
        if problems is None:
            _say("no demo is running")
            return 0
        for problem in problems:
            error_line(problem)
        if not problems:
            _say("stopped; its processes are gone and its files removed")
        return 1 if problems else 0
    options = DemoOptions(
        speed=args.speed,
        seed=args.seed,
        with_mail=args.with_mail or bool(args.mail_python),
        mail_python=args.mail_python,
        no_mail=args.no_mail,
        seed_mail=args.seed_mail,
    )
    if sum((options.with_mail, options.no_mail, options.seed_mail)) > 1:
        error_line("demo: choose one of --with-mail (or --mail-python), --seed-mail, --no-mail")
        return 2
    try:
        state = start_demo(options, _say)
    except DemoError as err:
        error_line(f"demo: {err}")
        return 1
    attach = attach_command()
    print(f"  town        {state.paths.root}")
    print(f"  its tmux    tmux -L {state.gt_socket} ls")
    print(f"  city        {state.paths.city_root}  (tmux -L gtmcp-demo-city ls)")
    print(f"  gt          {state.paths.bin / 'gt'}  (the stand-in; only the demo's tmux uses it)")
    if state.mail_note:
        print(f"  mail        {state.mail_note}")
    print(f"  look        {attach}")
    print("  stop        gt-mcp demo --stop")
    if args.no_attach:
        return 0
    if os.environ.get("TMUX"):
        print(
            "You are inside tmux: run the `look` command in a terminal outside it. Attaching here "
            "would nest tmux, and your prefix key would go to the outer one."
        )
        return 0
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        print("Not a terminal: run the `look` command in one.")
        return 0
    os.execvp("tmux", ["tmux", "-u", "-L", state.viewer_socket, "attach"])


def create_demo_subparser(sub: Any) -> None:
    """Add `demo` to gt-mcp's argparse subparsers."""
    demo = sub.add_parser(
        "demo", help="try gastown-mcp on a simulated Gas Town (never touches yours)"
    )
    demo.add_argument("--stop", action="store_true", help="stop the demo and remove its files")
    demo.add_argument(
        "--no-attach", action="store_true", help="start it, print how to look at it, return"
    )
    demo.add_argument(
        "--with-mail",
        action="store_true",
        help="start an installed MCP Agent Mail server of the demo's own, and seed it",
    )
    demo.add_argument(
        "--seed-mail",
        action="store_true",
        help="add the demo's projects, agents, mail and reservations to your Agent Mail server "
        "at AGENT_MAIL_URL (says what first; they stay)",
    )
    demo.add_argument("--mail-python", metavar="PATH", help="the Python that has mcp_agent_mail")
    demo.add_argument("--no-mail", action="store_true", help="leave Agent Mail out")
    demo.add_argument(
        "--speed", type=_speed, default=1.0, help="how fast the town lives (1 = a beat every 3 s)"
    )
    demo.add_argument("--seed", type=int, default=7, help=argparse.SUPPRESS)
    demo.set_defaults(func=command_demo)
