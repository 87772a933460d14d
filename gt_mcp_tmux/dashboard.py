"""The live dashboard (Prefix+G, `gt-mcp dashboard`): repaints about once a second from the
snapshot cache (it never queries Gas Town or Agent Mail itself), plus host health and the user's
tmux sessions, which it measures itself a few times a minute at most.

Keys: q/Esc quit, r refresh now, Tab/Shift-Tab/←/→ move between panels, ↑/↓ pick an agent,
Enter shows the picked agent's session.
"""

from __future__ import annotations

import time

from rich.console import Console, RenderableType
from rich.live import Live
from rich.text import Text

from gt_mcp_tmux.host_health import HostHealth, HostSampler
from gt_mcp_tmux.model import Snapshot
from gt_mcp_tmux.render.agents_panel import agent_label, by_attention
from gt_mcp_tmux.render.dashboard_view import PANELS, DashboardInput, live_frame, once_frame
from gt_mcp_tmux.render.icons import plain_glyphs
from gt_mcp_tmux.render.literal import literal
from gt_mcp_tmux.terminal_keys import KeyReader
from gt_mcp_tmux.tmux_sessions import ServerSessions, list_sessions, user_server
from gt_mcp_tmux.views_data import cached_snapshot, snapshot_file

REFRESH_EVERY = 1.0
SESSIONS_EVERY = 3.0


class Dashboard:
    """The dashboard's state between frames: data, focus, the picked agent, a message."""

    def __init__(self, stale_after: float = 30.0) -> None:
        self.stale_after = stale_after
        self.snapshot: Snapshot | None = None
        self._snapshot_stamp: tuple[int, int] | None = None
        self.sampler = HostSampler(None)
        self.host: HostHealth | None = None
        self.user: ServerSessions | None = None
        self._next_sessions = 0.0
        self.focus = "agents"
        self.selected = 0
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
        self.sampler.set_socket(self.snapshot.gastown.socket if self.snapshot else None)
        self.host = self.sampler.sample()
        now = time.monotonic()
        if force or now >= self._next_sessions:
            self.user = list_sessions(user_server())
            self._next_sessions = now + SESSIONS_EVERY
        agents = len(self.snapshot.gastown.agents) if self.snapshot else 0
        self.selected = min(self.selected, max(agents - 1, 0))

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
        )

    def handle(self, key: str) -> bool:
        """Act on one key; False means quit."""
        if key in ("q", "Q", "esc"):
            return False
        index = PANELS.index(self.focus)
        if key in ("tab", "right", "l"):
            self.focus = PANELS[(index + 1) % len(PANELS)]
        elif key in ("shift-tab", "left", "h"):
            self.focus = PANELS[(index - 1) % len(PANELS)]
        elif key in ("up", "k", "down", "j") and self.focus == "agents":
            step = -1 if key in ("up", "k") else 1
            agents = len(self.snapshot.gastown.agents) if self.snapshot else 0
            self.selected = min(max(self.selected + step, 0), max(agents - 1, 0))
        elif key == "enter" and self.focus == "agents":
            self.message = self.session_message()
        elif key in ("r", "R"):
            self.message = Text("refreshed", style="dim")
            self.refresh(force=True)
        return True

    def session_message(self) -> Text:
        agents = by_attention(self.snapshot.gastown.agents) if self.snapshot else []
        if not agents:
            return Text("no agent to show", style="dim")
        agent = agents[min(self.selected, len(agents) - 1)]
        line = literal(agent_label(agent), "bold")
        if not agent.session:
            line.append(": no session", style="yellow")
            return line
        socket = self.snapshot.gastown.socket if self.snapshot else None
        line.append(": session ")
        line.append_text(literal(agent.session, "bold cyan"))
        if socket:
            line.append("  (tmux -L ", style="dim")
            line.append_text(literal(socket, "dim"))
            line.append(" attach -t ", style="dim")
            line.append_text(literal(agent.session, "dim"))
            line.append(")", style="dim")
        return line


def render_once(console: Console, stale_after: float = 30.0) -> RenderableType:
    """One frame at the console's width, every panel at its natural height."""
    board = Dashboard(stale_after)
    board.refresh()
    time.sleep(0.3)  # CPU percentages need two samples
    board.host = board.sampler.sample()
    ascii_only = plain_glyphs(console, console.options)
    return once_frame(board.view(time.time(), keys=False), console.width, ascii_only)


def run_live(console: Console, stale_after: float = 30.0) -> None:
    """The interactive dashboard, until q or Esc."""
    board = Dashboard(stale_after)
    board.refresh()
    ascii_only = plain_glyphs(console, console.options)
    with KeyReader() as keys, Live(console=console, screen=True, auto_refresh=False) as live:
        next_refresh = time.monotonic() + REFRESH_EVERY
        while True:
            width, height = console.size  # read afresh each frame: resizes just work
            live.update(
                live_frame(board.view(time.time(), keys=True), width, height, ascii_only),
                refresh=True,
            )
            key = keys.read(max(next_refresh - time.monotonic(), 0.0))
            if key is None:
                board.refresh()
                next_refresh = time.monotonic() + REFRESH_EVERY
            elif key != "resize" and not board.handle(key):
                return
