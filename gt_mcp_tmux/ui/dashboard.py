"""The live dashboard (Prefix+G, `gt-mcp dashboard`): the snapshot cache (it never queries Gas
Town or Agent Mail itself), plus host health and the user's tmux sessions, which it measures
itself.

It is built and painted again only when what it shows changed: every second it looks at the
cache file's stamp (one stat) and, every SESSIONS_EVERY s, lists the user's sessions; a new
stamp, a change in those sessions (not in their activity: it is shown as an age), or a key
repaints it. With nothing new it repaints every AGES_EVERY (5) s, for its ages (whole seconds,
minutes...: `updated 4s ago` may lag by that much) and the host's figures, sampled at each
build. Rebuilds for new data take at most MOST_SHARE of a
core (ui/popups.py's Pacer, shared with the scrolling popups). Only the rows that fit are
rendered (AgentsTable's window): a frame of 1,000 agents costs about what one of 200 does.

Keys: q/Esc quit, r refresh now, Tab/Shift-Tab/←/→ move between panels, ↑/↓ pick an agent,
Enter jumps to the picked agent's session (jump.py: a popup over the dashboard, or, when the
dashboard itself is a popup, it closes and the agent opens in its place).
"""

from __future__ import annotations

import os
import time

from rich.console import Console, RenderableType
from rich.live import Live
from rich.text import Text

from gt_mcp_tmux.collector.views_data import cached_or_collected, cached_snapshot, snapshot_file
from gt_mcp_tmux.config import Settings
from gt_mcp_tmux.model import Agent, HostHealth, ServerSessions, Snapshot
from gt_mcp_tmux.render.agents_panel import agent_label, all_agents, by_attention
from gt_mcp_tmux.render.dashboard_view import DashboardInput, live_frame, once_frame, panel_names
from gt_mcp_tmux.render.extensions import ExtensionPanel
from gt_mcp_tmux.render.icons import plain_glyphs
from gt_mcp_tmux.render.literal import literal
from gt_mcp_tmux.render.sessions_panel import shown_order
from gt_mcp_tmux.sources.host import HostSampler
from gt_mcp_tmux.sources.tmux.sessions import list_sessions, user_server
from gt_mcp_tmux.ui.jump import socket_of
from gt_mcp_tmux.ui.keys import KeyReader
from gt_mcp_tmux.ui.popups import Pacer, file_stamp

SESSIONS_EVERY = 3.0
#: The host's figures are sampled at each build, but not more often (CPU shares need a gap).
HOST_EVERY = 1.0


def sessions_stamp(user: ServerSessions | None) -> object:
    """What the sessions panel shows of the user's server but its ages: their activity moves
    every time a pane prints (the dashboard's own pane too) and is shown as an age, ticked."""
    if user is None:
        return None
    shown = [(s.name, s.windows, s.attached) for s in shown_order(user.sessions)]
    return (user.server, user.running, shown)


