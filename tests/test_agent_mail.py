"""The Agent Mail source against a real MCP Agent Mail server (PyPI 0.1.0), over HTTP and SQLite."""

from __future__ import annotations

import json
import socket
import sqlite3
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from gt_mcp_tmux.config import Settings
from gt_mcp_tmux.model import AgentMail, to_json
from gt_mcp_tmux.sources.agent_mail.reader import read_agent_mail
from gt_mcp_tmux.sources.agent_mail.sqlite import SqliteMailReader
from tests.agent_mail_server import AgentMailServer, World

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def http_read(server: AgentMailServer, **kwargs: Any) -> AgentMail:
    settings = Settings(agent_mail_url=server.url, agent_mail_db="http")  # never the fast path
    return read_agent_mail(settings, timeout=20, **kwargs)


def sqlite_read(server: AgentMailServer, db: Path | None = None, **kwargs: Any) -> AgentMail:
    settings = Settings(agent_mail_url=server.url, agent_mail_db=str(db or server.db_path))
    return read_agent_mail(settings, timeout=20, **kwargs)


def check_every_number(mail: AgentMail, world: World) -> None:
    assert mail.state == "ok", mail.error
    assert mail.error is None
    assert mail.variant == "pypi"
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


def test_world_totals_match_its_per_agent_expectations(agent_mail_world: World) -> None:
    """Guards the hand-written totals above against a change in the seeding."""
    agents = [e for members in agent_mail_world.agents.values() for e in members.values()]
    assert sum(e.unread for e in agents) == 5
    assert sum(e.urgent_unread for e in agents) == 3
    assert sum(e.acks_pending for e in agents) == 3
    assert sum(len(v) for v in agent_mail_world.active.values()) == 10


def test_http_reads_every_number(
    agent_mail_server: AgentMailServer, agent_mail_world: World
) -> None:
    mail = http_read(agent_mail_server)
    assert mail.via == "http"
    check_every_number(mail, agent_mail_world)


def test_sqlite_reads_every_number_and_agrees_with_http(
    agent_mail_server: AgentMailServer, agent_mail_world: World
) -> None:
    over_sqlite = sqlite_read(agent_mail_server)
    assert over_sqlite.via == "sqlite"
    check_every_number(over_sqlite, agent_mail_world)
    over_http = http_read(agent_mail_server)

    def comparable(mail: AgentMail) -> dict[str, Any]:
        data = to_json(mail)
        del data["via"], data["latency_ms"]
        return dict(data)

    assert comparable(over_sqlite) == comparable(over_http)


def test_reading_marks_nothing_read(
    agent_mail_server: AgentMailServer, agent_mail_world: World
) -> None:
    def unread_rows() -> int:
        with sqlite3.connect(f"file:{agent_mail_server.db_path}?mode=ro", uri=True) as conn:
            return int(
                conn.execute(
                    "SELECT COUNT(*) FROM message_recipients WHERE read_ts IS NULL"
                ).fetchone()[0]
            )

    before = unread_rows()
    for _ in range(2):
        assert http_read(agent_mail_server).unread_total == 5
    assert unread_rows() == before == 5


def test_expired_reservation_is_left_out_although_not_yet_released(
    agent_mail_server: AgentMailServer, agent_mail_world: World
) -> None:
    snapshot = agent_mail_world.expired_snapshot
    assert snapshot is not None
    label, agent, path = agent_mail_world.expired
    with sqlite3.connect(f"file:{snapshot}?mode=ro", uri=True) as conn:
        released, expires = conn.execute(
            "SELECT released_ts, expires_ts FROM file_reservations WHERE path_pattern = ?", (path,)
        ).fetchone()
    # The server expires lazily: the row is past its expiry but still unreleased.
    assert released is None
    assert datetime.fromisoformat(expires).replace(tzinfo=timezone.utc) < datetime.now(timezone.utc)
    raw = SqliteMailReader(str(snapshot)).read(deadline=float("inf"))
    assert any(r.path_pattern == path for p in raw.projects for r in p.reservations)

    mail = sqlite_read(agent_mail_server, db=snapshot)
    assert mail.state == "ok"
    canonical = next(p for p in mail.projects if p.slug == agent_mail_world.slugs[label])
    assert [(r.agent, r.path_pattern) for r in canonical.reservations] == [("WhiteFox", "tests/*")]
    assert mail.reservations_active == 10
    assert all(agent not in (c.agent_a, c.agent_b) for c in mail.conflicts)


