"""The bridge view (Prefix+b, `gt-mcp bridge`): how both sides were found, how Agent Mail projects
join the rigs and agents of the town or city in sight, and how the collector is doing, each with a
one-line fix hint."""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from gt_mcp_tmux.model import Bridge, CollectorStatus, Detection, Snapshot
from gt_mcp_tmux.render.collector_view import collector_table
from gt_mcp_tmux.render.detect_view import detection_table
from gt_mcp_tmux.render.fit import first, more_line
from gt_mcp_tmux.render.icons import Heading
from gt_mcp_tmux.render.literal import clean, literal
from gt_mcp_tmux.render.mail_panel import conflict_lines

DOWN_HINT = "the bridge needs both sides: see the fixes above"
UNLINKED_HINT = (
    "no Agent Mail project lies inside {place}: agents register with their worktree path as"
    " project_key"
)
TOWN_EXAMPLE = " (e.g. <town>/<rig>/polecats/<name>/<rig>)"


@dataclass(frozen=True, slots=True)
class InSight:
    """Which orchestrators the bridge joins to Agent Mail: its words follow them."""

    town: bool = True
    city: bool = False

    def rigs(self) -> str:
        names = [name for name, seen in (("Gas Town", self.town), ("Gas City", self.city)) if seen]
        return (" and " if self.town and self.city else " or ").join(
            names or ["Gas Town", "Gas City"]
        ) + " rigs"

    def place(self) -> str:
        if self.town != self.city:
            return "the town" if self.town else "the city"
        return "the town and the city" if self.town else "the town or city"


def in_sight(snapshot: Snapshot | None, detection: Detection | None = None) -> InSight:
    """The town and city the snapshot watches (or, before one, that detection found)."""
    if snapshot is not None and (snapshot.gastown.root or snapshot.gascity.root):
        return InSight(bool(snapshot.gastown.root), bool(snapshot.gascity.root))
    if detection is not None:
        city = detection.gascity is not None and bool(detection.gascity.cities)
        return InSight(bool(detection.gastown.town_root), city)
    return InSight(False, False)


def heading(title: str) -> Heading:
    return Heading(Text(title, style="bold"), style="dim")


def hint(text: str) -> Text:
    line = Text("→ ", style="yellow")
    line.append(clean(text))  # hints carry paths and errors from outside
    return line


def links_section(
    bridge: Bridge | None,
    limit: int | None = None,
    more_hint: str = "",
    sight: InSight | None = None,
) -> list[RenderableType]:
    """The bridge's state and its links (at most `limit` rows, the rest counted in a line)."""
    sight = sight or InSight()
    if bridge is None:
        return [Text("no bridge data yet (Agent Mail off, or no snapshot)", style="dim")]
    style = {"linked": "green", "partial": "yellow", "unlinked": "yellow"}.get(
        bridge.state, "bold red"
    )
    state = Text("state ", style="bold")
    state.append_text(literal(bridge.state, style))
    linked = [link for link in bridge.links if link.rig or link.by == "identity"]
    outside = [link for link in bridge.links if link not in linked]
    state.append(f"   {len(linked)} linked, {len(outside)} outside {sight.place()}", style="dim")
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
        names = Text(f"outside {sight.place()}: ", style="dim", no_wrap=True, overflow="ellipsis")
        names.append_text(literal(", ".join(sorted(link.project for link in outside)), "dim"))
        parts.append(names)
    for error in bridge.errors:
        parts.append(literal(f"✘ {error}", "yellow"))
    if bridge.state == "down":
        parts.append(hint(DOWN_HINT))
    elif bridge.state == "unlinked":
        example = TOWN_EXAMPLE if sight.town and not sight.city else ""
        parts.append(hint(UNLINKED_HINT.format(place=sight.place()) + example))
    return parts


#: Conflicts the bridge view lists (`gt-mcp mail` has them all).
BRIDGE_CONFLICTS = 10


def conflicts_section(snapshot: Snapshot | None) -> list[RenderableType]:
    """Agent Mail's reservation conflicts, both patterns and both agents (where `gt-mcp queue
    next` opens the bridge, focused on the conflict's project)."""
    mail = snapshot.agent_mail if snapshot else None
    if mail is None or not mail.conflicts:
        return []
    projects = {c.project for c in mail.conflicts}
    one = len(projects) == 1  # its name in the heading, the lines left for the patterns
    title = f"Reservation conflicts {len(mail.conflicts)}" + (
        f" in {clean(next(iter(projects)))}" if one else ""
    )
    return [
        heading(title),
        *conflict_lines(
            mail.conflicts, with_project=not one, limit=BRIDGE_CONFLICTS, hint="gt-mcp mail"
        ),
    ]


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
    sight = in_sight(snapshot, detection)
    return Group(
        heading("Detection"),
        found,
        heading(f"Links: Agent Mail projects ⇄ {sight.rigs()}"),
        *links_section(snapshot.bridge if snapshot else None, sight=sight),
        *conflicts_section(snapshot),
        heading("Collector"),
        collector_table(collector, now)
        if collector is not None
        else Text("checking…", style="dim"),
    )