class Dashboard:
    """The dashboard's state between frames: data, focus, the picked agent, a message."""

    def __init__(
        self,
        stale_after: float = 30.0,
        extensions: tuple[ExtensionPanel, ...] = (),
        collect_with: Settings | None = None,
    ) -> None:
        """`collect_with`: with no cache at all (no collector), collect once with these settings
        (a few seconds at most) instead of showing an empty board; a popup passes None."""
        self.stale_after = stale_after
        self.extensions = extensions
        self._collect_with = collect_with
        self.jump_to: Agent | None = None  # set by Enter; run_live does the jump
        self.snapshot: Snapshot | None = None
        self._snapshot_stamp: tuple[int, int] | None = None
        self.sampler = HostSampler(None)
        self.host: HostHealth | None = None
        self._host_at = -HOST_EVERY
        self.user: ServerSessions | None = None
        self._next_sessions = 0.0
        self.focus = "agents"
        self.selected = 0  # index into the agents sorted by attention, kept on `picked_address`
        self.picked_address: str | None = None
        self.message: Text | None = None

    def refresh(self, force: bool = False) -> None:
        """Re-read the cache when it changed, sample the host, and the user's sessions when due."""
        path = snapshot_file()
        try:
            info = path.stat()
            stamp: tuple[int, int] | None = (info.st_mtime_ns, info.st_size)
        except OSError:
            stamp = None
        if force or stamp != self._snapshot_stamp or self.snapshot is None:
            self.snapshot = cached_snapshot()
            self._snapshot_stamp = stamp
        if self.snapshot is None and self._collect_with is not None:
            self.snapshot = cached_or_collected(self._collect_with)  # no collector: once
            self._collect_with = None
        fleet = self.snapshot
        socket = (fleet.gastown.socket or fleet.gascity.socket) if fleet else None
        self.sampler.set_socket(socket)  # a city user's agents are on the city's server
        now = time.monotonic()
        if force or now - self._host_at >= HOST_EVERY:
            self.host, self._host_at = self.sampler.sample(), now
        self._sessions(force)
        self._follow_pick()

    def _sessions(self, force: bool = False) -> None:
        now = time.monotonic()
        if force or now >= self._next_sessions:
            self.user = list_sessions(user_server())
            self._next_sessions = now + SESSIONS_EVERY

    def changed(self) -> object:
        """A stamp of what may change with no key: the cache file's (one stat) and the user's
        sessions' (listed when due). The host and the ages tick with the rebuilds."""
        self._sessions()
        return (file_stamp(snapshot_file()), sessions_stamp(self.user))

    def _sorted_agents(self) -> list[Agent]:
        return by_attention(all_agents(self.snapshot)) if self.snapshot else []

    def _follow_pick(self) -> None:
        """The list re-sorts as agents change: the highlight stays on the agent picked."""
        agents = self._sorted_agents()
        addresses = [agent.address for agent in agents]
        if self.picked_address in addresses:
            self.selected = addresses.index(self.picked_address)
        else:
            self.selected = min(self.selected, max(len(agents) - 1, 0))
            self.picked_address = addresses[self.selected] if agents else None

    def view(self, now: float, keys: bool) -> DashboardInput:
        return DashboardInput(
            snapshot=self.snapshot,
            now=now,
            host=self.host,
            user_sessions=self.user,
            focus=self.focus,
            selected=self.selected,
            message=self.message,
            stale_after=self.stale_after,
            keys=keys,
            extensions=self.extensions,
        )

    def handle(self, key: str) -> bool:
        """Act on one key; False means quit."""
        if key in ("q", "Q", "esc"):
            return False
        names = panel_names(self.view(0.0, keys=True))
        index = names.index(self.focus) if self.focus in names else 0
        if key in ("tab", "right", "l"):
            self.focus = names[(index + 1) % len(names)]
        elif key in ("shift-tab", "left", "h"):
            self.focus = names[(index - 1) % len(names)]
        elif key in ("up", "k", "down", "j") and self.focus == "agents":
            step = -1 if key in ("up", "k") else 1
            agents = self._sorted_agents()
            self.selected = min(max(self.selected + step, 0), max(len(agents) - 1, 0))
            self.picked_address = agents[self.selected].address if agents else None
        elif key == "enter" and self.focus == "agents":
            self.message = self.session_message()
            agent = self.picked()
            if agent is not None and agent.session and agent.running:
                self.jump_to = agent
        elif key in ("r", "R"):
            self.message = Text("refreshed", style="dim")
            self.refresh(force=True)
        return True

    def picked(self) -> Agent | None:
        self._follow_pick()
        agents = self._sorted_agents()
        return agents[self.selected] if agents else None

    def session_message(self) -> Text:
        agent = self.picked()
        if agent is None:
            return Text("no agent to show", style="dim")
        line = literal(agent_label(agent), "bold")
        if not agent.session:
            line.append(": no session", style="yellow")
            return line
        socket = socket_of(self.snapshot, agent) if self.snapshot else None
        line.append(": session ")
        line.append_text(literal(agent.session, "bold cyan"))
        if socket:
            line.append("  (tmux -L ", style="dim")
            line.append_text(literal(socket, "dim"))
            line.append(" attach -t ", style="dim")
            line.append_text(literal(agent.session, "dim"))
            line.append(")", style="dim")
        return line


def render_once(
    console: Console,
    stale_after: float = 30.0,
    extensions: tuple[ExtensionPanel, ...] = (),
    collect_with: Settings | None = None,
) -> RenderableType:
    """One frame at the console's width, every panel at its natural height."""
    board = Dashboard(stale_after, extensions, collect_with)
    board.refresh()
    time.sleep(0.3)  # CPU percentages need two samples
    board.host = board.sampler.sample()
    ascii_only = plain_glyphs(console, console.options)
    return once_frame(board.view(time.time(), keys=False), console.width, ascii_only)


def run_live(
    console: Console,
    stale_after: float = 30.0,
    extensions: tuple[ExtensionPanel, ...] = (),
    jump_mode: str = "popup",
    popup: bool = False,
    frame: str | None = None,
) -> None:
    """The interactive dashboard, until q or Esc (or, inside a popup, a jump). A popup keeps its
    first screen as the frame for next time (ui/frames.py); `frame`: the one shown before."""
    from gt_mcp_tmux.ui.frames import dashboard_frame, took_over

    board = Dashboard(stale_after, extensions)
    ascii_only = plain_glyphs(console, console.options)
    with KeyReader() as keys, Live(console=console, screen=True, auto_refresh=False) as live:
        pace = Pacer(board.changed)
        while True:
            started = time.monotonic()
            if pace.due():
                board.refresh()
                width, height = console.size  # read afresh each build: resizes just work
                now = time.time()
                view = board.view(now, keys=True)
                live.update(live_frame(view, width, height, ascii_only), refresh=True)
                pace.built(started)
                if popup and pace.builds == 1:
                    took_over(
                        "dashboard",
                        frame,
                        dashboard_frame(board, (width, height), now),
                        (width, height),
                    )
            key = keys.read(pace.wait())
            if key is None:
                pace.look()
                continue
            if key != "resize" and not board.handle(key):
                return
            pace.asked()  # focus, pick, message or size: painted at once
            if board.jump_to is not None:
                agent, board.jump_to = board.jump_to, None
                if jump_to_agent(board, agent, jump_mode, popup):
                    return  # a popup dashboard gives its place to the agent


def jump_to_agent(board: Dashboard, agent: Agent, mode: str, popup: bool) -> bool:
    """Go to the agent's session; True when the dashboard must close for it (it is a popup)."""
    from gt_mcp_tmux.ui.jump import go, session_exists

    socket = socket_of(board.snapshot, agent) if board.snapshot else None
    if not socket or not agent.session:
        return False
    if not session_exists(socket, agent.session):
        board.message = literal(f"{agent.address}: its session {agent.session} is gone", "yellow")
        return False
    go(socket, agent.session, mode, after_pid=os.getpid() if popup else None)
    return popup and mode == "popup"
