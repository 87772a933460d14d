"""The Agent Mail source against real MCP Agent Mail servers, over HTTP and SQLite.

Every check runs against each real server of `VARIANTS`: the PyPI fork 0.1.0 and upstream 0.2.1
(see tests/mail_server.py). Upstream that cannot run here (no Python 3.13) is skipped with
the reason, except in CI, where it fails.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from gt_mcp_tmux.config import Settings
from gt_mcp_tmux.model import AgentMail, to_json
from gt_mcp_tmux.sources.agent_mail import http_memo
from gt_mcp_tmux.sources.agent_mail.http_reader import PARALLEL, HttpMailReader
from gt_mcp_tmux.sources.agent_mail.reader import read_agent_mail
from gt_mcp_tmux.sources.agent_mail.sqlite import SqliteMailReader
from tests.agent_mail_server import (
    VARIANTS,
    AgentMailServer,
    UpstreamUnavailable,
    World,
    seed_world,
    variant_python,
)
from tests.townkit import make_town

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def python_for(variant: str) -> Path:
    """The server's interpreter; upstream missing fails in CI and is skipped elsewhere.

    Resolved once per session, before any test's fake HOME (the caches are the real home's)."""
    found = _PYTHONS.get(variant)
    if found is None:
        try:
            found = _PYTHONS[variant] = variant_python(variant)
        except UpstreamUnavailable as err:
            found = _PYTHONS[variant] = str(err)
    if isinstance(found, Path):
        return found
    if os.environ.get("CI"):
        pytest.fail(f"{found} (CI must run both servers)")
    pytest.skip(found)


_PYTHONS: dict[str, Path | str] = {}


@pytest.fixture(scope="session", autouse=True)
def _server_pythons() -> None:
    """Find (or install) every variant's interpreter while HOME is still the real one."""
    for variant in VARIANTS:
        try:
            _PYTHONS[variant] = variant_python(variant)
        except UpstreamUnavailable as err:
            _PYTHONS[variant] = str(err)


def started(variant: str, run: Path, token: str | None = None) -> AgentMailServer:
    return AgentMailServer(python_for(variant), run, token=token, variant=variant).start()


@pytest.fixture(scope="session", params=VARIANTS, name="mail_server")
def mail_server_fixture(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AgentMailServer]:
    """A real server of each variant (no token); the fork's is the session's `agent_mail_server`."""
    if request.param == "fork":
        server = request.getfixturevalue("agent_mail_server")
        assert isinstance(server, AgentMailServer)
        yield server
        return
    server = started(request.param, tmp_path_factory.mktemp(f"agent-mail-{request.param}"))
    yield server
    server.stop()


@pytest.fixture(scope="session", name="mail_world")
def mail_world_fixture(
    request: pytest.FixtureRequest,
    mail_server: AgentMailServer,
    tmp_path_factory: pytest.TempPathFactory,
) -> World:
    """`mail_server` seeded through its own tools (the fork's is the session's world)."""
    if mail_server.variant == "fork":
        world = request.getfixturevalue("agent_mail_world")
        assert isinstance(world, World)
        return world
    base = tmp_path_factory.mktemp(f"agent-mail-world-{mail_server.variant}")
    return seed_world(mail_server, make_town(base).root, base / "elsewhere" / "repo")


@pytest.fixture(scope="session", params=VARIANTS)
def mail_token_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AgentMailServer]:
    """A real server of each variant that requires a bearer token, even from 127.0.0.1."""
    token = "tok-" + uuid.uuid4().hex
    run = tmp_path_factory.mktemp(f"agent-mail-token-{request.param}")
    server = started(request.param, run, token=token)
    yield server
    server.stop()


def http_read(server: AgentMailServer, **kwargs: Any) -> AgentMail:
    settings = Settings(agent_mail_url=server.url, agent_mail_db="http")  # never the fast path
    return read_agent_mail(settings, timeout=20, **kwargs)


def sqlite_read(server: AgentMailServer, db: Path | None = None, **kwargs: Any) -> AgentMail:
    settings = Settings(agent_mail_url=server.url, agent_mail_db=str(db or server.db_path))
    return read_agent_mail(settings, timeout=20, **kwargs)


