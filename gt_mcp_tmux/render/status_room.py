"""How wide each of our status tokens is for a busy town: the widths the status-length rule
(`sources/detect.short_rooms`) counts, for `gt-mcp detect`, `gt-mcp tmux setup` and the
collector's first-load message alike.

tmux cuts `status-right` at `status-right-length` (40 by default) at a column, so a busy
segment loses digits. A quiet town (or a bar not drawn yet) shows less than it will, so each
token counts as wide as a busy town makes it (drawn from a sample with the user's own formats
and icons), or as wide as it is now when that is more.
"""

from __future__ import annotations

from gt_mcp_tmux.config import Settings
from gt_mcp_tmux.model import (
    Agent,
    AgentMail,
    Alert,
    Bridge,
    BridgeLink,
    Conflict,
    Convoy,
    GasTown,
    Snapshot,
)
from gt_mcp_tmux.output import shown_width
from gt_mcp_tmux.render.status_line import render_status, stale_marker


def busy_sample() -> Snapshot:
    """A busy town in two-digit numbers: 30 agents, 3 needing you, a convoy, mail, links."""
    agents = [
        Agent(f"r/p{i}", f"p{i}", "polecat", running=i < 26, status="stuck" if i < 3 else "working")
        for i in range(30)
    ]
    town = GasTown(
        town="gt",
        root="/gt",
        server_running=True,
        agents=agents,
        convoys=[Convoy("c", "c", "open", 42, 55)],
    )
    conflict = Conflict("p", "a/*", "A", "a/b", "B")
    mail = AgentMail(
        "http://127.0.0.1:8765",
        "ok",
        unread_total=13,
        urgent_unread=2,
        reservations_active=25,
        conflicts=[conflict],
    )
    bridge = Bridge("linked", [BridgeLink(f"p{i}", "r") for i in range(12)])
    alerts = [Alert(f"a{i}", "stuck", "x", 0.0) for i in range(12)]
    return Snapshot(0.0, "sample", town, mail, bridge, alerts=alerts)


def typical_widths(settings: Settings) -> dict[str, int]:
    """Columns each token takes for a busy town (the combined one with its stale mark)."""
    drawn = render_status(busy_sample(), settings).as_options()
    widths = {name.lstrip("@"): shown_width(value) for name, value in drawn.items()}
    widths["gtmcp_status"] += shown_width(stale_marker(settings))
    return widths
