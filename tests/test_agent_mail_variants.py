"""Agent Mail variant differences with recorded answers: upstream's `/api/` and project list, Rust's
integer timestamps, event-stream framing, failures; plus the pure rules (expiry, conflicts, token).

The "pypi" answers were recorded from the real PyPI 0.1.0 server; the upstream and Rust ones are
those answers reshaped as the reference describes those servers (path, resource names, columns).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from gt_mcp_tmux.config import Settings
from gt_mcp_tmux.model import AgentMail, MailProject, Reservation, to_json
from gt_mcp_tmux.sources.agent_mail.reader import (
    find_conflicts,
    patterns_overlap,
    read_agent_mail,
    resolve_token,
)
from gt_mcp_tmux.sources.agent_mail.reading import iso_utc, parse_ts

NOW = datetime.now(timezone.utc)
SLUG = "home-me-gt-gastown-polecats-furiosa-gastown"
KEY = "/home/me/gt/gastown/polecats/furiosa/gastown"


def iso(delta_s: float) -> str:
    return (NOW + timedelta(seconds=delta_s)).isoformat()


def fork_answers() -> dict[str, Any]:
    """resources/read answers of the PyPI fork (recorded), keyed by URI without its query."""
    agent = {
        "id": 1,
        "name": "GreenCastle",
        "program": "claude-code",
        "model": "opus",
        "task_description": "x",
        "inception_ts": iso(-600),
        "last_active_ts": iso(-60),
        "project_id": 1,
        "attachments_policy": "auto",
        "is_active": True,
        "deleted_ts": None,
        "unread_count": 0,
    }
    other = {**agent, "id": 2, "name": "BlueLake", "program": "codex", "unread_count": 2}
    reservation = {
        "id": 1,
        "agent": "GreenCastle",
        "path_pattern": "src/*.py",
        "exclusive": True,
        "reason": "r",
        "created_ts": iso(-120),
        "expires_ts": iso(3600),
        "released_ts": None,
        "stale": False,
        "stale_reasons": ["agent_recently_active"],
    }
    return {
        "resource://projects": [{"id": 1, "slug": SLUG, "human_key": KEY, "created_at": iso(-900)}],
        f"resource://agents/{SLUG}": {
            "project": {"slug": SLUG, "human_key": KEY},
            "agents": [agent, other],
        },
        f"resource://file_reservations/{SLUG}": [
            reservation,
            {
                **reservation,
                "id": 2,
                "agent": "BlueLake",
                "path_pattern": "src/app.py",
                "exclusive": False,
            },
            # Lazily expired: past its expiry, not yet released. Must not count.
            {
                **reservation,
                "id": 3,
                "agent": "BlueLake",
                "path_pattern": "src/*.py",
                "expires_ts": iso(-5),
            },
        ],
        "resource://views/urgent-unread/BlueLake": {
            "project": KEY,
            "agent": "BlueLake",
            "count": 1,
            "messages": [{"id": 7}],
        },
        "resource://views/ack-required/BlueLake": {
            "project": KEY,
            "agent": "BlueLake",
            "count": 1,
            "messages": [{"id": 7}],
        },
        "resource://views/ack-required/GreenCastle": {
            "project": KEY,
            "agent": "GreenCastle",
            "count": 0,
            "messages": [],
        },
    }


INBOX = {
    "messages": [
        {
            "id": 7,
            "subject": "Stop: main is red",
            "body_md": "b",
            "excerpt": "b",
            "created_ts": "2026-05-01 10:00:00.123456",
            "importance": "urgent",
            "thread_id": None,
            "sender": "GreenCastle",
            "project_slug": SLUG,
            "project_name": KEY,
            "recipients": "BlueLake",
            "read": False,
        },
    ],
    "projects": [],
}


class FakeMail:
    """A loopback HTTP server answering like an Agent Mail variant, logging every request."""

    def __init__(self) -> None:
        self.mcp_paths: tuple[str, ...] = ("/mcp/",)
        self.answers: dict[str, Any] = fork_answers()
        self.inbox: Any = INBOX
        self.framing = "json"
        self.status = 200
        self.delay = 0.0
        self.redirect_to: str | None = None
        #: The resource's answer for a URI (None: unknown); by default from `answers`.
        self.answer_for: Callable[[str], Any] = lambda uri: self.answers.get(uri.split("?")[0])
        #: URI prefix -> the JSON-RPC error message a resource read under it gets.
        self.errors: dict[str, str] = {}
        self.requests: list[dict[str, Any]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                fake.handle(self, None)

            def do_POST(self) -> None:
                size = int(self.headers.get("Content-Length") or 0)
                fake.handle(self, json.loads(self.rfile.read(size)))

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def reply(
        self, handler: BaseHTTPRequestHandler, status: int, body: Any, sse: bool = False
    ) -> None:
        raw = json.dumps(body).encode()
        if sse:
            raw = b": ping\n\nevent: message\ndata: " + raw + b"\n\n"
        handler.send_response(status)
        handler.send_header("Content-Type", "text/event-stream" if sse else "application/json")
        handler.send_header("Content-Length", str(len(raw)))
        handler.end_headers()
        handler.wfile.write(raw)

    def handle(self, handler: BaseHTTPRequestHandler, body: Any) -> None:
        path = handler.path
        self.requests.append(
            {
                "method": handler.command,
                "path": path,
                "headers": dict(handler.headers),
                "body": body,
            }
        )
        if path == "/health/liveness":
            return self.reply(handler, 200, {"status": "alive"})
        time.sleep(self.delay)
        if self.redirect_to:
            handler.send_response(307)
            handler.send_header("Location", self.redirect_to)
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return None
        if self.status != 200:
            return self.reply(handler, self.status, {"detail": "nope"})
        if path.startswith("/mail/api/unified-inbox"):
            if self.inbox is None:
                return self.reply(handler, 404, {"detail": "Not Found"})
            return self.reply(handler, 200, self.inbox)
        if handler.command != "POST" or path not in self.mcp_paths:
            return self.reply(handler, 404, {"detail": "Not Found"})
        uri = body["params"].get("uri", "")
        found = self.answer_for(uri)
        refusal = next((m for prefix, m in self.errors.items() if uri.startswith(prefix)), None)
        if body["method"] != "resources/read" or found is None:
            answer = {
                "jsonrpc": "2.0",
                "id": body["id"],
                "error": {"code": 0, "message": refusal or f"Unknown resource: {uri!r}"},
            }
        else:
            answer = {
                "jsonrpc": "2.0",
                "id": body["id"],
                "result": {
                    "contents": [
                        {"uri": uri, "mimeType": "application/json", "text": json.dumps(found)}
                    ]
                },
            }
        if self.framing == "html":
            handler.send_response(200)
            handler.send_header("Content-Type", "text/html")
            handler.send_header("Content-Length", "18")
            handler.end_headers()
            handler.wfile.write(b"<html>oops</html>\n")
            return None
        return self.reply(handler, 200, answer, sse=self.framing == "sse")


@pytest.fixture
def fake() -> Iterator[FakeMail]:
    server = FakeMail()
    yield server
    server.close()


def read(url: str, **kwargs: Any) -> AgentMail:
    return read_agent_mail(Settings(agent_mail_url=url), **{"timeout": 5.0, **kwargs})


def check_numbers(mail: AgentMail) -> None:
    assert mail.state == "ok", mail.error
    assert (mail.unread_total, mail.urgent_unread, mail.acks_pending) == (2, 1, 1)
    (project,) = mail.projects
    assert (project.slug, project.human_key) == (SLUG, KEY)
    assert [(a.name, a.unread, a.urgent_unread, a.acks_pending) for a in project.agents] == [
        ("BlueLake", 2, 1, 1),
        ("GreenCastle", 0, 0, 0),
    ]
    assert [r.id for r in project.reservations] == [1, 2]  # 3 expired, released or not
    assert mail.reservations_active == 2
    assert [(c.path_a, c.agent_a, c.path_b, c.agent_b) for c in mail.conflicts] == [
        ("src/*.py", "GreenCastle", "src/app.py", "BlueLake")
    ]
    (message,) = mail.messages
    assert (message.subject, message.recipients, message.created_ts) == (
        "Stop: main is red",
        ["BlueLake"],
        "2026-05-01T10:00:00.123456+00:00",
    )


def test_fork_answers_and_what_is_never_sent(fake: FakeMail) -> None:
    mail = read(fake.url)
    check_numbers(mail)
    assert mail.variant == "pypi"
    posts = [r for r in fake.requests if r["method"] == "POST"]
    assert posts and all(r["path"] == "/mcp/" for r in posts)
    assert not [r for r in fake.requests if r["method"] == "GET" and r["path"].startswith("/mcp")]
    assert {r["body"]["method"] for r in posts} == {"resources/read"}  # never fetch_inbox
    for request in fake.requests:
        headers = {k.lower(): v for k, v in request["headers"].items()}
        assert "x-forwarded-for" not in headers
        assert "authorization" not in headers  # no token configured anywhere
        if request["method"] == "POST":
            assert headers["content-type"] == "application/json"
            assert headers["accept"] == "application/json, text/event-stream"
    # BlueLake has unread mail: its urgent view is asked; GreenCastle has none: skipped.
    uris = [r["body"]["params"]["uri"] for r in posts]
    assert not any(u.startswith("resource://views/urgent-unread/GreenCastle") for u in uris)
    assert any(u.startswith("resource://views/urgent-unread/BlueLake?") for u in uris)
    inbox = [r["path"] for r in fake.requests if r["path"].startswith("/mail/api/")]
    assert inbox == ["/mail/api/unified-inbox?limit=20"]


def test_upstream_api_path_and_tooling_project_list(fake: FakeMail) -> None:
    fake.mcp_paths = ("/api/",)
    answers = fork_answers()
    answers["resource://tooling/projects"] = answers.pop("resource://projects")
    directory = answers[f"resource://agents/{SLUG}"]
    for agent in directory["agents"]:
        del agent["is_active"], agent["deleted_ts"]
    directory["retired_agents"] = [{**directory["agents"][0], "name": "OldOak", "unread_count": 9}]
    fake.answers = answers
    fake.inbox = None  # no such page: no recent messages, still ok
    mail = read(fake.url)
    assert mail.variant == "upstream"
    assert mail.messages == []
    assert [a.name for a in mail.projects[0].agents] == ["BlueLake", "GreenCastle"]  # not OldOak
    assert mail.unread_total == 2
    # The next read goes straight to /api/.
    fake.requests.clear()
    assert read(fake.url).state == "ok"
    assert not [r for r in fake.requests if r["path"] == "/mcp/"]


def test_event_stream_framing(fake: FakeMail) -> None:
    fake.framing = "sse"
    mail = read(fake.url)
    check_numbers(mail)


def test_rust_integer_timestamps(fake: FakeMail) -> None:
    def micros(text: str) -> int:
        return int(datetime.fromisoformat(text).timestamp() * 1_000_000)

    answers = fork_answers()
    for agent in answers[f"resource://agents/{SLUG}"]["agents"]:
        del agent["is_active"], agent["deleted_ts"], agent["attachments_policy"]
        agent["last_active_ts"] = micros(agent["last_active_ts"])
    for reservation in answers[f"resource://file_reservations/{SLUG}"]:
        reservation["created_ts"] = micros(reservation["created_ts"])
        reservation["expires_ts"] = micros(reservation["expires_ts"])
    fake.answers = answers
    mail = read(fake.url)
    check_numbers(mail)
    assert mail.variant == "rust"
    last = parse_ts(mail.projects[0].agents[0].last_active)
    assert last is not None and abs((last - (NOW - timedelta(seconds=60))).total_seconds()) < 1


@pytest.mark.parametrize(("status", "state"), [(401, "auth"), (403, "auth"), (500, "error")])
def test_refusals(fake: FakeMail, status: int, state: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENT_MAIL_TOKEN", "s3cr3t-token-value")
    fake.status = status
    mail = read(fake.url)
    assert (mail.state, mail.projects) == (state, [])
    assert f"HTTP {status}" in (mail.error or "")
    assert "s3cr3t-token-value" not in json.dumps(to_json(mail))
    sent = [r for r in fake.requests if r["method"] == "POST"]
    assert sent[0]["headers"]["Authorization"] == "Bearer s3cr3t-token-value"


def test_redirect_is_refused_and_the_token_does_not_follow(
    fake: FakeMail, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = FakeMail()
    try:
        monkeypatch.setenv("AGENT_MAIL_TOKEN", "s3cr3t-token-value")
        fake.redirect_to = elsewhere.url + "/mcp/"
        mail = read(fake.url)
        assert mail.state == "error"
        assert "307" in (mail.error or "")
        assert elsewhere.requests == []
    finally:
        elsewhere.close()


def test_not_json_is_an_error(fake: FakeMail) -> None:
    fake.framing = "html"
    mail = read(fake.url)
    assert mail.state == "error"
    assert "not JSON" in (mail.error or "")


def test_no_mcp_endpoint_is_an_error(fake: FakeMail) -> None:
    fake.mcp_paths = ()
    mail = read(fake.url)
    assert mail.state == "error"
    assert "no MCP endpoint" in (mail.error or "")


def test_slow_answer_is_bounded(fake: FakeMail) -> None:
    fake.delay = 2.0
    mail = read(fake.url, timeout=0.4)
    assert mail.state == "error"
    assert "timeout" in (mail.error or "") or "timed out" in (mail.error or "")


def test_watching_off_reads_nothing(fake: FakeMail) -> None:
    mail = read_agent_mail(Settings(agent_mail_url=fake.url, agent_mail=False))
    assert mail.state == "off"
    assert fake.requests == []


# --- SQLite variants ----------------------------------------------------------------------------

RUST_SCHEMA = """
CREATE TABLE projects (id INTEGER PRIMARY KEY, slug TEXT, human_key TEXT, created_at INTEGER);
CREATE TABLE agents (id INTEGER PRIMARY KEY, project_id INTEGER, name TEXT, program TEXT,
  model TEXT, task_description TEXT, inception_ts INTEGER, last_active_ts INTEGER,
  attachments_policy TEXT DEFAULT 'auto', contact_policy TEXT DEFAULT 'auto');
