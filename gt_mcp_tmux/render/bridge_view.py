"""The bridge view (Prefix+b, `gt-mcp bridge`): how both sides were found, how Agent Mail projects
join Gas Town rigs and agents, and how the collector is doing, each with a one-line fix hint."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from gt_mcp_tmux.model import Bridge, CollectorStatus, Detection, Snapshot
from gt_mcp_tmux.render.collector_view import collector_table
from gt_mcp_tmux.render.detect_view import detection_table
from gt_mcp_tmux.render.fit import first, more_line
from gt_mcp_tmux.render.icons import Heading
from gt_mcp_tmux.render.literal import clean, literal

BRIDGE_HINTS = {
    "down": "the bridge needs both sides: see the fixes above",
    "unlinked": (
        "no Agent Mail project lies inside the town: agents register with their worktree path "
        "as project_key (e.g. <town>/<rig>/polecats/<name>/<rig>)"
    ),
}


def heading(title: str) -> Heading:
    return Heading(Text(title, style="bold"), style="dim")


def hint(text: str) -> Text:
    line = Text("→ ", style="yellow")
    line.append(clean(text))  # hints carry paths and errors from outside
    return line


def links_section(
    bridge: Bridge | None, limit: int | None = None, more_hint: str = ""
) -> list[RenderableType]:
    """The bridge's state and its links (at most `limit` rows, the rest counted in a line)."""
    if bridge is None:
        return [Text("no bridge data yet (Agent Mail off, or no snapshot)", style="dim")]
    style = {"linked": "green", "partial": "yellow", "unlinked": "yellow"}.get(
        bridge.state, "bold red"
    )
    state = Text("state ", style="bold")
    state.append_text(literal(bridge.state, style))
    linked = [link for link in bridge.links if link.rig or link.by == "identity"]
    outside = [link for link in bridge.links if link not in linked]
    state.append(f"   {len(linked)} linked, {len(outside)} outside the town", style="dim")
    parts: list[RenderableType] = [state]
    if linked:
        with_city = any(link.orchestrator == "gascity" for link in linked)
        table = Table(box=None, padding=(0, 1, 0, 0), expand=True)
        table.add_column("mail project", ratio=3, min_width=8, no_wrap=True, overflow="ellipsis")
        table.add_column("rig", ratio=1, min_width=4, no_wrap=True, overflow="ellipsis")
        table.add_column("agent", ratio=2, min_width=5, no_wrap=True, overflow="ellipsis")
        if with_city:  # whose agent, and joined how (a city agent may be Agent Mail's own)
            table.add_column("of", min_width=4, no_wrap=True)
        ordered = sorted(linked, key=lambda item: (item.rig or "", item.project))
        for link in first(ordered, limit)[0]:
            cells = [
                literal(link.project),
                literal(link.rig or "", "cyan"),
                literal(link.agent or "", "bold"),
            ]
            if with_city:
                side = "city" if link.orchestrator == "gascity" else "town"
                cells.append(Text(side + (" (identity)" if link.by == "identity" else ""), "dim"))
            table.add_row(*cells)
        parts.append(table)
        if limit is not None and len(ordered) > limit:
            parts.append(more_line(len(ordered) - limit, "links", more_hint))
    if outside:
        names = Text("outside the town: ", style="dim", no_wrap=True, overflow="ellipsis")
        names.append_text(literal(", ".join(sorted(link.project for link in outside)), "dim"))
        parts.append(names)
    for error in bridge.errors:
        parts.append(literal(f"✘ {error}", "yellow"))
    if bridge.state in BRIDGE_HINTS:
        parts.append(hint(BRIDGE_HINTS[bridge.state]))
    return parts


def bridge_view(
    detection: Detection | None,
    snapshot: Snapshot | None,
    collector: CollectorStatus | None,
    now: float,
) -> RenderableType:
    """Detection, links and collector state; `detection` None shows a placeholder while it runs."""
    found: RenderableType = (
        detection_table(detection) if detection is not None else Text("detecting…", style="dim")
    )
    return Group(
        heading("Detection"),
        found,
        heading("Links: Agent Mail projects ⇄ Gas Town rigs"),
        *links_section(snapshot.bridge if snapshot else None),
        heading("Collector"),
        collector_table(collector, now)
        if collector is not None
        else Text("checking…", style="dim"),
    )
