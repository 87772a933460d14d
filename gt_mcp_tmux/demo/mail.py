"""Agent Mail for the demo: start an installed server (`--with-mail`), and seed one with the town.

Seeding goes through the server's own MCP tools, as agents would: `ensure_project` for two polecat
worktrees and a crew clone inside the demo town, `register_agent`, `send_message` (read and unread,
urgent and not) and `file_reservation_paths` (one pair that conflicts). The mail and bridge views
then have something to show, linked to the demo's rigs and agents by path.

Upstream >= v0.3.1 wants each agent to prove who it is: `register_agent` answers a
`registration_token`, which `send_message` needs as `sender_token` and `mark_message_read` and
`file_reservation_paths` as `registration_token`. They are passed only to a server that gave one
(older servers know no such arguments).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gt_mcp_tmux.sources.agent_mail.http_reader import HttpMailReader, RpcError
from gt_mcp_tmux.sources.agent_mail.liveness import check_liveness
from gt_mcp_tmux.sources.agent_mail.reading import MailReadError

#: Where scripts/test.sh installs the PyPI server (mcp-agent-mail 0.1.0) for the tests.
CACHE_VENV = Path("gastown-mcp-tests") / "agent-mail-venv" / "bin" / "python"
START_BUDGET = 60.0
TOOL_TIMEOUT = 30.0


class MailSetupError(Exception):
    """The demo could not start or seed Agent Mail; the message is one line."""


def _has_server(python: str) -> bool:
    try:
        done = subprocess.run(
            [
                python,
                "-c",
                "import importlib.util as u, sys; sys.exit(not u.find_spec('mcp_agent_mail'))",
            ],
            capture_output=True,
            timeout=20,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def mail_python_candidates(given: str | None) -> list[str]:
    """Interpreters that may have `mcp_agent_mail`: the one given, the tests', the cache venv's,
    this one, python3 on PATH."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    found = [
        given or "",
        os.environ.get("GT_MCP_TEST_AGENT_MAIL_PYTHON", ""),
        str(cache / CACHE_VENV),
        sys.executable,
        shutil.which("python3") or "",
    ]
    return [c for c in dict.fromkeys(found) if c and os.access(c, os.X_OK)]


def find_mail_python(given: str | None) -> str | None:
    if given:
        return given if os.access(given, os.X_OK) and _has_server(given) else None
    return next((c for c in mail_python_candidates(None) if _has_server(c)), None)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True, slots=True)
class StartedServer:
    pid: int
    url: str