CREATE TABLE messages (id INTEGER PRIMARY KEY, project_id INTEGER, sender_id INTEGER,
  thread_id TEXT, subject TEXT, body_md TEXT, importance TEXT, ack_required INTEGER,
  created_ts INTEGER, attachments TEXT DEFAULT '[]');
CREATE TABLE message_recipients (message_id INTEGER, agent_id INTEGER, kind TEXT,
  read_ts INTEGER, ack_ts INTEGER, PRIMARY KEY(message_id, agent_id));
CREATE TABLE file_reservations (id INTEGER PRIMARY KEY, project_id INTEGER, agent_id INTEGER,
  path_pattern TEXT, exclusive INTEGER, reason TEXT, created_ts INTEGER, expires_ts INTEGER,
  released_ts INTEGER);
"""


def make_db(
    path: Path, schema: str, ts: Callable[[float], Any], extra_agent_cols: str = ""
) -> None:
    """Two agents, the same mail and reservations as fork_answers(), in a given variant's shape."""
    conn = sqlite3.connect(path)
    conn.executescript(schema)
    conn.execute("INSERT INTO projects VALUES (1, ?, ?, ?)", (SLUG, KEY, ts(-900)))
    for agent_id, name, program in ((1, "GreenCastle", "claude-code"), (2, "BlueLake", "codex")):
        conn.execute(
            "INSERT INTO agents (id, project_id, name, program, model, task_description,"
            " inception_ts, last_active_ts) VALUES (?, 1, ?, ?, 'opus', 'x', ?, ?)",
            (agent_id, name, program, ts(-600), ts(-60)),
        )
    messages = [  # id, importance, ack_required, read, acked
        (5, "normal", 0, False, False),
        (7, "urgent", 1, False, False),
        (8, "high", 0, True, False),
    ]
    for mid, importance, ack, was_read, acked in messages:
        conn.execute(
            "INSERT INTO messages (id, project_id, sender_id, subject, body_md, importance,"
            " ack_required, created_ts) VALUES (?, 1, 1, ?, 'b', ?, ?, ?)",
            (mid, f"message {mid}", importance, ack, ts(-300 + mid)),
        )
        conn.execute(
            "INSERT INTO message_recipients VALUES (?, 2, 'to', ?, ?)",
            (mid, ts(-10) if was_read else None, ts(-5) if acked else None),
        )
    for rid, agent_id, pattern, exclusive, expires, released in (
        (1, 1, "src/*.py", 1, 3600, None),
        (2, 2, "src/app.py", 0, 3600, None),
        (3, 2, "src/*.py", 1, -5, None),  # expired, not released
        (4, 2, "lib/*", 1, 3600, -1),  # released
    ):
        conn.execute(
            "INSERT INTO file_reservations VALUES (?, 1, ?, ?, ?, 'r', ?, ?, ?)",
            (
                rid,
                agent_id,
                pattern,
                exclusive,
                ts(-120),
                ts(expires),
                None if released is None else ts(released),
            ),
        )
    if extra_agent_cols:
        conn.executescript(extra_agent_cols)
    conn.commit()
    conn.close()


