"""A fleet's first HTTP refresh and a new process's, on both real servers: every agent and its
exact unread count at once, urgent and ack counts "still being counted" (never 0) when there is
no time for their views, finished by the next refresh; the memo kept in the runtime folder lets a
new process refresh incrementally, still exact; counts near their age limit are asked again when
there is time, and keep their number when there is not."""

from __future__ import annotations

import stat
import time
from collections.abc import Iterator
from typing import Any

import pytest

from gt_mcp_tmux.sources.agent_mail import http_memo, http_reader
from gt_mcp_tmux.sources.agent_mail.http_reader import COUNTING, HttpMailReader
from gt_mcp_tmux.sources.agent_mail.reading import MailReading
from gt_mcp_tmux.sources.agent_mail.sqlite import SqliteMailReader
from tests.agent_mail_server import VARIANTS
from tests.test_agent_mail import started
from tests.test_agent_mail_incremental import NAMES, Fleet, counts, settled

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module", params=VARIANTS)
def fleet(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Fleet]:
    base = tmp_path_factory.mktemp(f"agent-mail-first-{request.param}")
    server = started(request.param, base / "am")
    try:
        made = Fleet(server, base)
        made.send(NAMES[1], "urgent, ack", "urgent", ack=True)
        made.send(NAMES[2], "plain")
        settled(made)
        yield made
    finally:
        server.stop()
        http_memo.forget(server.url)


def read(fleet: Fleet, **options: Any) -> tuple[MailReading, HttpMailReader]:
    reader = HttpMailReader(fleet.server.url, call_timeout=20, **options)
    return reader.read(time.monotonic() + 60), reader


def truth(fleet: Fleet) -> dict[str, Any]:
    return counts(SqliteMailReader(str(fleet.server.db_path)).read(time.monotonic() + 20))


@pytest.fixture
def no_minimum(monkeypatch: pytest.MonkeyPatch) -> None:
    """No view begins past a refresh's time for them (the few every refresh may ask: none)."""
    monkeypatch.setattr(http_reader, "MIN_VIEWS", 0)


@pytest.mark.usefixtures("no_minimum")
def test_no_time_for_views_shows_unread_and_marks_the_rest_being_counted(fleet: Fleet) -> None:
    http_memo.forget(fleet.server.url)
    first, reader = read(fleet, count_for=0)  # a first refresh with no time left for views
    assert reader.views_asked == 0
    assert reader.connections_opened == 1  # loopback: one request at a time
    assert first.withheld == {"acks_pending": COUNTING, "urgent_unread": COUNTING}
    shown = counts(first)
    exact = truth(fleet)
    assert {n: c[0] for n, c in shown.items()} == {n: c[0] for n, c in exact.items()}  # unread
    assert shown[NAMES[1]] == (1, 0, 0, ["acks_pending", "urgent_unread"])  # not known: marked
    assert shown[NAMES[0]] == (0, 0, 0, ["acks_pending"])  # no unread mail: no urgent, exactly

    done, reader = read(fleet)  # the next refresh counts what the first left
    assert counts(done) == exact and not done.withheld
    assert reader.views_asked == 4 + 2  # acks of all four, urgent of the two with unread mail
    _again, reader = read(fleet)
    assert reader.views_asked == 0  # all known now


def test_a_new_process_refreshes_from_the_memo_file(fleet: Fleet) -> None:
    http_memo.forget(fleet.server.url)
    first, _reader = read(fleet)
    assert counts(first) == truth(fleet)
    path = http_memo.memo_path(fleet.server.url)
    assert path is not None and stat.S_IMODE(path.stat().st_mode) == 0o600

    http_memo.forget(fleet.server.url, on_disk=False)  # what a new process has: the file
    again, reader = read(fleet)
    assert counts(again) == counts(first)
    assert (reader.views_asked, reader.reservation_reads) == (0, 0)

    fleet.send(NAMES[0], "ack this, new process", ack=True)
    settled(fleet)
    http_memo.forget(fleet.server.url, on_disk=False)
    after, reader = read(fleet)
    assert counts(after) == truth(fleet)
    assert counts(after)[NAMES[0]][2] == counts(first)[NAMES[0]][2] + 1
    assert reader.views_asked == 2  # only the recipient's urgent and acks


