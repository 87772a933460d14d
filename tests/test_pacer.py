"""When the live views (the dashboard, the scrolling popups) build again: on a new stamp, a key
or their ages tick, and new data never more than MOST_SHARE of a core. A fake clock, no waits."""

from __future__ import annotations

import pytest

from gt_mcp_tmux.ui.popups import AGES_EVERY, MOST_SHARE, Pacer


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr("gt_mcp_tmux.ui.popups.time.monotonic", fake)
    return fake


def build(pace: Pacer, clock: Clock, cost: float) -> None:
    started = clock.now
    clock.now += cost
    pace.built(started)


def test_an_unchanged_stamp_builds_only_on_the_ages_tick(clock: Clock) -> None:
    pace = Pacer(lambda: "same")
    assert pace.due()
    build(pace, clock, 0.05)
    for _ in range(int(AGES_EVERY) - 1):  # looked at every second, nothing new
        clock.now += 1.0
        pace.look()
        assert not pace.due()
    clock.now += 1.0
    assert pace.due() and pace.builds == 1


def test_a_new_stamp_builds_at_once_but_within_the_share_of_a_core(clock: Clock) -> None:
    stamps = iter(range(100))
    pace = Pacer(lambda: next(stamps))
    build(pace, clock, 0.05)  # cheap: the next change may build 0.5 s after it started
    clock.now += 1.0
    pace.look()
    assert pace.due()
    dear = clock.now
    build(pace, clock, 0.5)  # dear (a huge fleet): no rebuild for new data before 5 s
    assert pace.earliest == pytest.approx(dear + 0.5 / MOST_SHARE)
    clock.now += 1.0
    pace.look()
    assert not pace.due()
    clock.now = pace.earliest
    assert pace.due()


def test_a_key_builds_at_once_whatever_the_cap(clock: Clock) -> None:
    pace = Pacer(lambda: "same")
    build(pace, clock, 1.0)
    pace.asked()
    assert pace.due()