def check_db_numbers(mail: AgentMail, variant: str) -> None:
    assert mail.state == "ok", mail.error
    assert (mail.via, mail.variant) == ("sqlite", variant)
    (project,) = mail.projects
    assert [(a.name, a.unread, a.urgent_unread, a.acks_pending) for a in project.agents] == [
        ("BlueLake", 2, 1, 1),
        ("GreenCastle", 0, 0, 0),
    ]
    assert [r.id for r in project.reservations] == [1, 2]
    assert len(mail.conflicts) == 1
    assert [m.subject for m in mail.messages] == ["message 8", "message 7", "message 5"]
    assert mail.messages[0].recipients == ["BlueLake"]
    assert parse_ts(project.agents[0].last_active) is not None


@pytest.fixture
def alive(fake: FakeMail) -> str:
    """A URL whose liveness answers, for the SQLite reads (liveness comes first)."""
    return fake.url


def read_db(url: str, db: Path, **kwargs: Any) -> AgentMail:
    settings = Settings(agent_mail_url=url, agent_mail_db=str(db))
    return read_agent_mail(settings, **{"timeout": 5.0, **kwargs})


def test_sqlite_rust_integer_microseconds(tmp_path: Path, alive: str) -> None:
    db = tmp_path / "storage.sqlite3"
    make_db(db, RUST_SCHEMA, lambda d: int((NOW.timestamp() + d) * 1_000_000))
    check_db_numbers(read_db(alive, db), "rust")


