"""Shared fixtures: an isolated home for every test, a stand-in `gt`, stand-in towns."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.townkit import StandinTown, install_standin_gt, make_town
from tests.waiting import retry_until

PROJECT = Path(__file__).resolve().parent.parent


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


class TmuxServer:
    """A tmux server of the test's own (`tmux -L <unique>`), killed at the end; nothing else is."""

    def __init__(self, socket: str) -> None:
        self.socket = socket

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["tmux", "-L", self.socket, *args],
            capture_output=True,
            text=True,
            check=check,
            timeout=20,
        )

    def out(self, *args: str) -> str:
        return self.run(*args).stdout.rstrip("\n")

    def option(self, name: str) -> str:
        return self.out("show-options", "-gqv", name)

    def load_plugin(self) -> None:
        self.run("run-shell", str(PROJECT / "gastown-mcp.tmux"))

    def kill(self) -> None:
        self.run("kill-server", check=False)


@pytest.fixture
def tmux(tmp_path: Path) -> Iterator[TmuxServer]:
    """A fresh tmux server with one detached session and no user config."""
    server = TmuxServer(f"gtmcp-test-{uuid.uuid4().hex[:10]}")
    server.run("-f", "/dev/null", "new-session", "-d", "-s", "main", "-x", "200", "-y", "50")
    yield server
    server.kill()


class Screen:
    """What a person sees of a tmux server: a real client attached inside an outer tmux pane.

    The outer server (its own socket) runs `tmux -L <inner> attach`; capturing the outer pane shows
    the inner server's status line and popups exactly as drawn. `keys` types into that client.
    """

    def __init__(
        self, inner: TmuxServer, width: int = 120, height: int = 30, session: str = "main"
    ) -> None:
        self.inner = inner
        self.outer = TmuxServer(f"{inner.socket}-screen")
        attach = f"env -u TMUX tmux -L {inner.socket} attach -t ={session}:"
        self.outer.run(
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-s",
            "screen",
            "-x",
            str(width),
            "-y",
            str(height),
            attach,
        )
        self.outer.run("set", "-g", "status", "off")

    def text(self) -> str:
        return self.outer.out("capture-pane", "-p", "-t", "screen")

    def keys(self, *keys: str) -> None:
        self.outer.run("send-keys", "-t", "screen", *keys)

    def wait_for(self, predicate: Callable[[str], bool], timeout: float = 10.0) -> str:
        """Poll the screen until `predicate(text)` holds; the last text either way."""
        shown: list[str] = []

        def look() -> bool:
            shown[:] = [self.text()]
            return predicate(shown[0])

        retry_until(look, timeout, every=0.05)
        return shown[0]

    def close(self) -> None:
        self.outer.kill()


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