def check_every_number(mail: AgentMail, world: World) -> None:
    assert mail.state == "ok", mail.error
    assert mail.error is None
    assert mail.variant == world.variant
    by_slug = {p.slug: p for p in mail.projects}
    assert set(by_slug) == set(world.slugs.values())
    for label, slug in world.slugs.items():
        project = by_slug[slug]
        assert project.human_key == world.projects[label]
        seen = {a.name: (a.unread, a.urgent_unread, a.acks_pending) for a in project.agents}
        wanted = {
            name: (e.unread, e.urgent_unread, e.acks_pending)
            for name, e in world.agents[label].items()
        }
        assert seen == wanted, label
        assert {a.name: a.program for a in project.agents} == {
            name: world.programs[name] for name in wanted
        }
        assert all(a.last_active for a in project.agents)
        held = {(r.agent, r.path_pattern) for r in project.reservations}
        assert held == world.active.get(label, set()), label
    # The hand-counted totals of the seeded world (see seed_world).
    assert mail.unread_total == 5  # BlueLake 3, PurpleBear 1, BlackPond 1
    assert mail.urgent_unread == 3  # BlueLake's urgent, PurpleBear's high, BlackPond's urgent
    assert mail.acks_pending == 3  # BlueLake 2 (one read), BlackPond 1; GreenCastle acked
    assert mail.reservations_active == 10
    found = {(c.project, c.path_a, c.agent_a, c.path_b, c.agent_b) for c in mail.conflicts}
    assert found == world.conflicts
    assert [m.subject for m in mail.messages] == list(reversed(world.subjects))
    urgent = next(m for m in mail.messages if m.subject == "Stop: main is red")
    assert (urgent.sender, urgent.recipients, urgent.importance, urgent.project) == (
        "GreenCastle",
        ["BlueLake"],
        "urgent",
        world.slugs["furiosa"],
    )


def test_world_totals_match_its_per_agent_expectations(mail_world: World) -> None:
    """Guards the hand-written totals above against a change in the seeding."""
    agents = [e for members in mail_world.agents.values() for e in members.values()]
    assert sum(e.unread for e in agents) == 5
    assert sum(e.urgent_unread for e in agents) == 3
    assert sum(e.acks_pending for e in agents) == 3
    assert sum(len(v) for v in mail_world.active.values()) == 10


def test_http_reads_every_number(mail_server: AgentMailServer, mail_world: World) -> None:
    mail = http_read(mail_server)
    assert mail.via == "http"
    check_every_number(mail, mail_world)


def test_sqlite_reads_every_number_and_agrees_with_http(
    mail_server: AgentMailServer, mail_world: World
) -> None:
    over_sqlite = sqlite_read(mail_server)
    assert over_sqlite.via == "sqlite"
    check_every_number(over_sqlite, mail_world)
    over_http = http_read(mail_server)

    def comparable(mail: AgentMail) -> dict[str, Any]:
        data = to_json(mail)
        del data["via"], data["latency_ms"]
        return dict(data)

    assert comparable(over_sqlite) == comparable(over_http)


def test_reading_marks_nothing_read(mail_server: AgentMailServer, mail_world: World) -> None:
    def unread_rows() -> int:
        with sqlite3.connect(f"file:{mail_server.db_path}?mode=ro", uri=True) as conn:
            return int(
                conn.execute(
                    "SELECT COUNT(*) FROM message_recipients WHERE read_ts IS NULL"
                ).fetchone()[0]
            )

    before = unread_rows()
    for _ in range(2):
        assert http_read(mail_server).unread_total == 5
    assert unread_rows() == before == 5


def test_expired_reservation_is_left_out_although_not_yet_released(
    mail_server: AgentMailServer, mail_world: World
) -> None:
    snapshot = mail_world.expired_snapshot
    assert snapshot is not None
    label, agent, path = mail_world.expired
    with sqlite3.connect(f"file:{snapshot}?mode=ro", uri=True) as conn:
        released, expires = conn.execute(
            "SELECT released_ts, expires_ts FROM file_reservations WHERE path_pattern = ?", (path,)
        ).fetchone()
    # The server expires lazily: the row is past its expiry but still unreleased.
    assert released is None
    assert datetime.fromisoformat(expires).replace(tzinfo=timezone.utc) < datetime.now(timezone.utc)
    raw = SqliteMailReader(str(snapshot)).read(deadline=float("inf"))
    assert any(r.path_pattern == path for p in raw.projects for r in p.reservations)

    mail = sqlite_read(mail_server, db=snapshot)
    assert mail.state == "ok"
    canonical = next(p for p in mail.projects if p.slug == mail_world.slugs[label])
    assert [(r.agent, r.path_pattern) for r in canonical.reservations] == [("WhiteFox", "tests/*")]
    assert mail.reservations_active == 10
    assert all(agent not in (c.agent_a, c.agent_b) for c in mail.conflicts)


def test_recent_messages_are_limited(mail_server: AgentMailServer, mail_world: World) -> None:
    newest = list(reversed(mail_world.subjects))[:3]
    assert [m.subject for m in http_read(mail_server, recent_limit=3).messages] == newest
    assert [m.subject for m in sqlite_read(mail_server, recent_limit=3).messages] == newest