def test_recent_messages_are_limited(
    agent_mail_server: AgentMailServer, agent_mail_world: World
) -> None:
    newest = list(reversed(agent_mail_world.subjects))[:3]
    assert [m.subject for m in http_read(agent_mail_server, recent_limit=3).messages] == newest
    assert [m.subject for m in sqlite_read(agent_mail_server, recent_limit=3).messages] == newest


# --- auth -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def token_world(agent_mail_token_server: AgentMailServer, tmp_path_factory: Any) -> str:
    """One project with one unread message on the token server; returns its slug."""
    server = agent_mail_token_server
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
    agent_mail_token_server: AgentMailServer, token_world: str
) -> None:
    mail = http_read(agent_mail_token_server)
    assert (mail.state, mail.projects, mail.unread_total) == ("auth", [], 0)
    assert "401" in (mail.error or "")


def test_wrong_token_is_auth_and_never_shown(
    agent_mail_token_server: AgentMailServer, token_world: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    wrong = "wrong-" + agent_mail_token_server.token[::-1]  # type: ignore[index]
    monkeypatch.setenv("AGENT_MAIL_TOKEN", wrong)
    mail = http_read(agent_mail_token_server)
    assert mail.state == "auth"
    no_token_anywhere(mail, wrong)
    no_token_anywhere(mail, agent_mail_token_server.token or "")


def check_token_world(mail: AgentMail, slug: str, token: str) -> None:
    assert mail.state == "ok", mail.error
    assert [p.slug for p in mail.projects] == [slug]
    assert (mail.unread_total, mail.urgent_unread, mail.acks_pending) == (1, 1, 1)
    assert [m.subject for m in mail.messages] == ["Behind a token"]
    no_token_anywhere(mail, token)


def test_token_from_agent_mail_token(
    agent_mail_token_server: AgentMailServer, token_world: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = agent_mail_token_server.token or ""
    monkeypatch.setenv("AGENT_MAIL_TOKEN", token)
    monkeypatch.setenv("HTTP_BEARER_TOKEN", "not-this-one")
    check_token_world(http_read(agent_mail_token_server), token_world, token)


def test_token_from_http_bearer_token_for_loopback(
    agent_mail_token_server: AgentMailServer, token_world: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = agent_mail_token_server.token or ""
    monkeypatch.setenv("HTTP_BEARER_TOKEN", token)
    check_token_world(http_read(agent_mail_token_server), token_world, token)


def test_token_from_config_env(
    agent_mail_token_server: AgentMailServer, token_world: str, isolated_home: Path
) -> None:
    token = agent_mail_token_server.token or ""
    config = isolated_home / ".config" / "mcp-agent-mail" / "config.env"
    config.parent.mkdir(parents=True)
    config.write_text(f"# written by the installer\nHTTP_PORT=8765\nHTTP_BEARER_TOKEN={token}\n")
    check_token_world(http_read(agent_mail_token_server), token_world, token)


def test_sqlite_needs_no_token(agent_mail_token_server: AgentMailServer, token_world: str) -> None:
    mail = sqlite_read(agent_mail_token_server)
    check_token_world(mail, token_world, agent_mail_token_server.token or "")


# --- down, hung -------------------------------------------------------------------------------


def test_stopped_server_is_down_over_http_and_sqlite(
    agent_mail_python: Path, tmp_path: Path
) -> None:
    server = AgentMailServer(agent_mail_python, tmp_path / "am").start()
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
