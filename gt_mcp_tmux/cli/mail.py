"""`gt-mcp mail [--json]`: Agent Mail's projects, unread mail, reservations and conflicts."""

from __future__ import annotations

import argparse
import time
from typing import Any

from gt_mcp_tmux.cli.common import command_settings, console, in_popup
from gt_mcp_tmux.cli.focus import add_focus_arguments, focus_mail
from gt_mcp_tmux.output import print_json


def create_mail_subparser(sub: Any) -> None:
    parser = sub.add_parser("mail", help="Agent Mail: projects, unread, reservations, conflicts")
    parser.add_argument("--json", action="store_true", help="print the agent_mail JSON (README)")
    parser.add_argument("--popup", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--frame", help=argparse.SUPPRESS)  # the frame popup.sh showed first
    add_focus_arguments(parser, agent=True)
    parser.set_defaults(func=command_mail)


def command_mail(args: argparse.Namespace) -> int:
    from gt_mcp_tmux.collector.views_data import cached_or_collected, cached_snapshot
    from gt_mcp_tmux.render.mail_view import mail_view

    if args.popup:
        from gt_mcp_tmux.collector.views_data import snapshot_file
        from gt_mcp_tmux.ui.frames import mail_first, popup_took_over
        from gt_mcp_tmux.ui.popups import file_stamp, run_scrolling

        def build() -> Any:
            snapshot = cached_snapshot()
            if not args.project:
                return mail_first(snapshot, time.time())
            return mail_view(
                focus_mail(snapshot.agent_mail, args.project, args.agent, args.message)
                if snapshot
                else None,
                time.time(),
                snapshot.bridge if snapshot else None,
            )

        return in_popup(
            lambda: run_scrolling(
                console(),
                build,
                changed=lambda: file_stamp(snapshot_file()),
                # a view narrowed to one project is not the frame of the next Prefix+m
                on_first=None if args.project else popup_took_over("mail", args.frame),
            )
        )
    snapshot = cached_or_collected(command_settings())
    mail = (
        focus_mail(snapshot.agent_mail, args.project, args.agent, args.message)
        if snapshot
        else None
    )
    if args.json:
        print_json(mail)
        return 0
    console().print(mail_view(mail, time.time(), snapshot.bridge if snapshot else None))
    return 0 if mail is not None and mail.state == "ok" else 1