def test_sqlite_fork_text_timestamps(tmp_path: Path, alive: str) -> None:
    db = tmp_path / "storage.sqlite3"
    fork = RUST_SCHEMA.replace("INTEGER,\n  attachments_policy", "DATETIME,\n  attachments_policy")
    fork = fork.replace(
        "contact_policy TEXT DEFAULT 'auto')",
        "contact_policy TEXT DEFAULT 'auto', is_active BOOLEAN DEFAULT 1, deleted_ts DATETIME)",
    )
    text = lambda d: (NOW + timedelta(seconds=d)).replace(tzinfo=None).isoformat(sep=" ")  # noqa: E731
    gone = (
        "INSERT INTO agents (id, project_id, name, program, model, task_description,"
        " inception_ts, last_active_ts, is_active) VALUES (3, 1, 'GoneGhost', 'x', 'y', '',"
        " '2026-01-01 00:00:00', '2026-01-01 00:00:00', 0);"
    )
    make_db(db, fork, text, extra_agent_cols=gone)
    check_db_numbers(read_db(alive, db), "pypi")


def test_sqlite_upstream_retired_agents(tmp_path: Path, alive: str) -> None:
    db = tmp_path / "storage.sqlite3"
    upstream = RUST_SCHEMA.replace(
        "contact_policy TEXT DEFAULT 'auto')",
        "contact_policy TEXT DEFAULT 'auto', retired_at DATETIME)",
    )
    text = lambda d: (NOW + timedelta(seconds=d)).replace(tzinfo=None).isoformat(sep=" ")  # noqa: E731
    retired = (
        "INSERT INTO agents (id, project_id, name, program, model, task_description,"
        " inception_ts, last_active_ts, retired_at) VALUES (3, 1, 'OldOak', 'x', 'y', '',"
        " '2026-01-01 00:00:00', '2026-01-01 00:00:00', '2026-01-02 00:00:00');"
    )
    make_db(db, upstream, text, extra_agent_cols=retired)
    check_db_numbers(read_db(alive, db), "upstream")


