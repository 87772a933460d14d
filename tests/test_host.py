"""The dashboard's host sampler on a real tmux server: one scan of the processes per refresh."""

from __future__ import annotations

import psutil
import pytest

from gt_mcp_tmux.sources.host import HostSampler, descendants
from tests.counting import counting
from tests.harness import TmuxServer
from tests.waiting import retry_until

pytestmark = pytest.mark.integration


def start_sessions(tmux: TmuxServer, count: int) -> None:
    """`count` more sessions in one tmux call, each pane a `cat` (one process, no shell)."""
    batch: list[str] = []
    for n in range(count):
        batch += [";", "new-session", "-d", "-s", f"gt-polecat-{n:03d}", "cat"] if n else []
    tmux.run("new-session", "-d", "-s", "gt-polecat-000", "cat", *batch)


def test_descendants_follow_each_root_once() -> None:
    children = {1: [2, 3], 2: [4], 4: [5], 9: [10]}
    assert descendants([1, 9, 4], children) == {1: 1, 2: 1, 3: 1, 4: 1, 5: 1, 9: 9, 10: 9}
    assert descendants([], children) == {}


def test_one_process_scan_per_refresh_at_200_panes(tmux: TmuxServer) -> None:
    start_sessions(tmux, 199)
    tmux.run("new-session", "-d", "-s", "gt-tree", "sh -c 'sleep 300 & sleep 301 & wait'")
    sampler = HostSampler(tmux.socket)
    retry_until(lambda: len(psutil.Process(_pane_pid(tmux, "gt-tree")).children()) == 2)
    system_processes = len(psutil.pids())

    with counting() as counts:
        sampler._refresh_tree()
    refresh_reads = counts.proc_opens
    health = sampler.sample()

    sessions = {load.session: load for load in health.sessions}
    assert len(sessions) == 201  # main, 199 cats, gt-tree
    assert sessions["gt-tree"].processes == 3  # sh and its two sleeps
    assert sessions["gt-polecat-123"].processes == 1
    assert health.agent_processes == 203
    # One read of each process's parent (and its start time when new), not one scan per pane:
    # psutil.Process.children(recursive=True) per pane reads every /proc/<pid>/stat 200 times.
    assert refresh_reads <= 3 * system_processes + 20, (refresh_reads, system_processes)


def test_a_pane_gone_or_a_process_born_is_seen_at_the_next_refresh(tmux: TmuxServer) -> None:
    start_sessions(tmux, 3)
    sampler = HostSampler(tmux.socket)
    sampler._refresh_tree()
    before = {load.session: load.processes for load in sampler.sample().sessions}
    assert before["gt-polecat-002"] == 1
    tmux.run("kill-session", "-t", "=gt-polecat-002")
    tmux.run("new-session", "-d", "-s", "gt-tree", "sh -c 'sleep 300 & wait'")
    retry_until(lambda: len(psutil.Process(_pane_pid(tmux, "gt-tree")).children()) == 1)
    sampler._refresh_tree()
    after = {load.session: load.processes for load in sampler.sample().sessions}
    assert "gt-polecat-002" not in after
    assert after["gt-tree"] == 2


def test_no_server_is_a_reason_not_a_failure(tmux: TmuxServer) -> None:
    sampler = HostSampler(f"{tmux.socket}-none")
    health = sampler.sample()
    assert health.sessions == []
    assert health.panes_error == "Gas Town's tmux server is not running"


def _pane_pid(tmux: TmuxServer, session: str) -> int:
    return int(tmux.out("display-message", "-p", "-t", f"={session}:", "#{pane_pid}"))
