"""Shared fixtures: an isolated home for every test, a stand-in `gt`, stand-in towns."""

from __future__ import annotations

import json
import os
import shutil
import socket
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import libtmux
import pytest

from tests.harness import Screen, TmuxServer
from tests.realtown import RealTown, build_agent, make_real_town
from tests.townkit import StandinTown, install_standin_gt, make_town


def closed_port() -> int:
    """A loopback port nothing listens on (bound then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """No test sees the real home, config, town, tmux or Agent Mail of whoever runs it."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_BIN_HOME"):
        monkeypatch.delenv(var, raising=False)
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    for var in [v for v in os.environ if v.startswith(("GT_", "AGENT_MAIL", "HTTP_BEARER"))]:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.delenv("TMUX", raising=False)
    monkeypatch.delenv("TMUX_PANE", raising=False)
    # Every tmux server a test starts lives in a socket folder of its own (short: socket paths
    # are limited to ~100 bytes), so no test sees another's servers, nor the user's.
    sockets = Path(tempfile.mkdtemp(prefix="gtmcp-", dir="/tmp"))
    monkeypatch.setenv("TMUX_TMPDIR", str(sockets))
    # gt puts its servers under /tmp/tmux-<uid> whatever TMUX_TMPDIR says: tests look for Gas
    # Town servers only in their own folder (the real-town tests point this back at /tmp)
    monkeypatch.setenv("GT_MCP_GT_SOCKET_DIR", str(sockets))
    monkeypatch.setenv("AGENT_MAIL_URL", f"http://127.0.0.1:{closed_port()}")
    yield home
    shutil.rmtree(sockets, ignore_errors=True)


@pytest.fixture
def standin_bin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The stand-in `gt`, selected through GT_MCP_GT, logging its argv to a file."""
    gt = install_standin_gt(tmp_path / "bin")
    monkeypatch.setenv("GT_MCP_GT", str(gt))
    monkeypatch.setenv("STANDIN_GT_LOG", str(tmp_path / "gt-argv.jsonl"))
    return gt


@pytest.fixture
def town(tmp_path: Path, standin_bin: Path, monkeypatch: pytest.MonkeyPatch) -> StandinTown:
    """A stand-in town (the reference's example) answered by the stand-in gt."""
    made = make_town(tmp_path)
    monkeypatch.setenv("STANDIN_GT_DATA", str(made.data))
    return made


@pytest.fixture
def tmux(server: libtmux.Server) -> Iterator[TmuxServer]:
    """A fresh tmux server with one detached session `main` and no user config.

    The server is libtmux's pytest plugin's (a socket of its own in this test's TMUX_TMPDIR,
    reaped after the test); the tests drive it with plain argv calls, as the plugin does."""
    assert server.socket_name is not None
    handle = TmuxServer(server.socket_name)
    handle.run("-f", "/dev/null", "new-session", "-d", "-s", "main", "-x", "200", "-y", "50")
    yield handle
    handle.kill()


@pytest.fixture
def screen(tmux: TmuxServer) -> Iterator[Screen]:
    """A real client attached to the `tmux` fixture's server, readable as text."""
    view = Screen(tmux)
    view.wait_for(lambda text: bool(text.strip()))
    yield view
    view.close()


# --- a real MCP Agent Mail server (tests/agent_mail_server.py) --------------------------------


@pytest.fixture(scope="session")
def agent_mail_python() -> Path:
    """The interpreter of the venv holding mcp-agent-mail 0.1.0 (installed on first use)."""
    from tests.agent_mail_server import agent_mail_python as find_python

    return find_python()


@pytest.fixture(scope="session")
def agent_mail_server(
    agent_mail_python: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[object]:
    """One real Agent Mail server for the session (no token), stopped with SIGTERM at the end."""
    from tests.agent_mail_server import AgentMailServer

    server = AgentMailServer(agent_mail_python, tmp_path_factory.mktemp("agent-mail")).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def agent_mail_token_server(
    agent_mail_python: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[object]:
    """A second real server that requires a bearer token, even from 127.0.0.1."""
    from tests.agent_mail_server import AgentMailServer

    token = "tok-" + uuid.uuid4().hex
    run = tmp_path_factory.mktemp("agent-mail-token")
    server = AgentMailServer(agent_mail_python, run, token=token).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def agent_mail_world(agent_mail_server: object, tmp_path_factory: pytest.TempPathFactory) -> object:
    """The session server seeded through its own tools: see tests.agent_mail_server.seed_world."""
    from tests.agent_mail_server import AgentMailServer, seed_world

    assert isinstance(agent_mail_server, AgentMailServer)
    base = tmp_path_factory.mktemp("agent-mail-world")
    town = make_town(base)
    return seed_world(agent_mail_server, town.root, base / "elsewhere" / "repo")


@pytest.fixture
def gas_town(town: StandinTown) -> Iterator[TmuxServer]:
    """Gas Town's server with agent sessions whose panes show who they are."""
    server = TmuxServer(town.socket)
    server.run("-f", "/dev/null", "new-session", "-d", "-s", "hq-mayor", "-x", "100", "-y", "30")
    for name in ("hq-deacon", "gt-witness", "gt-refinery", "gt-furiosa", "gt-crew-max"):
        server.run(
            "new-session",
            "-d",
            "-s",
            name,
            "-x",
            "100",
            "-y",
            "30",
            f"printf 'I AM {name.upper()}\\n'; exec sleep 600",
        )
    yield server
    server.kill()


def run_in_pane(tmux: TmuxServer, *argv: str) -> None:
    """Type a command into the user's shell pane, as a person would."""
    line = " ".join(json.dumps(a) for a in argv)
    tmux.run("send-keys", "-t", "main", "-l", line)
    tmux.run("send-keys", "-t", "main", "Enter")


def env_line(town: StandinTown) -> list[str]:
    """`env VAR=... ` words that point a typed command at the stand-in town."""
    return [
        "env",
        f"GT_MCP_GT={os.environ['GT_MCP_GT']}",
        f"STANDIN_GT_DATA={town.data}",
        f"STANDIN_GT_LOG={os.environ['STANDIN_GT_LOG']}",
        f"GT_TOWN_ROOT={town.root}",
    ]


@pytest.fixture(scope="session")
def gtagent(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real-town tests' stand-in agent, compiled once per session."""
    return build_agent(tmp_path_factory.mktemp("gtagent"))


@pytest.fixture
def real_town(tmp_path: Path, gtagent: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[RealTown]:
    """A live town made by the real gt (tests/realtown.py), killed after the test."""
    town = make_real_town(tmp_path / "rt", gtagent)
    monkeypatch.setenv("GT_MCP_GT", str(town.gt_binary))
    monkeypatch.setenv("GT_MCP_GT_SOCKET_DIR", f"/tmp/tmux-{os.getuid()}")  # where gt puts it
    try:
        yield town
    finally:
        town.kill()
