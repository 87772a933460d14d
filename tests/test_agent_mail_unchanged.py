"""A local server's database is read again only when it changed, on both real servers.

The collector reads Agent Mail every few seconds; at 2,000 reservations a reading costs ~40 ms
of CPU, and a quiet fleet's database does not change for minutes. While the database and its WAL
are unchanged (two stats) the last reading is given again, the same object, so what the
collector made from it is kept too; a change made through the server's own tools, a
reservation's expiry or a minute's age makes the next refresh read it again.
"""

from __future__ import annotations

import dataclasses
import time
from datetime import datetime, timedelta, timezone

import pytest

from gt_mcp_tmux.config import Settings
from gt_mcp_tmux.model import AgentMail
from gt_mcp_tmux.sources.agent_mail import reader as mail_reader
from gt_mcp_tmux.sources.agent_mail.sqlite import SqliteMailReader
from tests.test_agent_mail_incremental import NAMES, Fleet, fleet, settled

pytestmark = [pytest.mark.integration, pytest.mark.slow]

__all__ = ["fleet"]  # the fixture: one server of each variant for this module


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The SQLite reads made, by database path."""
    made: list[str] = []
    real = SqliteMailReader.read

    def counted(self: SqliteMailReader, deadline: float) -> object:
        made.append(self.path)
        return real(self, deadline)

    monkeypatch.setattr(SqliteMailReader, "read", counted)
    mail_reader.forget_kept()
    return made


def read(fleet: Fleet, now: datetime | None = None) -> AgentMail:
    settings = Settings(agent_mail_url=fleet.server.url, agent_mail_db=str(fleet.server.db_path))
    mail = mail_reader.read_agent_mail(settings, timeout=20, now=now)
    assert mail.state == "ok", mail.error
    assert mail.via == "sqlite"
    return mail


def unread(mail: AgentMail, name: str) -> int:
    return next(a.unread for p in mail.projects for a in p.agents if a.name == name)


def test_an_unchanged_database_is_not_read_again_and_a_change_is_seen(
    fleet: Fleet, reads: list[str]
) -> None:
    settled(fleet)
    first = read(fleet)
    assert read(fleet) is first and read(fleet) is first
    assert len(reads) == 1

    fleet.send(NAMES[2], "news for the third")
    settled(fleet)
    changed = read(fleet)
    assert len(reads) == 2
    assert unread(changed, NAMES[2]) == unread(first, NAMES[2]) + 1
    assert changed.messages[0].subject == "news for the third"
    assert read(fleet) is changed and len(reads) == 2


def test_a_reservation_expiring_makes_the_next_refresh_read_again(
    fleet: Fleet, reads: list[str]
) -> None:
    fleet.reserve(NAMES[1], "src/unchanged.py", "held for the test")
    settled(fleet)
    held = read(fleet)
    assert read(fleet) is held and len(reads) == 1
    patterns = {r.path_pattern for p in held.projects for r in p.reservations}
    assert "src/unchanged.py" in patterns

    later = datetime.now(timezone.utc) + timedelta(hours=2)  # past its expiry, file unchanged
    expired = read(fleet, now=later)
    assert len(reads) == 2
    assert expired.reservations_active == 0


def test_a_minute_old_reading_is_read_again(
    fleet: Fleet, reads: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    settled(fleet)
    first = read(fleet)
    assert read(fleet) is first
    ahead = time.monotonic() + mail_reader.REREAD_EVERY
    monkeypatch.setattr(time, "monotonic", lambda: ahead)  # the reader's clock too
    again = read(fleet)
    assert again is not first
    assert dataclasses.replace(again, latency_ms=first.latency_ms) == first
    assert len(reads) == 2
