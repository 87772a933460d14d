"""`gt-mcp status` in a terminal: the quick status, then Agent Mail and the bridge as tables."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.rule import Rule
from rich.text import Text

from gt_mcp_tmux.model import Snapshot
from gt_mcp_tmux.render.bridge_view import links_section
from gt_mcp_tmux.render.mail_view import mail_view
from gt_mcp_tmux.render.quick_view import quick_status


def status_view(snapshot: Snapshot, now: float) -> RenderableType:
    parts: list[RenderableType] = [quick_status(snapshot, now)]
    mail = snapshot.agent_mail
    if mail is not None and mail.state != "off":
        parts += [Rule(Text(" Agent Mail ", style="bold"), align="left", style="dim")]
        parts.append(mail_view(mail, now, snapshot.bridge))
        parts += [Rule(Text(" Bridge ", style="bold"), align="left", style="dim")]
        parts += links_section(snapshot.bridge)
    return Group(*parts)
