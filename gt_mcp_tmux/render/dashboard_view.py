"""The dashboard (Prefix+G, `gt-mcp dashboard`): every panel in one frame.

With a height (the live dashboard) the frame fills the terminal and each panel fits its region;
when the terminal is too small for all six, it shows the agents and the focused panel. Without a
height (`--once`) every panel is drawn at its natural size, in two columns on wide terminals.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich import box
from rich.console import Group, RenderableType
from rich.layout import Layout
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from gt_mcp_tmux.model import GasCity, GasTown, HostHealth, ServerSessions, Snapshot
from gt_mcp_tmux.render.agents_panel import AgentsTable, all_agents, needs_attention
from gt_mcp_tmux.render.convoys_panel import ConvoysTable, active
from gt_mcp_tmux.render.extensions import ExtensionPanel, SafePanelBody
from gt_mcp_tmux.render.feed_panel import FeedTable
from gt_mcp_tmux.render.host_panel import HostTable
from gt_mcp_tmux.render.icons import ascii_text
from gt_mcp_tmux.render.mail_panel import MailSummary
from gt_mcp_tmux.render.sessions_panel import SessionsView
from gt_mcp_tmux.render.town_header import header_lines, painted_once

PANELS = ("agents", "convoys", "feed", "mail", "sessions", "host")
#: Below this many lines per panel the live dashboard shows only the agents and the focused panel.
MIN_PANEL_LINES = 5
WIDE = 110
NO_DATA = "no snapshot yet: is the collector running? (gt-mcp collector status / start)"


@dataclass(frozen=True, slots=True)
class DashboardInput:
    """What one frame shows: the snapshot plus what the dashboard measures itself."""

    snapshot: Snapshot | None
    now: float
    host: HostHealth | None = None
    user_sessions: ServerSessions | None = None
    focus: str = "agents"
    selected: int | None = None  # index into the attention-sorted agents
    message: Text | None = None
    stale_after: float = 30.0
    keys: bool = False  # show the key help line (live dashboard)
    extensions: tuple[ExtensionPanel, ...] = ()  # users' own panels (extensions.py)
    #: a pre-rendered frame (ui/frames.py): the header says when the data is from (`as of
    #: 14:03:07`), not an age that would be frozen in the file
    painted_once: bool = False


def panel_names(view: DashboardInput) -> tuple[str, ...]:
    """The built-in panels, then one `ext:<n>` per extension panel: the order Tab moves in."""
    return PANELS + tuple(f"ext:{i}" for i in range(len(view.extensions)))


def _extension(name: str, view: DashboardInput) -> ExtensionPanel | None:
    if not name.startswith("ext:"):
        return None
    index = int(name[4:])
    return view.extensions[index] if index < len(view.extensions) else None


def _snapshot(view: DashboardInput) -> Snapshot:
    return view.snapshot or Snapshot(collected_at=view.now, version="")


def panel_body(name: str, view: DashboardInput) -> RenderableType:
    snapshot = _snapshot(view)
    gas = snapshot.gastown
    extension = _extension(name, view)
    if extension is not None:
        return SafePanelBody(extension, snapshot)
    if name == "agents":
        selected = view.selected if view.focus == "agents" else None
        both = gas.root is not None and snapshot.gascity.root is not None
        marked = frozenset(a.address for a in snapshot.gascity.agents) if both else frozenset()
        return AgentsTable(all_agents(snapshot), view.now, selected=selected, city=marked)
    if name == "convoys":
        return ConvoysTable([*gas.convoys, *snapshot.gascity.convoys])
    if name == "feed":
        events = sorted([*gas.events, *snapshot.gascity.events], key=lambda e: e.ts)
        return FeedTable(events, view.now)
    if name == "mail":
        return MailSummary(snapshot.agent_mail)
    if name == "sessions":
        user = view.user_sessions
        city = snapshot.gascity
        city_user = gas.root is None and city.root is not None  # then the city's server
        fleet: GasTown | GasCity = city if city_user else gas
        return SessionsView(
            user.sessions if user and user.running else None,
            user.server if user else None,
            fleet.sessions,
            fleet.socket,
            fleet.server_running,
            view.now,
            label="Gas City" if city_user else "Gas Town",
        )
    return HostTable(view.host)


def panel_title(name: str, view: DashboardInput) -> Text:
    snapshot = _snapshot(view)
    gas = snapshot.gastown
    extension = _extension(name, view)
    if extension is not None:
        return Text(f" {extension.title} ", style="bold")
    if name == "agents":
        agents = all_agents(snapshot)
        attention = sum(1 for agent in agents if needs_attention(agent))
        title = Text(f"Agents {len(agents)}", style="bold")
        if attention:
            title.append(f" ⚠ {attention}", style="bold red")
        return title
    if name == "convoys":
        convoys = [*gas.convoys, *snapshot.gascity.convoys]
        return Text(f"Convoys {len(active(convoys))} open", style="bold")
    names = {"feed": "Activity", "mail": "Agent Mail", "sessions": "tmux sessions", "host": "Host"}
    return Text(names[name], style="bold")


def framed(name: str, view: DashboardInput, ascii_only: bool = False) -> Panel:
    focused = view.keys and view.focus == name
    title = ascii_text(panel_title(name, view)) if ascii_only else panel_title(name, view)
    if focused:  # seen without colour too
        title = Text.assemble((">" if ascii_only else "▸", "bold cyan"), " ", title)
    return Panel(
        panel_body(name, view),
        title=title,
        title_align="left",
        box=box.ASCII if ascii_only else (box.HEAVY if focused else box.ROUNDED),
        border_style="bold cyan" if focused else "dim",
        padding=(0, 1),
    )


def head(view: DashboardInput, ascii_only: bool = False) -> list[Text]:
    if view.snapshot is None:
        return [Text(NO_DATA, style="bold yellow", no_wrap=True, overflow="ellipsis")]
    lines = header_lines(view.snapshot, view.now, view.stale_after, ascii_only)
    if view.painted_once:
        lines[0] = painted_once(lines[0], view.snapshot, view.now)
    return lines


def key_line(view: DashboardInput, shown: Sequence[str]) -> Text:
    line = Text(no_wrap=True, overflow="ellipsis")
    if view.message is not None:
        line.append_text(view.message)
        line.append("  ")
    for name in panel_names(view):
        style = "bold reverse cyan" if name == view.focus else ("" if name in shown else "dim")
        extension = _extension(name, view)
        line.append(f" {extension.title if extension else name} ", style=style)
    line.append("  q quit · r refresh · Tab/←→ panel · ↑↓ agent · Enter jump", style="dim")
    return line


def _fits_all(width: int, body_height: int) -> bool:
    per_column = 3 if width >= WIDE else len(PANELS)
    return body_height >= per_column * MIN_PANEL_LINES


def live_frame(view: DashboardInput, width: int, height: int, ascii_only: bool = False) -> Layout:
    """The full-screen frame: header, panels fitted to `height` lines, key line."""
    top = head(view, ascii_only)
    body_height = max(height - len(top) - 1, 3)
    layout = Layout()
    body = Layout(name="body")
    layout.split_column(Layout(Group(*top), size=len(top)), body, Layout(name="keys", size=1))
    gas = _snapshot(view).gastown
    convoy_size = min(max(len(gas.convoys), 1) + 2, 9)
    host_size = (
        4
        + min(len(view.host.sessions) if view.host else 0, 5)
        + (1 if view.host and view.host.sessions else 0)
    )
    extras = [f"ext:{i}" for i in range(len(view.extensions))]
    if extras and _fits_all(width, body_height - 2 * MIN_PANEL_LINES):
        # the users' panels share a row at the bottom; the built-in ones keep the rest
        main, bottom = Layout(name="main", ratio=4), Layout(name="extensions", ratio=1)
        body.split_column(main, bottom)
        bottom.split_row(*(Layout(framed(name, view, ascii_only)) for name in extras))
        body, body_height = main, body_height * 4 // 5
    else:
        extras = []
    if _fits_all(width, body_height):
        shown: list[str] = list(PANELS) + extras
        if width >= WIDE:
            left, right = Layout(name="left", ratio=3), Layout(name="right", ratio=2)
            body.split_row(left, right)
            left.split_column(
                Layout(framed("agents", view, ascii_only), ratio=3),
                Layout(framed("convoys", view, ascii_only), size=convoy_size),
                Layout(framed("feed", view, ascii_only), ratio=2),
            )
            right.split_column(
                Layout(framed("mail", view, ascii_only), ratio=3),
                Layout(framed("sessions", view, ascii_only), ratio=3),
                Layout(framed("host", view, ascii_only), size=host_size),
            )
        else:
            body.split_column(
                Layout(framed("agents", view, ascii_only), ratio=3),
                Layout(framed("convoys", view, ascii_only), size=convoy_size),
                Layout(framed("mail", view, ascii_only), ratio=2),
                Layout(framed("feed", view, ascii_only), ratio=2),
                Layout(framed("sessions", view, ascii_only), ratio=2),
                Layout(framed("host", view, ascii_only), size=host_size),
            )
    else:
        second = view.focus if view.focus != "agents" else "convoys"
        shown = ["agents", second]
        body.split_column(
            Layout(framed("agents", view, ascii_only), ratio=3),
            Layout(framed(second, view, ascii_only), ratio=2),
        )
    layout["keys"].update(key_line(view, shown) if view.keys else Text(""))
    return layout


def once_frame(view: DashboardInput, width: int, ascii_only: bool = False) -> RenderableType:
    """Every panel at its natural height: for `--once`, pipes and tests."""
    top = head(view, ascii_only)
    panels = {name: framed(name, view, ascii_only) for name in panel_names(view)}
    extras = [panels[name] for name in panel_names(view) if name not in PANELS]
    if width < WIDE:
        return Group(*top, *(panels[name] for name in PANELS), *extras)
    grid = Table.grid(expand=True)
    grid.add_column(ratio=3)
    grid.add_column(ratio=2)
    grid.add_row(
        Group(panels["agents"], panels["convoys"], panels["feed"]),
        Group(panels["mail"], panels["sessions"], panels["host"]),
    )
    return Group(*top, grid, *extras)