def test_sqlite_problems_are_one_line_errors(tmp_path: Path, alive: str) -> None:
    missing = read_db(alive, tmp_path / "nope.sqlite3")
    assert missing.state == "error"
    assert "not found" in (missing.error or "")
    other = tmp_path / "other.sqlite3"
    sqlite3.connect(other).executescript("CREATE TABLE t (x); INSERT INTO t VALUES (1);")
    assert "not an Agent Mail database" in (read_db(alive, other).error or "")
    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_text("this is not sqlite at all" * 100)
    mail = read_db(alive, garbage)
    assert mail.state == "error"
    assert "\n" not in (mail.error or "")


def test_sqlite_locked_database_is_bounded(tmp_path: Path, alive: str) -> None:
    db = tmp_path / "storage.sqlite3"
    make_db(db, RUST_SCHEMA, lambda d: int((NOW.timestamp() + d) * 1_000_000))
    writer = sqlite3.connect(db, isolation_level=None)
    writer.execute("BEGIN EXCLUSIVE")  # rollback journal: readers must wait, then give up
    try:
        mail = read_db(alive, db, timeout=0.5)
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert mail.state == "error"
    assert "locked" in (mail.error or "")


# --- the rules ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-05-01 10:00:00.123456", "2026-05-01T10:00:00.123456+00:00"),  # fork/upstream SQLite
        ("2026-05-01T10:00:00.123456+00:00", "2026-05-01T10:00:00.123456+00:00"),  # fork HTTP
        ("2026-05-01T12:00:00+02:00", "2026-05-01T10:00:00.000000+00:00"),
        ("2026-05-01T10:00:00.5Z", "2026-05-01T10:00:00.500000+00:00"),
        (1777629600123456, "2026-05-01T10:00:00.123456+00:00"),  # Rust microseconds
        ("1777629600123456", "2026-05-01T10:00:00.123456+00:00"),
        (1777629600, "2026-05-01T10:00:00.000000+00:00"),
        (None, None),
        ("", None),
        ("not a time", "not a time"),
    ],
)
def test_timestamps_from_every_variant(value: Any, expected: str | None) -> None:
    assert iso_utc(value) == expected


@pytest.mark.parametrize(
    ("a", "b", "overlap"),
    [
        ("src/*.py", "src/app.py", True),
        ("src/app.py", "src/*.py", True),
        ("./lib/core.py", "lib/*.py", False),  # the fork keeps "./" as typed
        ("docs/*.md", "docs/guide/intro.md", True),  # fnmatch's * crosses "/"
        ("src/app.py", "src/app.py", True),
        ("src/app.py", "src/main.py", False),
        ("docs/*", "src/*", False),
        ("src/**", "src/deep/er/file.py", True),
        ("a/[bc].py", "a/b.py", True),
    ],
)
def test_patterns_overlap_both_ways(a: str, b: str, overlap: bool) -> None:
    """The fork's rule (also for a server not yet told apart) is symmetric."""
    for variant in ("pypi", None):
        assert patterns_overlap(a, b, variant) is overlap
        assert patterns_overlap(b, a, variant) is overlap


@pytest.mark.parametrize(
    ("held", "asked", "overlap"),
    [
        ("lib/**/*.py", "lib/util.py", True),
        ("/setup.py", "setup.py", True),
        ("docs/*.md", "docs/guide/intro.md", False),
        ("src/", "src/app.py", True),
        ("**/test_*.py", "test_a.py", True),
        ("src/*.py", "src/app.py", True),
        ("src/app.py", "src/*.py", False),  # a held literal does not match a glob asked for
        ("lib/*.py", "./lib/core.py", True),
        ("setup.py", "pkg/setup.py", True),  # a name without "/" matches at any depth
        ("!src/app.py", "src/app.py", False),
    ],
)
def test_upstream_rule_is_gitwildmatch_held_first(held: str, asked: str, overlap: bool) -> None:
    assert patterns_overlap(held, asked, "upstream") is overlap


def test_conflicts_need_different_agents_an_exclusive_and_one_project() -> None:
    def r(rid: int, agent: str, path: str, exclusive: bool) -> Reservation:
        return Reservation(id=rid, agent=agent, path_pattern=path, exclusive=exclusive)

    one = MailProject(
        "one",
        "/one",
        reservations=[
            r(1, "A", "src/*", True),
            r(2, "B", "src/x.py", False),  # conflict
            r(3, "A", "docs/*", False),
            r(4, "B", "docs/i.md", False),  # both shared
            r(5, "A", "lib/*", True),
            r(6, "A", "lib/x.py", True),  # same agent
        ],
    )
    two = MailProject("two", "/two", reservations=[r(7, "B", "src/x.py", True)])  # other project
    assert [(c.project, c.agent_a, c.agent_b) for c in find_conflicts([one, two])] == [
        ("one", "A", "B")
    ]


