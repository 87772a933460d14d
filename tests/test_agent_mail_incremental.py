"""The incremental HTTP refresh on both real servers: after each change made through the server's
own tools (mail sent, read, acknowledged; the server restarted), a refresh asks again only the
views whose count may have changed, and every count still equals the SQLite read of the same
database."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gt_mcp_tmux.sources.agent_mail import http_memo, http_reader
from gt_mcp_tmux.sources.agent_mail.http_reader import NOT_IN_TIME, HttpMailReader
from gt_mcp_tmux.sources.agent_mail.reading import MailReading
from gt_mcp_tmux.sources.agent_mail.sqlite import SqliteMailReader
from tests.agent_mail_server import VARIANTS, AgentMailServer
from tests.test_agent_mail import started

pytestmark = [pytest.mark.integration, pytest.mark.slow]

NAMES = ("PinkCreek", "BrownDog", "OrangeCat")
OTHER = "PinkPond"


class Fleet:
    """A small world on its own server: three agents of one project, mail between them, and
    a second project with one agent."""

    def __init__(self, server: AgentMailServer, base: Path) -> None:
        self.server = server
        self.key = str(base / "repo")
        server.tool("ensure_project", human_key=self.key)
        self.other = str(base / "other")  # a second project, with an agent of its own
        server.tool("ensure_project", human_key=self.other)
        for key, name in [*((self.key, n) for n in NAMES), (self.other, OTHER)]:
            server.tool(
                "register_agent",
                project_key=key,
                program="claude-code",
                model="test-model",
                name=name,
                task_description="incremental",
            )

    def send(self, to: str, subject: str, importance: str = "normal", ack: bool = False) -> int:
        sent = self.server.tool(
            "send_message",
            project_key=self.key,
            sender_name=NAMES[0],
            to=[to],
            subject=subject,
            body_md=subject,
            importance=importance,
            ack_required=ack,
        )
        return int(sent["deliveries"][0]["payload"]["id"])

    def reserve(self, name: str, pattern: str, reason: str) -> None:
        """An exclusive reservation for an hour, through the server's own tool."""
        self.server.tool(
            "file_reservation_paths",
            project_key=self.key,
            agent_name=name,
            paths=[pattern],
            ttl_seconds=3600,
            exclusive=True,
            reason=reason,
        )

    def mark(self, tool: str, name: str, message_id: int) -> None:
        self.server.tool(tool, project_key=self.key, agent_name=name, message_id=message_id)


@pytest.fixture(scope="module", params=VARIANTS)
def fleet(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Fleet]:
    base = tmp_path_factory.mktemp(f"agent-mail-incremental-{request.param}")
    server = started(request.param, base / "am")
    try:
        yield Fleet(server, base)
    finally:
        server.stop()
        http_memo.forget(server.url)


def counts(reading: MailReading) -> dict[str, tuple[int, int, int, list[str]]]:
    return {
        a.name: (a.unread, a.urgent_unread, a.acks_pending, a.withheld)
        for p in reading.projects
        for a in p.agents
    }


def held(reading: MailReading) -> set[tuple[int, str, str]]:
    return {(r.id, r.agent, r.path_pattern) for p in reading.projects for r in p.reservations}


def settled(fleet: Fleet) -> None:
    """Wait until the server's tool counts stop moving (a call's count is kept at its start)."""
    reader = HttpMailReader(fleet.server.url, call_timeout=20)
    last: Any = None
    for _ in range(40):
        now = reader.resource("resource://tooling/metrics", time.monotonic() + 20)["tools"]
        if now == last:
            return
        last = now
        time.sleep(0.25)


def refresh(fleet: Fleet, reservation_reads: int | None = None) -> tuple[dict[str, Any], int]:
    """One HTTP refresh (the memo of the last one in force): its counts and the views it asked;
    the counts and reservations must be the SQLite read's, read from the server that often."""
    reader = HttpMailReader(fleet.server.url, call_timeout=20)
    reading = reader.read(time.monotonic() + 60)
    truth = SqliteMailReader(str(fleet.server.db_path)).read(time.monotonic() + 20)
    assert counts(reading) == counts(truth)
    assert held(reading) == held(truth)
    if reservation_reads is not None:
        assert reader.reservation_reads == reservation_reads, reader.calls_logged
    return counts(reading), reader.views_asked


def test_a_refresh_asks_again_only_what_may_have_changed(fleet: Fleet) -> None:
    urgent = fleet.send(NAMES[1], "urgent, ack", "urgent", ack=True)
    fleet.send(NAMES[2], "plain")
    settled(fleet)
    http_memo.forget(fleet.server.url)
    first, asked = refresh(fleet, reservation_reads=2)
    assert first[NAMES[1]][:3] == (1, 1, 1)
    assert asked == 4 + 2  # acks of all four, urgent of the two with unread mail

    same, asked = refresh(fleet, reservation_reads=0)  # no tool called: nothing swept either
    assert (same, asked) == (first, 0)  # nothing changed: no view asked

    fleet.mark("mark_message_read", NAMES[1], urgent)  # unread drops: urgent asked again
    now, asked = refresh(fleet, reservation_reads=0)
    assert now[NAMES[1]][:3] == (0, 0, 1)
    assert asked == 0  # no unread mail: no urgent; no ack given: acks kept

    fleet.mark("acknowledge_message", NAMES[1], urgent)  # nothing in the directory changes
    now, asked = refresh(fleet, reservation_reads=0)
    assert now[NAMES[1]][:3] == (0, 0, 0)
    assert asked == 1  # the server logged who acknowledged: that agent's acks only

    fleet.send(NAMES[2], "second ack", ack=True)  # new mail: that recipient asked again
    now, asked = refresh(fleet, reservation_reads=1)  # sending may sweep: that project again
    assert now[NAMES[2]][:3] == (2, 0, 1)
    assert asked == 2

    fleet.reserve(NAMES[2], "src/*.py", "incremental")
    refresh(fleet, reservation_reads=1)  # the new reservation is there (as SQLite has it)
    refresh(fleet, reservation_reads=0)


def test_a_restarted_server_has_its_nonzero_ack_counts_asked_again(fleet: Fleet) -> None:
    message = fleet.send(NAMES[2], "ack before the restart", ack=True)
    before, _asked = refresh(fleet)
    fleet.mark("acknowledge_message", NAMES[2], message)
    fleet.server.stop()  # its tool log (what told us who acknowledged) is gone
    fleet.server.start()
    after, asked = refresh(fleet)
    assert after[NAMES[2]][2] == before[NAMES[2]][2] - 1
    assert asked >= 1


def test_views_not_begun_in_time_are_withheld_then_counted(
    fleet: Fleet, monkeypatch: pytest.MonkeyPatch
) -> None:
    fleet.send(NAMES[1], "late", "high", ack=True)
    http_memo.forget(fleet.server.url)
    with monkeypatch.context() as patch:
        patch.setattr(http_reader, "VIEW_RESERVE", 3600.0)  # every view is too late
        reader = HttpMailReader(fleet.server.url, call_timeout=20)
        reading = reader.read(time.monotonic() + 60)
    assert reader.views_asked == 0
    assert reading.withheld == {"acks_pending": NOT_IN_TIME, "urgent_unread": NOT_IN_TIME}
    late = {a.name: a for p in reading.projects for a in p.agents}[NAMES[1]]
    assert late.withheld == ["acks_pending", "urgent_unread"]
    now, asked = refresh(fleet)  # the next refresh counts them
    assert asked > 0 and all(not withheld for *_n, withheld in now.values())
