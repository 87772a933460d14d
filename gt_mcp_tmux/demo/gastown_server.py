"""The demo town's own tmux server (`tmux -L <town socket>`), with a session per live agent.

Sessions are named as Gas Town names them and carry its GT_* variables in their environment.
Each pane follows the agent's pane log (`tail -F`), which the simulator appends to, so what an
agent "prints" costs one tail process and no Python per pane. The server reads no tmux.conf
(`-f /dev/null`) and gets no GT_TOWN_ROOT in its global environment, so a collector of the
user's own tmux never mistakes the demo for their town.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from gt_mcp_tmux.demo.fleet import Agent
from gt_mcp_tmux.sources.tmux.runner import run_tmux

PANE_WIDTH = 120
PANE_HEIGHT = 35
#: Variables of the user's environment the demo's processes never inherit (TMUX_TMPDIR stays:
#: it says where tmux sockets live).
DROPPED_NAMES = frozenset({"TMUX", "TMUX_PANE"})
DROPPED_PREFIXES = ("GT_", "AGENT_MAIL", "HTTP_BEARER")


def clean_environment(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The user's environment without tmux's, Gas Town's or Agent Mail's variables, plus `extra`."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in DROPPED_NAMES and not k.startswith(DROPPED_PREFIXES)
    }
    env.update(extra or {})
    return env


def pane_log(panes: Path, agent: Agent) -> Path:
    return panes / f"{agent.session}.{agent.life}.log"


class GasTownServer:
    def __init__(self, socket: str, root: Path, panes: Path) -> None:
        self.socket = socket
        self.root = root
        self.panes = panes

    def _session_args(self, agent: Agent) -> list[str]:
        log = pane_log(self.panes, agent)
        log.touch()
        args = ["new-session", "-d", "-s", agent.session, "-x", str(PANE_WIDTH)]
        args += ["-y", str(PANE_HEIGHT), "-c", str(self._workdir(agent))]
        for key, value in agent.environment(self.root).items():
            args += ["-e", f"{key}={value}"]
        return [*args, "tail", "-n", "+1", "-F", str(log)]

    def _workdir(self, agent: Agent) -> Path:
        folder = agent.workdir(self.root)
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def start(self, agents: Sequence[Agent]) -> bool:
        """Start sessions for `agents` in one tmux call (the first call starts the server)."""
        if not agents:
            return True
        args: list[str] = []
        for agent in agents:
            args += [*self._session_args(agent), ";"]
        args += ["set-option", "-g", "status-left-length", "40", ";"]
        args += ["set-option", "-g", "status-left", " ⛽ #{session_name} ", ";"]
        args += ["set-option", "-g", "status-right", " gastown-mcp demo town · Prefix+d: back "]
        done = run_tmux(["-f", "/dev/null", *args], self.socket, timeout=10)
        return done is not None and done.returncode == 0

    def kill(self, agents: Sequence[Agent]) -> None:
        args: list[str] = []
        for agent in agents:
            args += ["kill-session", "-t", f"={agent.session}", ";"]
        if args:
            run_tmux(args[:-1], self.socket, timeout=5)

    def pid(self) -> int | None:
        done = run_tmux(["display-message", "-p", "#{pid}"], self.socket)
        if done is None or done.returncode != 0:
            return None
        text = done.stdout.strip()
        return int(text) if text.isdigit() else None

    def stop(self) -> None:
        run_tmux(["kill-server"], self.socket, timeout=5)