def test_token_lookup_order(tmp_path: Path) -> None:
    loopback, remote = "http://127.0.0.1:8765", "https://mail.example.com"
    config = tmp_path / ".config" / "mcp-agent-mail" / "config.env"
    config.parent.mkdir(parents=True)
    config.write_text("# installer\nexport HTTP_BEARER_TOKEN='from-file'\n")
    both = {"AGENT_MAIL_TOKEN": "explicit", "HTTP_BEARER_TOKEN": "server-env"}
    assert resolve_token(loopback, both, tmp_path) == "explicit"
    assert resolve_token(remote, both, tmp_path) == "explicit"
    assert resolve_token(loopback, {"HTTP_BEARER_TOKEN": "server-env"}, tmp_path) == "server-env"
    assert resolve_token("http://localhost:8765", {}, tmp_path) == "from-file"
    assert resolve_token(loopback, {}, tmp_path) == "from-file"
    # Not loopback: the local server's own token is never sent elsewhere.
    assert resolve_token(remote, {"HTTP_BEARER_TOKEN": "server-env"}, tmp_path) is None
    assert resolve_token(remote, {}, tmp_path) is None
    assert resolve_token(loopback, {}, tmp_path / "nobody") is None


@pytest.mark.parametrize("variant", ["pypi", "upstream"])
def test_conflict_search_agrees_with_comparing_every_pair(variant: str) -> None:
    """The grouped search (literals by value, globs by fnmatch) finds what brute force finds,
    the earlier reservation held, the later asked for."""
    import random

    rng = random.Random(7)
    words = [
        "src/a.py",
        "src/b.py",
        "./src/a.py",
        "src/*",
        "src/*.py",
        "docs/*",
        "docs/i.md",
        "*",
        "src/[ab].py",
        "lib/x/y.py",
        "lib/**",
        "src/?.py",
        "README.md",
    ]
    for _ in range(200):
        held = [
            Reservation(
                id=i,
                agent=rng.choice("ABC"),
                path_pattern=rng.choice(words),
                exclusive=rng.random() < 0.5,
            )
            for i in range(rng.randint(0, 12))
        ]
        firsts: dict[tuple[str, str, bool], Reservation] = {}
        for one in held:  # the first of each (pattern, agent, exclusive), in order
            firsts.setdefault((one.path_pattern, one.agent, one.exclusive), one)
        distinct = list(firsts.values())
        brute = [
            (a.path_pattern, a.agent, b.path_pattern, b.agent)
            for i, a in enumerate(distinct)
            for b in distinct[i + 1 :]
            if a.agent != b.agent
            and (a.exclusive or b.exclusive)
            and patterns_overlap(a.path_pattern, b.path_pattern, variant)
        ]
        found = find_conflicts([MailProject("p", "/p", reservations=held)], variant)
        assert [(c.path_a, c.agent_a, c.path_b, c.agent_b) for c in found] == brute


def test_views_that_need_the_agents_token_are_withheld_never_zero(fake: FakeMail) -> None:
    """Upstream >= v0.3.1 answers the urgent and ack views only with the agent's own token: the
    counts are marked, not 0, and the rest of the reading stands (real shapes: upstream 0.2.1's
    directory without `is_active`, the views' place taken by a JSON-RPC error)."""
    answers = fork_answers()
    for agent in answers[f"resource://agents/{SLUG}"]["agents"]:
        del agent["is_active"], agent["deleted_ts"]
    for view in [uri for uri in answers if uri.startswith("resource://views/")]:
        del answers[view]
    fake.answers = answers
    fake.errors = {
        "resource://views/": "agent_token is required to read another agent's view",
    }
    mail = read(fake.url)
    assert mail.state == "ok", mail.error
    assert mail.withheld == {
        "acks_pending": "needs agent token",
        "urgent_unread": "needs agent token",
    }
    agents = {a.name: a for a in mail.projects[0].agents}
    assert agents["BlueLake"].withheld == ["acks_pending", "urgent_unread"]
    assert agents["GreenCastle"].withheld == ["acks_pending"]  # no unread: urgent is known 0
    assert (mail.unread_total, mail.reservations_active) == (2, 2)
    data = to_json(mail)
    assert data["withheld"]["urgent_unread"] == "needs agent token"


def test_withheld_counts_read_as_unknown_in_the_mail_view(fake: FakeMail) -> None:
    from rich.console import Console

    from gt_mcp_tmux.render.mail_panel import totals_line
    from gt_mcp_tmux.render.mail_view import agents_table

    answers = fork_answers()
    for view in [uri for uri in answers if uri.startswith("resource://views/")]:
        del answers[view]
    fake.answers = answers
    fake.errors = {"resource://views/": "agent_token required"}
    mail = read(fake.url)
    console = Console(record=True, width=100, color_system=None)
    console.print(totals_line(mail))
    console.print(agents_table(mail.projects[0], time.time()))
    text = console.export_text()
    assert "✉ 2 unread · acks/urgent: needs agent token · 2 reservations" in text
    blue = next(line for line in text.splitlines() if "BlueLake" in line)
    assert blue.split()[-5:-2] == ["2", "?", "?"]  # unread; urgent, acks: unknown, not 0


def test_a_refresh_reads_a_bounded_number_of_bytes(fake: FakeMail) -> None:
    """A server answering megabytes per call stops the refresh with one line, not a memory spike."""
    answers = fork_answers()
    held = answers[f"resource://file_reservations/{SLUG}"]
    answers[f"resource://file_reservations/{SLUG}"] = [
        {**held[0], "id": n, "reason": "x" * 1000} for n in range(10_000)
    ]  # about 11 MB of JSON
    fake.answers = answers
    mail = read(fake.url)
    assert mail.state == "error"
    assert "over 4 MB in one refresh" in (mail.error or "")
    assert "cut" in (mail.error or "") and "\n" not in (mail.error or "")
    assert mail.projects == []