def start_mail_server(python: str, run_dir: Path) -> StartedServer:
    """`python -m mcp_agent_mail.cli serve-http` on a free loopback port, all state in `run_dir`.

    Returns at once: `wait_alive` waits for it. Its own process group, so it can be stopped whole.
    """
    for sub in ("home", "db", "archive"):
        (run_dir / sub).mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "HOME": str(run_dir / "home"),
        "HTTP_HOST": "127.0.0.1",
        "HTTP_PORT": str(port),
        "DATABASE_URL": f"sqlite+aiosqlite:///{run_dir / 'db' / 'storage.sqlite3'}",
        "STORAGE_ROOT": str(run_dir / "archive"),
        "LLM_ENABLED": "false",
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        "MCP_TOOLS_MODE": "extended",
    }
    with (run_dir / "server.log").open("ab") as log:
        process = subprocess.Popen(
            [python, "-m", "mcp_agent_mail.cli", "serve-http"],
            cwd=run_dir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return StartedServer(process.pid, f"http://127.0.0.1:{port}")


def wait_alive(url: str, budget: float = START_BUDGET, pid: int | None = None) -> bool:
    deadline = time.monotonic() + budget
    while time.monotonic() < deadline:
        if check_liveness(url, timeout=1.0).up:
            return True
        if pid is not None and not _running(pid):
            return False
        time.sleep(0.25)
    return False


def _running(pid: int) -> bool:
    try:
        waited, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        waited = 0
    if waited == pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


# --- seeding ------------------------------------------------------------------------------------


class MailTools:
    """Calls an Agent Mail server's MCP tools (bounded, one line on failure)."""

    def __init__(self, url: str, token: str | None) -> None:
        self.reader = HttpMailReader(url, token, call_timeout=TOOL_TIMEOUT)

    def call(self, name: str, /, **arguments: Any) -> Any:
        deadline = time.monotonic() + TOOL_TIMEOUT
        try:
            result = self.reader.rpc("tools/call", {"name": name, "arguments": arguments}, deadline)
        except (RpcError, MailReadError) as err:
            raise MailSetupError(f"Agent Mail tool {name}: {err}") from None
        if not isinstance(result, dict) or result.get("isError"):
            said = _text(result) if isinstance(result, dict) else str(result)
            raise MailSetupError(f"Agent Mail tool {name} failed: {' '.join(said.split())[:200]}")
        structured = result.get("structuredContent")
        if structured is None:  # only the text form: the same JSON
            try:
                structured = json.loads(_text(result))
            except ValueError:
                return None
        if isinstance(structured, dict) and set(structured) == {"result"}:
            return structured["result"]
        return structured


def _text(result: dict[str, Any]) -> str:
    """The first text part of a tool's answer."""
    content = result.get("content")
    if isinstance(content, list) and content and isinstance(content[0], dict):
        return str(content[0].get("text") or "")
    return str(content or "")


@dataclass(frozen=True, slots=True)
class SeedProject:
    path: Path
    agents: Sequence[tuple[str, str]]  # (Agent Mail name, program)


def seed_projects(root: Path) -> list[SeedProject]:
    """Two polecat worktrees and a crew clone in the demo town, and who works in each."""
    return [
        SeedProject(
            root / "gastown" / "polecats" / "furiosa" / "gastown",
            [("GreenCastle", "claude-code"), ("BlueLake", "codex")],
        ),
        SeedProject(
            root / "beads" / "polecats" / "toast" / "beads",
            [("OrangeHill", "claude-code"), ("SilverOwl", "gemini-cli")],
        ),
        SeedProject(root / "gastown" / "crew" / "max", [("RedStone", "claude-code")]),
    ]


#: (project index, sender, recipients, subject, importance, ack required, read by recipients)
MESSAGES = (
    (0, "GreenCastle", ["BlueLake"], "Plan for the flaky login test", "normal", False, True),
    (0, "BlueLake", ["GreenCastle"], "I'm taking internal/tmux/socket.go", "high", False, False),
    (0, "GreenCastle", ["BlueLake"], "Stop: main is red, hold your merge", "urgent", True, False),
    (1, "OrangeHill", ["SilverOwl"], "Labels migration: dry run passed", "normal", False, False),
    (1, "SilverOwl", ["OrangeHill"], "Re: labels migration, ship it", "normal", True, True),
    (2, "RedStone", ["RedStone"], "Note to self: rebase crew/max on main", "low", False, False),
)
#: (project index, agent, paths, exclusive): the first two conflict (one exclusive, overlapping).
RESERVATIONS = (
    (0, "GreenCastle", ["internal/tmux/*.go"], True),
    (0, "BlueLake", ["internal/tmux/socket.go"], False),
    (1, "OrangeHill", ["internal/labels/**"], True),
    (2, "RedStone", ["docs/convoys.md"], True),
)


def seed_summary(root: Path) -> str:
    """What `seed_mail` adds, in one line."""
    projects = seed_projects(root)
    agents = sum(len(p.agents) for p in projects)
    return (
        f"{len(projects)} projects, {agents} agents, {len(MESSAGES)} messages, "
        f"{len(RESERVATIONS)} reservations (1 conflict)"
    )


def seed_plan(root: Path) -> list[str]:
    """What `seed_mail` adds, project by project, for the user to read before it is added."""
    projects = seed_projects(root)
    lines = []
    for index, project in enumerate(projects):
        names = ", ".join(name for name, _program in project.agents)
        messages = sum(1 for m in MESSAGES if m[0] == index)
        held = sum(1 for r in RESERVATIONS if r[0] == index)
        lines.append(
            f"project {project.path}: agents {names}; {messages} messages, {held} reservations"
        )
    return lines


def seed_mail(url: str, token: str | None, root: Path) -> str:
    """Put the demo's projects, agents, messages and reservations into the server; a summary."""
    tools = MailTools(url, token)
    projects = seed_projects(root)
    #: (project key, agent name) -> its registration token (upstream >= 0.3.1 only)
    proofs: dict[tuple[str, str], str] = {}
    for project in projects:
        key = str(project.path)
        tools.call("ensure_project", human_key=key)
        for name, program in project.agents:
            registered = tools.call(
                "register_agent",
                project_key=key,
                program=program,
                model="demo",
                name=name,
                task_description=f"{name}: demo agent in {project.path.name}",
            )
            given = registered.get("registration_token") if isinstance(registered, dict) else None
            if isinstance(given, str) and given:
                proofs[(key, name)] = given

    def proof(key: str, name: str, argument: str) -> dict[str, str]:
        found = proofs.get((key, name))
        return {argument: found} if found else {}

    for index, sender, to, subject, importance, ack, read in MESSAGES:
        key = str(projects[index].path)
        sent = tools.call(
            "send_message",
            project_key=key,
            sender_name=sender,
            to=to,
            subject=subject,
            body_md=f"{subject}\n\n(gastown-mcp demo)",
            importance=importance,
            ack_required=ack,
            **proof(key, sender, "sender_token"),
        )
        if read:
            message_id = _message_id(sent)
            for name in to:
                if message_id is not None:
                    tools.call(
                        "mark_message_read",
                        project_key=key,
                        agent_name=name,
                        message_id=message_id,
                        **proof(key, name, "registration_token"),
                    )
    for index, agent, paths, exclusive in RESERVATIONS:
        key = str(projects[index].path)
        tools.call(
            "file_reservation_paths",
            project_key=key,
            agent_name=agent,
            paths=paths,
            ttl_seconds=4 * 3600,
            exclusive=exclusive,
            reason=f"{agent} is editing",
            **proof(key, agent, "registration_token"),
        )
    return seed_summary(root)


def _message_id(sent: Any) -> int | None:
    try:
        value = sent["deliveries"][0]["payload"]["id"]
    except (KeyError, IndexError, TypeError):
        return None
    return value if isinstance(value, int) else None
