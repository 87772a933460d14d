"""The fast path finds a local Agent Mail server's database by itself, and reads the same numbers."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from gt_mcp_tmux.config import Settings
from gt_mcp_tmux.sources.agent_mail.locate import candidate_paths, find_database
from gt_mcp_tmux.sources.agent_mail.reader import read_agent_mail
from tests.agent_mail_server import AgentMailServer, World
from tests.conftest import closed_port
from tests.test_agent_mail import check_every_number

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_finds_the_servers_database(agent_mail_server: AgentMailServer) -> None:
    assert find_database(agent_mail_server.url) == str(agent_mail_server.db_path)
    assert find_database(agent_mail_server.url.replace("127.0.0.1", "localhost")) == str(
        agent_mail_server.db_path
    )


def test_reads_it_by_itself_with_the_same_numbers(
    agent_mail_server: AgentMailServer, agent_mail_world: World
) -> None:
    mail = read_agent_mail(Settings(agent_mail_url=agent_mail_server.url), timeout=20)
    assert mail.via == "sqlite"
    check_every_number(mail, agent_mail_world)
    forced = read_agent_mail(
        Settings(agent_mail_url=agent_mail_server.url, agent_mail_db="http"), timeout=20
    )
    assert forced.via == "http"


def test_nothing_to_find() -> None:
    assert find_database("http://example.com:8765") is None  # not here
    assert find_database(f"http://127.0.0.1:{closed_port()}") is None  # nothing listens
    with socket.create_server(("127.0.0.1", 0)) as listener:  # listens, but keeps no database
        assert find_database(f"http://127.0.0.1:{listener.getsockname()[1]}") is None


def test_where_servers_keep_it(tmp_path: Path) -> None:
    cwd = tmp_path / "server"
    assert candidate_paths({"DATABASE_URL": "sqlite+aiosqlite:///./data/m.sqlite3"}, cwd)[0] == (
        cwd / "./data/m.sqlite3"
    )
    assert candidate_paths({"DATABASE_URL": "sqlite+aiosqlite:////abs/m.db"}, cwd)[0] == Path(
        "/abs/m.db"
    )
    assert candidate_paths({"STORAGE_ROOT": "/srv/am"}, cwd) == [
        Path("/srv/am/storage.sqlite3"),
        cwd / "storage.sqlite3",
    ]
    assert candidate_paths({"DATABASE_URL": "postgresql://x"}, cwd) == [cwd / "storage.sqlite3"]