def test_toon_output_format_still_reads_as_json(fake: FakeMail) -> None:
    """`MCP_AGENT_MAIL_OUTPUT_FORMAT=toon` wraps every resource as {format, data, meta} and
    answers JSON only when asked `format=json`: the numbers are the same as plain JSON's."""
    plain = fork_answers()
    fake.answers = {}
    fake.answer_for = lambda uri: (
        None
        if uri.split("?")[0] not in plain
        else {"format": "json", "data": plain[uri.split("?")[0]], "meta": {"asked": "json"}}
        if "format=json" in uri
        else {"format": "toon", "data": "agents[2]{name}:\n  GreenCastle\n  BlueLake", "meta": {}}
    )
    check_numbers(read(fake.url))
    uris = [r["body"]["params"]["uri"] for r in fake.requests if r["method"] == "POST"]
    assert any("format=json" in u for u in uris) and any("format=json" not in u for u in uris)


def test_sqlite_rust_release_ledger_and_sentinel_released_ts(tmp_path: Path, alive: str) -> None:
    """The Rust port's older databases record a release only in `file_reservation_releases` and
    may leave `released_ts` as 0 or a sentinel text: those are not releases."""
    db = tmp_path / "storage.sqlite3"
    make_db(db, RUST_SCHEMA, lambda d: int((NOW.timestamp() + d) * 1_000_000))
    conn = sqlite3.connect(db)
    conn.executescript(
        "CREATE TABLE file_reservation_releases (reservation_id INTEGER PRIMARY KEY,"
        " released_ts INTEGER NOT NULL);"
        "INSERT INTO file_reservation_releases VALUES (2, 1);"  # released in the ledger only
        "UPDATE file_reservations SET released_ts = 0 WHERE id = 1;"  # sentinel: unreleased
        "INSERT INTO file_reservations VALUES (5, 1, 2, 'docs/*', 1, 'r', 1, 99999999999999999,"
        " 'none');"  # sentinel text: unreleased
    )
    conn.commit()
    conn.close()
    mail = read_db(alive, db)
    assert mail.state == "ok", mail.error
    assert [r.id for r in mail.projects[0].reservations] == [1, 5]
    assert mail.conflicts == []  # src/app.py (2) is released: src/*.py conflicts with nothing


def test_thousands_of_copies_cost_one_comparison() -> None:
    """A flood of identical reservations is compared once, and the conflicts stay bounded."""
    import time as clock

    def r(rid: int, agent: str, path: str) -> Reservation:
        return Reservation(id=rid, agent=agent, path_pattern=path, exclusive=True)

    flood = [r(n, "A", "src/*.py") for n in range(20_000)] + [r(20_000, "B", "src/app.py")]
    started = clock.monotonic()
    for variant in ("pypi", "upstream"):
        found = find_conflicts([MailProject("p", "/p", reservations=flood)], variant)
        assert [(c.path_a, c.path_b) for c in found] == [("src/*.py", "src/app.py")]
    assert clock.monotonic() - started < 2
    many = [r(n, f"Agent{n}", "src/*.py") for n in range(200)]  # 19,900 conflicting pairs
    assert len(find_conflicts([MailProject("p", "/p", reservations=many)], limit=500)) == 500


def _raw_server(replies: list[bytes], close_after_each: bool) -> tuple[str, list[bytes]]:
    """A loopback server that answers each request with the next raw reply; returns its URL
    and the requests it read. It closes the connection after each answer if asked."""
    import socket

    listener = socket.create_server(("127.0.0.1", 0))
    seen: list[bytes] = []

    def serve() -> None:
        with listener:
            pending = list(replies)
            while pending:
                conn, _ = listener.accept()
                with conn:
                    while pending:
                        data = conn.recv(65536)
                        if not data:
                            break
                        seen.append(data)
                        conn.sendall(pending.pop(0))
                        if close_after_each:
                            break

    threading.Thread(target=serve, daemon=True).start()
    return f"http://127.0.0.1:{listener.getsockname()[1]}", seen


def test_kept_alive_connection_reads_lengths_and_chunks_and_survives_a_dropped_one() -> None:
    from gt_mcp_tmux.sources.agent_mail.keepalive import KeepAlive

    sized = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
    chunked = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
    )
    url, seen = _raw_server([sized, chunked, sized], close_after_each=False)
    with KeepAlive(url) as conn:
        bodies = [conn.request("GET", f"/{n}").body for n in range(3)]
        assert bodies == [b"hello", b"abcde", b"hello"]
        assert (conn.connections, conn.requests) == (1, 3)
    assert all(b"Connection: keep-alive" in request for request in seen)
    # A server that drops the connection after each answer (without saying so): asked again
    # on a new connection, never an error.
    url, _ = _raw_server([sized, sized], close_after_each=True)
    with KeepAlive(url) as conn:
        assert [conn.request("GET", "/").body for _ in range(2)] == [b"hello", b"hello"]
        assert conn.connections == 2


