"""`gt-mcp status` in a terminal: the quick status, then Agent Mail and the bridge as tables."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.rule import Rule
from rich.text import Text

from gt_mcp_tmux.model import Snapshot
from gt_mcp_tmux.render.bridge_view import in_sight, links_section
from gt_mcp_tmux.render.mail_view import mail_view
from gt_mcp_tmux.render.quick_view import quick_status

#: Without `--all`, at most this many rows of each list (projects, and each project's agents,
#: conflicts and reservations; links), each cut list summed up in a line: the header and the
#: agents always show, however big the fleet and its Agent Mail.
STATUS_ROWS = 10
ALL_HINT = "gt-mcp status --all"


def status_view(snapshot: Snapshot, now: float, bounded: bool = True) -> RenderableType:
    """The quick status, Agent Mail and the bridge; `bounded` False (`--all`): every row."""
    limit = STATUS_ROWS if bounded else None
    parts: list[RenderableType] = [quick_status(snapshot, now, bounded=bounded)]
    mail = snapshot.agent_mail
    if mail is not None and mail.state != "off":
        parts += [Rule(Text(" Agent Mail ", style="bold"), align="left", style="dim")]
        parts.append(mail_view(mail, now, snapshot.bridge, limit, ALL_HINT))
        parts += [Rule(Text(" Bridge ", style="bold"), align="left", style="dim")]
        parts += links_section(snapshot.bridge, limit, ALL_HINT, in_sight(snapshot))
    return Group(*parts)
