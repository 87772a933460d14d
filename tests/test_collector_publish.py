"""The collector's publish step: the cache is rewritten when what it holds changed (the records or
the open alerts' ids) and at least every 10 s, found without serialising the snapshot; nothing
changed, nothing forks."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import pytest

from gt_mcp_tmux.collector import cache, loop
from gt_mcp_tmux.collector.cache import snapshot_path
from gt_mcp_tmux.collector.cache_text import CacheText
from gt_mcp_tmux.collector.loop import Collector
from gt_mcp_tmux.model import AgentMail, Alert, Snapshot
from tests.counting import counting
from tests.harness import TmuxServer
from tests.viewkit import busy_town

pytestmark = pytest.mark.integration


def same_again(snapshot: Snapshot, now: float) -> Snapshot:
    """The same content in new objects, as the readers rebuild it every cycle."""
    again = busy_town()
    return dataclasses.replace(again, collected_at=now, alerts=list(snapshot.alerts))


@pytest.fixture
def collector(tmux: TmuxServer) -> Collector:
    path = tmux.out("display-message", "-p", "#{socket_path}")
    return Collector(path, None)


def writes(monkeypatch: pytest.MonkeyPatch) -> list[Snapshot]:
    """The snapshots the collector writes to its cache, from now on (still written)."""
    written: list[Snapshot] = []
    real = cache.write_snapshot

    def counted(
        snapshot: Snapshot, path: Path | None = None, text: CacheText | None = None
    ) -> Path:
        written.append(snapshot)
        return real(snapshot, path, text)

    monkeypatch.setattr(loop, "write_snapshot", counted)
    return written


def test_the_cache_is_rewritten_on_change_and_every_10_s(
    collector: Collector, monkeypatch: pytest.MonkeyPatch
) -> None:
    written = writes(monkeypatch)
    now = time.time()
    first = dataclasses.replace(busy_town(), collected_at=now)
    collector.publish(first, now)
    assert len(written) == 1 and snapshot_path(collector.socket_path).exists()

    collector.publish(same_again(first, now + 1), now + 1)
    collector.publish(same_again(first, now + 2), now + 2)
    assert len(written) == 1  # equal content in new objects: not rewritten

    town = first.gastown
    assert town is not None
    stuck = dataclasses.replace(town.agents[4], status="stuck")
    changed = dataclasses.replace(
        first, gastown=dataclasses.replace(town, agents=[*town.agents[:4], stuck, *town.agents[5:]])
    )
    collector.publish(changed, now + 3)
    assert len(written) == 2  # one agent's status

    alert = Alert("stuck:gastown/furiosa", "stuck", "furiosa is stuck", now)
    collector.publish(dataclasses.replace(changed, alerts=[alert]), now + 3.5)
    assert len(written) == 3  # an alert opened (its id)

    mail = dataclasses.replace(changed, alerts=[alert], agent_mail=AgentMail("http://x", "down"))
    collector.publish(mail, now + 4)
    assert len(written) == 4  # Agent Mail's state

    collector.publish(dataclasses.replace(mail, collected_at=now + 13.9), now + 13.9)
    assert len(written) == 4
    collector.publish(dataclasses.replace(mail, collected_at=now + 14), now + 14)
    assert len(written) == 5  # 10 s since the last write: rewritten, its time fresh


def test_nothing_changed_forks_nothing(collector: Collector) -> None:
    now = time.time()
    first = dataclasses.replace(busy_town(), collected_at=now)
    collector.publish(first, now)  # pushes the options: one tmux call
    with counting() as counts:
        for second in range(1, 4):  # within the heartbeat's interval
            collector.publish(same_again(first, now + second), now + second)
    assert counts.execs == []