def test_a_view_too_large_to_count_is_withheld_and_the_refresh_goes_on(fake: FakeMail) -> None:
    """A view is only counted: one bigger than its own cap is named, never a 0, never the
    refresh's whole byte budget."""
    answers = fork_answers()
    answers["resource://views/ack-required/BlueLake"] = {
        "project": KEY,
        "agent": "BlueLake",
        "count": 3000,
        "messages": [{"id": n, "subject": "s" * 200} for n in range(3000)],  # about 700 KB
    }
    fake.answers = answers
    mail = read(fake.url)
    assert mail.state == "ok", mail.error
    assert mail.withheld == {"acks_pending": "answer too large to count"}
    blue = next(a for a in mail.projects[0].agents if a.name == "BlueLake")
    assert (blue.withheld, blue.urgent_unread, blue.unread) == (["acks_pending"], 1, 2)
    assert mail.reservations_active == 2


def rust_pages(rows: list[dict[str, Any]]) -> Callable[[str], Any]:
    """`resource://file_reservations/<slug>` as the Rust port pages it (resources.rs): `limit`
    20 by default, at most 250, from a zero-based `offset`; other URIs as the fork answers."""
    answers = fork_answers()

    def answer_for(uri: str) -> Any:
        base, _, query = uri.partition("?")
        if base != f"resource://file_reservations/{SLUG}":
            return answers.get(base)
        asked = dict(urllib.parse.parse_qsl(query))
        limit = int(asked.get("limit", 20))
        limit = 20 if limit <= 0 else min(limit, 250)
        offset = int(asked.get("offset", 0))
        return rows[offset : offset + limit]

    return answer_for


def reservation_rows(count: int, released_ts: Callable[[int], Any]) -> list[dict[str, Any]]:
    return [
        {
            "id": i,
            "agent": "GreenCastle" if i % 2 else "BlueLake",
            "path_pattern": f"src/f{i}.py",
            "exclusive": True,
            "reason": "r",
            "created_ts": iso(-120),
            "expires_ts": iso(3600),
            "released_ts": released_ts(i),
            "stale": False,
            "stale_reasons": [],
        }
        for i in range(1, count + 1)
    ]


def reservation_reads(fake: FakeMail) -> int:
    return sum(
        1
        for r in fake.requests
        if r["body"] and "file_reservations" in r["body"]["params"].get("uri", "")
    )


def test_rust_reservations_are_read_page_by_page(fake: FakeMail) -> None:
    """620 reservations in pages of 250; the Rust port's "not released" sentinels (0 shown as the
    epoch) count as held, a real release does not."""

    def released(i: int) -> Any:
        if i == 7:
            return iso(-30)  # released (a server drift the Rust port guards against too)
        return "1970-01-01T00:00:00.000000Z" if i % 3 == 0 else None

    fake.answer_for = rust_pages(reservation_rows(620, released))
    mail = read(fake.url)
    assert mail.state == "ok", mail.error
    assert mail.reservations_active == 619
    assert reservation_reads(fake) == 3  # 250 + 250 + 120
    asked = [r["body"]["params"]["uri"] for r in fake.requests if r["body"]]
    assert any("limit=250" in uri and "offset=500" in uri for uri in asked)


def test_a_server_ignoring_the_page_is_read_once(fake: FakeMail) -> None:
    """The Python servers answer every reservation whatever `limit` and `offset` say: exactly
    one page's worth is not read twice."""
    rows = reservation_rows(250, lambda _i: None)
    answers = fork_answers()
    fake.answer_for = lambda uri: (
        rows if uri.startswith("resource://file_reservations/") else answers.get(uri.split("?")[0])
    )
    mail = read(fake.url)
    assert mail.state == "ok", mail.error
    assert mail.reservations_active == 250
    assert reservation_reads(fake) == 2  # the second answer repeats the first: stop


def test_a_server_refusing_the_paging_parameters_is_asked_without_them(fake: FakeMail) -> None:
    """A strict URI template (`{slug}{?active_only,format}`, upstream >= 0.3.1) may refuse
    `limit` and `offset`: the same read without them, from then on."""
    answers = fork_answers()

    def strict(uri: str) -> Any:
        if uri.startswith("resource://file_reservations/") and "limit=" in uri:
            return None  # an unknown resource
        return answers.get(uri.split("?")[0])

    fake.answer_for = strict
    check_numbers(read(fake.url))
    check_numbers(read(fake.url))
    asked = [r["body"]["params"]["uri"] for r in fake.requests if r["body"]]
    paged = [uri for uri in asked if "file_reservations" in uri and "limit=" in uri]
    assert len(paged) == 1  # tried once, then never again


def view_reads(fake: FakeMail) -> list[str]:
    return [
        r["body"]["params"]["uri"].split("?")[0]
        for r in fake.requests
        if r["body"] and r["body"]["params"].get("uri", "").startswith("resource://views/")
    ]


def test_without_a_tool_log_only_what_the_feed_vouches_for_is_kept(fake: FakeMail) -> None:
    """A server with no `tooling/metrics` (the Rust port is not relied on for one): the next
    refresh keeps the urgent count (no new mail, same unread) and the zero ack count, and asks
    the nonzero ack count again (an acknowledge would show nowhere else)."""
    check_numbers(read(fake.url))
    assert len(view_reads(fake)) == 3
    fake.requests.clear()
    check_numbers(read(fake.url))
    assert view_reads(fake) == ["resource://views/ack-required/BlueLake"]