# --- auth -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def token_world(mail_token_server: AgentMailServer, tmp_path_factory: Any) -> str:
    """One project with one unread message on the token server; returns its slug."""
    server = mail_token_server
    key = str(tmp_path_factory.mktemp("token-world") / "repo")
    slug = server.tool("ensure_project", human_key=key)["slug"]
    for name in ("CalmRiver", "BoldFalcon"):
        server.tool(
            "register_agent",
            project_key=key,
            program="codex",
            model="m",
            name=name,
            task_description="auth test",
        )
    server.tool(
        "send_message",
        project_key=key,
        sender_name="CalmRiver",
        to=["BoldFalcon"],
        subject="Behind a token",
        body_md="x",
        importance="urgent",
        ack_required=True,
    )
    return str(slug)


def no_token_anywhere(mail: AgentMail, token: str) -> None:
    assert token not in json.dumps(to_json(mail))
    assert token not in repr(mail)


def test_required_token_missing_is_auth(
    mail_token_server: AgentMailServer, token_world: str
) -> None:
    mail = http_read(mail_token_server)
    assert (mail.state, mail.projects, mail.unread_total) == ("auth", [], 0)
    assert "401" in (mail.error or "")


def test_wrong_token_is_auth_and_never_shown(
    mail_token_server: AgentMailServer, token_world: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    wrong = "wrong-" + mail_token_server.token[::-1]  # type: ignore[index]
    monkeypatch.setenv("AGENT_MAIL_TOKEN", wrong)
    mail = http_read(mail_token_server)
    assert mail.state == "auth"
    no_token_anywhere(mail, wrong)
    no_token_anywhere(mail, mail_token_server.token or "")


def check_token_world(mail: AgentMail, slug: str, token: str) -> None:
    assert mail.state == "ok", mail.error
    assert [p.slug for p in mail.projects] == [slug]
    assert (mail.unread_total, mail.urgent_unread, mail.acks_pending) == (1, 1, 1)
    assert [m.subject for m in mail.messages] == ["Behind a token"]
    no_token_anywhere(mail, token)


def test_token_from_agent_mail_token(
    mail_token_server: AgentMailServer, token_world: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = mail_token_server.token or ""
    monkeypatch.setenv("AGENT_MAIL_TOKEN", token)
    monkeypatch.setenv("HTTP_BEARER_TOKEN", "not-this-one")
    check_token_world(http_read(mail_token_server), token_world, token)


def test_token_from_http_bearer_token_for_loopback(
    mail_token_server: AgentMailServer, token_world: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = mail_token_server.token or ""
    monkeypatch.setenv("HTTP_BEARER_TOKEN", token)
    check_token_world(http_read(mail_token_server), token_world, token)


def test_token_from_config_env(
    mail_token_server: AgentMailServer, token_world: str, isolated_home: Path
) -> None:
    token = mail_token_server.token or ""
    config = isolated_home / ".config" / "mcp-agent-mail" / "config.env"
    config.parent.mkdir(parents=True)
    config.write_text(f"# written by the installer\nHTTP_PORT=8765\nHTTP_BEARER_TOKEN={token}\n")
    check_token_world(http_read(mail_token_server), token_world, token)


def test_sqlite_needs_no_token(mail_token_server: AgentMailServer, token_world: str) -> None:
    mail = sqlite_read(mail_token_server)
    check_token_world(mail, token_world, mail_token_server.token or "")


# --- down, hung -------------------------------------------------------------------------------


@pytest.mark.parametrize("variant", VARIANTS)
def test_stopped_server_is_down_over_http_and_sqlite(variant: str, tmp_path: Path) -> None:
    server = started(variant, tmp_path / "am")
    try:
        server.tool("ensure_project", human_key=str(tmp_path / "repo"))
        assert http_read(server).state == "ok"
    finally:
        server.stop()
    for mail in (http_read(server), sqlite_read(server)):
        assert mail.state == "down"
        assert "connection refused" in (mail.error or "")
        assert (mail.projects, mail.unread_total, mail.via) == ([], 0, None)


def test_server_that_never_answers_is_an_error_not_a_hang(tmp_path: Path) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)  # accepts into the backlog, never answers
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        mail = read_agent_mail(Settings(agent_mail_url=url), timeout=0.3)
    assert mail.state == "error"
    assert "timed out" in (mail.error or "")


# --- the server's own conflict rule -----------------------------------------------------------

#: (held first, asked for second): the issue's pairs, and which of them each server calls a
#: conflict when the second is asked for (its `file_reservation_paths` answer).
RULE_PAIRS = [
    ("lib/**/*.py", "lib/util.py"),
    ("/setup.py", "setup.py"),
    ("docs/*.md", "docs/guide/intro.md"),
    ("src/", "src/app.py"),
    ("**/test_*.py", "test_a.py"),
    ("src/*.py", "src/app.py"),
    ("src/app.py", "src/*.py"),
    ("./lib/core.py", "lib/*.py"),
    ("lib/*.py", "./lib/core.py"),
    ("setup.py", "pkg/setup.py"),
    ("a/[bc].py", "a/b.py"),
]
SERVER_SAYS = {
    "fork": {
        ("docs/*.md", "docs/guide/intro.md"),
        ("src/*.py", "src/app.py"),
        ("src/app.py", "src/*.py"),
        ("a/[bc].py", "a/b.py"),
    },
    "upstream": {
        ("lib/**/*.py", "lib/util.py"),
        ("/setup.py", "setup.py"),
        ("src/", "src/app.py"),
        ("**/test_*.py", "test_a.py"),
        ("src/*.py", "src/app.py"),
        ("lib/*.py", "./lib/core.py"),
        ("setup.py", "pkg/setup.py"),
        ("a/[bc].py", "a/b.py"),
    },
}


#: Names both servers accept (upstream wants its own adjective+noun words; the fork wants a name
#: unique across projects): a holder and an asker per pair.
HOLDERS: tuple[str, ...] = ("Green", "Blue", "Red", "White", "Black", "Purple", "Orange")
HOLDERS += ("Silver", "Gold", "Amber", "Crimson", "Coral")


@pytest.fixture(scope="module", params=VARIANTS)
def rule_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AgentMailServer]:
    """A server of its own per variant: the pairs' reservations stay out of the world's totals."""
    server = started(request.param, tmp_path_factory.mktemp(f"agent-mail-rule-{request.param}"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def rule_world(rule_server: AgentMailServer, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """One project per pair: a holder holds the first pattern, then an asker asks for the second
    (both exclusive). Returns {pair: (slug, the server's answer: a conflict or not)}."""
    assert len(HOLDERS) >= len(RULE_PAIRS)
    base = tmp_path_factory.mktemp(f"rule-{rule_server.variant}")
    answers = {}
    for n, (held, asked) in enumerate(RULE_PAIRS):
        key = str(base / f"pair{n}")
        slug = rule_server.tool("ensure_project", human_key=key)["slug"]
        names = (f"{HOLDERS[n]}Castle", f"{HOLDERS[n]}Lake")
        for name in names:
            rule_server.tool(
                "register_agent",
                project_key=key,
                program="codex",
                model="m",
                name=name,
                task_description="rule",
            )
        replies = [
            rule_server.tool(
                "file_reservation_paths",
                project_key=key,
                agent_name=name,
                paths=[path],
                ttl_seconds=3600,
                exclusive=True,
                reason="rule",
            )
            for name, path in zip(names, (held, asked), strict=True)
        ]
        answers[(held, asked)] = (str(slug), bool(replies[1].get("conflicts")))
    return answers


def test_the_servers_own_answers_are_as_written_down(
    rule_server: AgentMailServer, rule_world: Any
) -> None:
    said = {pair for pair, (_slug, conflict) in rule_world.items() if conflict}
    assert said == SERVER_SAYS[rule_server.variant]


@pytest.mark.parametrize("via", ["http", "sqlite"])
def test_conflicts_are_the_servers_own(
    rule_server: AgentMailServer, rule_world: Any, via: str
) -> None:
    """What a refresh calls a conflict is what the server answered, over HTTP and SQLite."""
    mail = http_read(rule_server) if via == "http" else sqlite_read(rule_server)
    assert mail.state == "ok", mail.error
    found = {(c.project, c.path_a, c.path_b) for c in mail.conflicts}
    for (held, asked), (slug, server_said) in rule_world.items():
        assert ((slug, held, asked) in found) is server_said, (held, asked)


def test_one_refresh_keeps_its_few_connections_alive(
    mail_server: AgentMailServer, mail_world: World
) -> None:
    """Dozens of reads, at most PARALLEL connections: the server keeps them alive."""
    http_memo.forget(mail_server.url)  # a first refresh: every read (the next reuses some)
    reader = HttpMailReader(mail_server.url, call_timeout=20)
    reading = reader.read(time.monotonic() + 60)
    assert {p.slug for p in reading.projects} == set(mail_world.slugs.values())
    assert reader.requests_sent >= 2 + 2 * len(mail_world.slugs)
    assert 1 <= reader.connections_opened <= PARALLEL
    sequential = HttpMailReader(mail_server.url, call_timeout=20, parallel=1)
    assert sequential.read(time.monotonic() + 60) == reading
    assert sequential.connections_opened == 1
