"""Where the demo keeps its files, and the state file that records what it started.

The demo's folder (`$XDG_RUNTIME_DIR/gtmcp-demo-*`, else under /tmp) holds the town, the
stand-in's answers, the `gt` it puts on the demo's PATH, the agent pane logs and the viewer's tmux
config. The state file (`<runtime dir>/demo.json`, 0600) lists every process and server started,
so `gt-mcp demo --stop` can end exactly those and remove exactly these files.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from gt_mcp_tmux.private_files import runtime_dir, write_private

#: The viewer's tmux socket name (`tmux -L gtmcp-demo attach`); not shaped like Gas Town's.
VIEWER_SOCKET = "gtmcp-demo"
VIEWER_SESSION = "demo"


@dataclass(frozen=True, slots=True)
class DemoPaths:
    base: Path

    @property
    def root(self) -> Path:
        """The town root (named `gt`, like the usual `~/gt`)."""
        return self.base / "gt"

    @property
    def answers(self) -> Path:
        """What the stand-in `gt` prints ($STANDIN_GT_DATA)."""
        return self.base / "answers"

    @property
    def bin(self) -> Path:
        """`gt` and `gt-mcp` for the demo's own PATH."""
        return self.base / "bin"

    @property
    def panes(self) -> Path:
        return self.base / "panes"

    @property
    def ready(self) -> Path:
        """Written by the simulator once the town and its tmux server are up."""
        return self.base / "ready.json"

    @property
    def city_root(self) -> Path:
        """The simulated Gas City's folder (see `demo/city.py`)."""
        return self.base / "city" / "demo-city"

    @property
    def gc_home(self) -> Path:
        """The simulated city's GC_HOME: its registry and supervisor.toml."""
        return self.base / "gchome"

    @property
    def log(self) -> Path:
        return self.base / "demo.log"

    @property
    def viewer_conf(self) -> Path:
        return self.base / "viewer.tmux.conf"

    @property
    def banner(self) -> Path:
        return self.base / "welcome.txt"

    @property
    def mail_run(self) -> Path:
        """The Agent Mail server's state, when the demo started one."""
        return self.base / "agent-mail"


def demo_base_parent() -> Path:
    return Path(os.environ.get("XDG_RUNTIME_DIR") or "/tmp")


@dataclass
class DemoState:
    """What one demo started (the state file's content)."""

    base: str
    gt_socket: str
    viewer_socket: str = VIEWER_SOCKET
    viewer_socket_path: str | None = None
    speed: float = 1.0
    seed: int = 7
    simulator_pid: int | None = None
    gastown_tmux_pid: int | None = None
    city_tmux_pid: int | None = None
    viewer_tmux_pid: int | None = None
    collector_pid: int | None = None
    mail_url: str | None = None
    mail_pid: int | None = None  # set only when the demo started the server
    mail_seeded: bool = False
    mail_note: str = ""  # one line: where Agent Mail is, and what the demo did with it

    @property
    def paths(self) -> DemoPaths:
        return DemoPaths(Path(self.base))

    def pids(self) -> dict[str, int]:
        found = {
            "simulator": self.simulator_pid,
            "gastown tmux server": self.gastown_tmux_pid,
            "gas city tmux server": self.city_tmux_pid,
            "viewer tmux server": self.viewer_tmux_pid,
            "collector": self.collector_pid,
            "agent mail server": self.mail_pid,
        }
        return {name: pid for name, pid in found.items() if pid}


def state_path() -> Path:
    return runtime_dir() / "demo.json"


def save_state(state: DemoState) -> None:
    write_private(state_path(), json.dumps(asdict(state), indent=1))


def load_state() -> DemoState | None:
    """The running demo's state, or None (no demo, or an unreadable file)."""
    try:
        data = json.loads(state_path().read_text(encoding="utf-8"))
        return DemoState(**data)
    except (OSError, ValueError, TypeError):
        return None