def test_a_memo_file_of_a_restarted_server_is_checked_again(fleet: Fleet) -> None:
    message = fleet.send(NAMES[2], "ack before the restart", ack=True)
    settled(fleet)
    http_memo.forget(fleet.server.url)
    before, _reader = read(fleet)
    fleet.mark("acknowledge_message", NAMES[2], message)
    port = fleet.server.port
    fleet.server.stop()  # its tool log (what told us who acknowledged) is gone
    fleet.server.start(port)  # the same URL: the memo file is found, and its log does not fit
    assert fleet.server.port == port
    http_memo.forget(fleet.server.url, on_disk=False)
    after, reader = read(fleet)
    assert counts(after) == truth(fleet)
    assert counts(after)[NAMES[2]][2] == counts(before)[NAMES[2]][2] - 1
    assert reader.views_asked >= 1


def test_every_refresh_counts_a_few_however_late_and_so_finishes(
    fleet: Fleet, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(http_reader, "MIN_VIEWS", 2)
    http_memo.forget(fleet.server.url)
    exact = truth(fleet)
    urgent_left = sum(1 for unread, *_rest in exact.values() if unread)  # urgent views first
    acks_left = len(exact)
    for _ in range(8):
        reading, reader = read(fleet, count_for=0)
        asked = min(2, urgent_left + acks_left)
        assert reader.views_asked == asked  # two a refresh, however late
        urgent_left, acks_left = (
            max(0, urgent_left - asked),
            acks_left - max(0, asked - urgent_left),
        )
        withheld = ["acks_pending"] * bool(acks_left) + ["urgent_unread"] * bool(urgent_left)
        assert sorted(reading.withheld) == withheld
        if not asked:
            break
    assert (urgent_left, acks_left) == (0, 0)
    assert counts(reading) == truth(fleet)


@pytest.mark.usefixtures("no_minimum")
def test_counts_near_their_age_limit_are_asked_again_when_there_is_time(
    fleet: Fleet, monkeypatch: pytest.MonkeyPatch
) -> None:
    http_memo.forget(fleet.server.url)
    first, reader = read(fleet)
    asked_first = reader.views_asked
    monkeypatch.setattr(http_memo, "RECHECK_BEFORE", http_memo.FULL_EVERY)  # all due again
    late, reader = read(fleet, count_for=0)  # no time: the counts still hold, none withheld
    assert reader.views_asked == 0
    assert counts(late) == counts(first) and not late.withheld
    again, reader = read(fleet)  # time enough: every count taken from a view is asked again
    assert reader.views_asked == asked_first
    assert counts(again) == truth(fleet)
    monkeypatch.setattr(http_memo, "FULL_EVERY", 0.0)  # too old to reuse: counted again
    old, reader = read(fleet, count_for=0)
    assert old.withheld == {"acks_pending": COUNTING, "urgent_unread": COUNTING}


def test_a_memo_file_not_ours_or_broken_is_not_read(tmp_path: Any) -> None:
    """Garbage, a wrong field, a file others may read or a FIFO: no memo (the refresh asks all),
    never a traceback nor a wait."""
    import os

    url = "http://127.0.0.1:9"
    seen = http_memo.Seen("1|t|p", 2, 1, 0, time.time(), time.time())
    memo = http_memo.Memo(5, {"send_message": 3}, None, time.time(), {("p", "A"): seen}, {})
    http_memo.remember(url, memo)
    path = http_memo.memo_path(url)
    assert path is not None and stat.S_IMODE(path.stat().st_mode) == 0o600
    http_memo.forget(url, on_disk=False)
    assert http_memo.recall(url) == memo  # read back from the file
    good = path.read_text()
    for broken in ("{", "[]", good.replace('"send_message":3', '"send_message":"3"'), good[:-9]):
        path.write_text(broken)
        http_memo.forget(url, on_disk=False)
        assert http_memo.recall(url) is None
    path.write_text(good)
    path.chmod(0o644)
    http_memo.forget(url, on_disk=False)
    assert http_memo.recall(url) is None
    path.unlink()
    os.mkfifo(path, 0o600)
    http_memo.forget(url, on_disk=False)
    assert http_memo.recall(url) is None
    http_memo.forget(url)
    assert not path.exists()
