"""The collector's CPU budget: a costly cycle (a big fleet) is followed by a longer pause, so the
collector stays within `collector_cpu` of a core, never longer than 10 s (nor a third of
`stale_after`: the bar's heartbeat is never late); a small fleet's cycles run
every second as before; a user's request or an ESTOP does not wait for the budget."""

from __future__ import annotations

import threading
import time

import pytest

from gt_mcp_tmux.collector.alerts import acks_path
from gt_mcp_tmux.collector.budget import MOST_GAP, CycleBudget
from gt_mcp_tmux.collector.loop import Collector
from gt_mcp_tmux.collector.queue import requests_path
from gt_mcp_tmux.sources.gastown.town import TownLocation
from tests.harness import TmuxServer
from tests.townkit import StandinTown

pytestmark = pytest.mark.integration


def test_the_pause_keeps_the_cycles_within_the_share() -> None:
    budget = CycleBudget(share=0.01)
    budget.ran(started=100.0, cpu_seconds=0.002)  # a small fleet: 2 ms a cycle
    assert budget.next_at() == 101.0  # every second, as without a budget
    budget.ran(started=101.0, cpu_seconds=0.03)  # 1,000 agents: 30 ms
    assert budget.next_at() == pytest.approx(104.0)  # 30 ms in 3 s: 1%
    budget.ran(started=104.0, cpu_seconds=0.5)  # a pathological cycle
    assert budget.next_at() == 104.0 + MOST_GAP  # never longer than 10 s
    assert budget.next_at(urgent=True) == 105.0
    budget.most = 5.0  # `stale_after = 15`: a heartbeat at least every 5 s
    assert budget.next_at() == 109.0
    budget.share = 0.0  # `collector_cpu = 0`: no limit
    assert budget.next_at() == 105.0


def waits(collector: Collector, budget: CycleBudget) -> threading.Thread:
    waiting = threading.Thread(target=collector._wait_for_turn, args=(budget,), daemon=True)
    waiting.start()
    return waiting


@pytest.fixture
def collector(tmux: TmuxServer, town: StandinTown) -> Collector:
    made = Collector(tmux.out("display-message", "-p", "#{socket_path}"), None)
    made.town = TownLocation(town.root, "test")
    made.folder_seen = made._town_folder_stamp()  # as the last cycle began
    return made


def costly(now: float) -> CycleBudget:
    """A budget whose last cycle asks for the longest pause."""
    budget = CycleBudget(share=0.01)
    budget.ran(started=now, cpu_seconds=1.0)
    assert budget.next_at() == now + MOST_GAP
    return budget


@pytest.mark.parametrize("what", ["estop", "queue request", "acknowledgement"])
def test_what_must_not_wait_runs_a_second_after_the_last_cycle(
    collector: Collector, town: StandinTown, what: str
) -> None:
    waiting = waits(collector, costly(time.monotonic()))
    waiting.join(0.3)
    assert waiting.is_alive()  # the budget holds the next cycle back
    if what == "estop":
        (town.root / "ESTOP").write_text("stop everything\n")
    elif what == "queue request":
        requests_path(collector.socket_path).write_text("[]")
    else:
        acks_path(collector.socket_path).write_text("[]")
    waiting.join(MOST_GAP - 1.0)
    assert not waiting.is_alive(), f"the {what} waited for the budget"
    assert collector.urgent.is_set()


def test_an_estop_made_during_the_last_cycle_does_not_wait_either(
    collector: Collector, town: StandinTown
) -> None:
    """Made after the cycle began (its files already read), before the pause: seen too."""
    time.sleep(0.01)  # a later mtime than the cycle's start, on any filesystem clock
    (town.root / "ESTOP").write_text("stop everything\n")
    waiting = waits(collector, costly(time.monotonic()))
    waiting.join(MOST_GAP - 1.0)
    assert not waiting.is_alive(), "the ESTOP made during the cycle waited for the budget"


def test_a_user_signal_does_not_wait(collector: Collector) -> None:
    waiting = waits(collector, costly(time.monotonic()))
    waiting.join(0.3)
    assert waiting.is_alive()
    collector.urgent.set()  # what SIGUSR1 does
    waiting.join(MOST_GAP - 1.0)
    assert not waiting.is_alive()


def test_an_alert_holds_as_many_seconds_when_cycles_are_further_apart() -> None:
    from gt_mcp_tmux.collector.loop import held_cycles

    assert held_cycles(2, 1.0) == 2  # a small town: two looks a second apart
    assert held_cycles(2, 1.2) == 2
    assert held_cycles(2, 2.0) == held_cycles(2, 2.7) == held_cycles(2, 10.0) == 1
    assert held_cycles(3, 1.5) == 2
    assert held_cycles(1, 1.0) == 1
