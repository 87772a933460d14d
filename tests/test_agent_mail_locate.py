"""The fast path finds a local Agent Mail server's database by itself, and reads the same numbers
(against each real server: the fixtures come from test_agent_mail)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from gt_mcp_tmux.config import Settings
from gt_mcp_tmux.sources.agent_mail.locate import candidate_paths, find_database
from gt_mcp_tmux.sources.agent_mail.reader import read_agent_mail
from tests.agent_mail_server import VARIANTS, AgentMailServer, World
from tests.conftest import closed_port
from tests.test_agent_mail import (
    _server_pythons,
    check_every_number,
    mail_server_fixture,
    mail_world_fixture,
    python_for,
)

__all__ = [
    "_server_pythons",
    "mail_server_fixture",
    "mail_world_fixture",
]  # the fixtures, for pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_finds_the_servers_database(mail_server: AgentMailServer, mail_world: World) -> None:
    assert find_database(mail_server.url) == str(mail_server.db_path)
    assert find_database(mail_server.url.replace("127.0.0.1", "localhost")) == str(
        mail_server.db_path
    )


def test_reads_it_by_itself_with_the_same_numbers(
    mail_server: AgentMailServer, mail_world: World
) -> None:
    mail = read_agent_mail(Settings(agent_mail_url=mail_server.url), timeout=20)
    assert mail.via == "sqlite"
    check_every_number(mail, mail_world)
    forced = read_agent_mail(
        Settings(agent_mail_url=mail_server.url, agent_mail_db="http"), timeout=20
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
    # The Rust port's default place, under the server's own HOME / XDG_DATA_HOME.
    assert candidate_paths({"HOME": "/home/me"}, cwd)[1:] == [
        Path("/home/me/.local/share/mcp-agent-mail/git_mailbox_repo/storage.sqlite3"),
        Path("/home/me/.mcp_agent_mail_git_mailbox_repo/storage.sqlite3"),
    ]
    assert candidate_paths({"HOME": "/h", "XDG_DATA_HOME": "/d"}, cwd)[1] == Path(
        "/d/mcp-agent-mail/git_mailbox_repo/storage.sqlite3"
    )


def test_a_servers_dot_env_names_its_database(tmp_path: Path) -> None:
    """The Python servers read `.env` in their working directory; its process environment wins."""
    cwd = tmp_path / "server"
    cwd.mkdir()
    (cwd / ".env").write_text(
        "# made by hand\nexport DATABASE_URL='sqlite+aiosqlite:///./data/mail.sqlite3'\n"
        "HTTP_BEARER_TOKEN=not-read-here\n"
    )
    assert candidate_paths({}, cwd)[0] == cwd / "data" / "mail.sqlite3"
    given = {"DATABASE_URL": "sqlite+aiosqlite:////abs/m.db"}
    assert candidate_paths(given, cwd)[0] == Path("/abs/m.db")


@pytest.mark.parametrize("variant", VARIANTS)
def test_finds_a_database_named_only_in_the_servers_dot_env(variant: str, tmp_path: Path) -> None:
    server = AgentMailServer(python_for(variant), tmp_path / "am", variant=variant)
    server.database_in_dotenv = True
    server.start()
    try:
        server.tool("ensure_project", human_key=str(tmp_path / "repo"))
        assert server.db_path.is_file()  # the server did read its .env
        assert find_database(server.url) == str(server.db_path)
    finally:
        server.stop()
