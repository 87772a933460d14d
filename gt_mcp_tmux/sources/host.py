"""Host health for the dashboard: load, memory, and the CPU and memory of the agents' processes.

The agents' processes are those in the panes of Gas Town's tmux server: their pane pids come from
one `tmux -L <socket> list-panes -a` call every few seconds, their descendants from one scan of the
system's processes per refresh (`process_tree`: one read of each process's parent, whatever the
number of panes; `psutil.Process.children` would rebuild that map once per pane). The
psutil.Process objects are kept between samples, so CPU percentages cover the time since the last
sample (psutil's own rule), without sleeping.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterable

import psutil

from gt_mcp_tmux.model import HostHealth, SessionLoad
from gt_mcp_tmux.sources.tmux.runner import SEP, run_tmux


def pane_pids(socket: str, timeout: float = 1.0) -> tuple[dict[int, str], str | None]:
    """{pane pid: session name} on a tmux server, or ({}, why not)."""
    done = run_tmux(
        ["list-panes", "-a", "-F", f"#{{pane_pid}}{SEP}#{{session_name}}"], socket, timeout
    )
    if done is None:
        return {}, "tmux did not answer"
    if done.returncode != 0:
        return {}, "Gas Town's tmux server is not running"
    pids: dict[int, str] = {}
    for line in done.stdout.splitlines():
        pid, _, session = line.partition(SEP)
        if pid.isdigit():
            pids[int(pid)] = session
    return pids, None


def process_tree() -> tuple[dict[int, list[int]], dict[int, psutil.Process]]:
    """{pid: its children's pids} and {pid: process} of every process, from one scan."""
    children: dict[int, list[int]] = {}
    processes: dict[int, psutil.Process] = {}
    for proc in psutil.process_iter(["ppid"]):
        ppid = proc.info.get("ppid")
        processes[proc.pid] = proc
        if isinstance(ppid, int) and ppid != proc.pid:
            children.setdefault(ppid, []).append(proc.pid)
    return children, processes


def descendants(roots: Iterable[int], children: dict[int, list[int]]) -> dict[int, int]:
    """{pid: the root it descends from} for each root and its descendants (a root first wins)."""
    owner: dict[int, int] = {}
    for root in roots:
        if root in owner:
            continue
        owner[root] = root
        stack = [root]
        while stack:
            for child in children.get(stack.pop(), ()):
                if child not in owner:
                    owner[child] = root
                    stack.append(child)
    return owner


class HostSampler:
    """Samples host health; re-reads panes and process trees at most every `tree_every` seconds."""

    def __init__(self, socket: str | None, tree_every: float = 5.0) -> None:
        self.socket = socket
        self.tree_every = tree_every
        self._next_tree = 0.0
        self._tree: dict[int, tuple[str, psutil.Process]] = {}  # pid -> (session, process)
        self._panes_error: str | None = None
        psutil.cpu_percent(None)  # starts the system-wide measurement

    def set_socket(self, socket: str | None) -> None:
        if socket != self.socket:
            self.socket, self._next_tree, self._tree = socket, 0.0, {}

    def _refresh_tree(self) -> None:
        if self.socket is None:
            self._tree, self._panes_error = {}, "no Gas Town tmux server known"
            return
        panes, self._panes_error = pane_pids(self.socket)
        tree: dict[int, tuple[str, psutil.Process]] = {}
        if panes:
            children, processes = process_tree()
            live = [pid for pid in panes if pid in processes]
            for pid, root in descendants(live, children).items():
                kept = self._tree.get(pid)
                proc = processes[pid]  # the kept one while it is the same process (pid reuse)
                tree[pid] = (panes[root], kept[1] if kept and kept[1] == proc else proc)
        self._tree = tree

    def sample(self) -> HostHealth:
        now = time.monotonic()
        if now >= self._next_tree:
            self._refresh_tree()
            self._next_tree = now + self.tree_every
        per_session: dict[str, list[float]] = {}
        for _, (session, proc) in list(self._tree.items()):
            try:
                with proc.oneshot():
                    cpu = proc.cpu_percent(None)
                    rss = proc.memory_info().rss
            except (psutil.Error, OSError):
                continue
            totals = per_session.setdefault(session, [0, 0.0, 0])
            totals[0] += 1
            totals[1] += cpu
            totals[2] += rss
        sessions = sorted(
            (
                SessionLoad(name, int(t[0]), round(t[1], 1), int(t[2]))
                for name, t in per_session.items()
            ),
            key=lambda s: (-s.cpu_percent, -s.rss_bytes, s.session),
        )
        memory = psutil.virtual_memory()
        load: tuple[float, float, float] | None = None
        with contextlib.suppress(OSError, AttributeError):
            load = os.getloadavg()
        return HostHealth(
            load=load,
            cpus=psutil.cpu_count() or 1,
            cpu_percent=psutil.cpu_percent(None),
            mem_total=int(memory.total),
            mem_used=int(memory.total - memory.available),
            mem_percent=float(memory.percent),
            swap_percent=float(psutil.swap_memory().percent),
            agent_processes=sum(s.processes for s in sessions),
            agent_cpu_percent=round(sum(s.cpu_percent for s in sessions), 1),
            agent_rss_bytes=sum(s.rss_bytes for s in sessions),
            sessions=sessions,
            panes_error=self._panes_error,
        )
