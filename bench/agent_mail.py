"""One Agent Mail refresh (`read_agent_mail`) over HTTP and over SQLite, on a big real server.

A real PyPI `mcp-agent-mail==0.1.0` server creates its database; 20 projects, 200 agents,
2,000 reservations and 1,000 messages are then written into it directly (through the server's
tools this would take minutes), and the server is started again on it. Both refreshes read the
same database and must give the same numbers. Also timed: a refresh when the server is down.
"""

from __future__ import annotations

import random
import sqlite3
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from bench.common import median, report
from gt_mcp_tmux.config import Settings
from gt_mcp_tmux.model import AgentMail, to_json
from gt_mcp_tmux.sources.agent_mail.reader import read_agent_mail
from tests.agent_mail_server import AgentMailServer, agent_mail_python, free_port

PROJECTS, AGENTS_PER_PROJECT, RESERVATIONS_PER_PROJECT, MESSAGES_PER_PROJECT = 20, 10, 100, 50
ADJECTIVES: tuple[str, ...] = (
    "Green",
    "Blue",
    "Red",
    "Black",
    "White",
    "Purple",
    "Orange",
    "Silver",
    "Golden",
)
ADJECTIVES += ("Calm", "Bold", "Quiet", "Swift", "Bright", "Gentle")
NOUNS: tuple[str, ...] = (
    "Castle",
    "Lake",
    "Stone",
    "Fox",
    "Hill",
    "Pond",
    "Bear",
    "Owl",
    "River",
    "Falcon",
)
NOUNS += ("Oak", "Cliff", "Meadow", "Harbor")


def _ts(moment: datetime) -> str:
    """The fork's TEXT timestamp: naive UTC with microseconds."""
    return moment.astimezone(timezone.utc).replace(tzinfo=None).isoformat(sep=" ")


def seed(db: Path, base: str) -> None:
    """Fill a server-created database (server stopped) with the benchmark's fleet."""
    rng = random.Random(4)
    now = datetime.now(timezone.utc)
    names = [f"{a}{n}" for a in ADJECTIVES for n in NOUNS]
    rng.shuffle(names)
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("DELETE FROM projects")
        agent_id = message_id = reservation_id = 0
        for p in range(1, PROJECTS + 1):
            conn.execute(
                "INSERT INTO projects (id, slug, human_key, created_at) VALUES (?, ?, ?, ?)",
                (p, f"bench-rig{p:02d}", f"{base}/rig{p:02d}", _ts(now - timedelta(days=1))),
            )
            members = []
            for _ in range(AGENTS_PER_PROJECT):
                agent_id += 1
                members.append(agent_id)
                conn.execute(
                    "INSERT INTO agents (id, project_id, name, program, model, task_description,"
                    " inception_ts, last_active_ts, attachments_policy, contact_policy,"
                    " is_active, deleted_ts) VALUES (?, ?, ?, 'claude-code', 'opus', 'bench',"
                    " ?, ?, 'auto', 'auto', 1, NULL)",
                    (agent_id, p, names[agent_id - 1], _ts(now - timedelta(hours=2)), _ts(now)),
                )
            for m in range(MESSAGES_PER_PROJECT):
                message_id += 1
                sender = rng.choice(members)
                conn.execute(
                    "INSERT INTO messages (id, project_id, sender_id, thread_id, subject, body_md,"
                    " importance, ack_required, created_ts, attachments)"
                    " VALUES (?, ?, ?, NULL, ?, 'body', ?, ?, ?, '[]')",
                    (
                        message_id,
                        p,
                        sender,
                        f"message {m} of rig{p:02d}",
                        rng.choice(["normal"] * 6 + ["low", "high", "urgent"]),
                        int(rng.random() < 0.2),
                        _ts(now - timedelta(seconds=rng.randint(1, 86400))),
                    ),
                )
                for recipient in rng.sample([a for a in members if a != sender], 2):
                    was_read = rng.random() < 0.4
                    conn.execute(
                        "INSERT INTO message_recipients (message_id, agent_id, kind, read_ts,"
                        " ack_ts) VALUES (?, ?, 'to', ?, NULL)",
                        (message_id, recipient, _ts(now) if was_read else None),
                    )
            for r in range(RESERVATIONS_PER_PROJECT):
                reservation_id += 1
                pattern = f"src/mod{r // 10}/*" if r % 10 == 0 else f"src/mod{r // 10}/f{r}.py"
                conn.execute(
                    "INSERT INTO file_reservations (id, project_id, agent_id, path_pattern,"
                    " exclusive, reason, created_ts, expires_ts, released_ts)"
                    " VALUES (?, ?, ?, ?, ?, 'bench', ?, ?, NULL)",
                    (
                        reservation_id,
                        p,
                        members[r % AGENTS_PER_PROJECT],
                        pattern,
                        int(rng.random() < 0.7),
                        _ts(now - timedelta(minutes=5)),
                        _ts(now + timedelta(hours=2)),
                    ),
                )
    conn.close()


def _timed(settings: Settings, runs: int) -> tuple[list[float], AgentMail]:
    times, last = [], None
    for _ in range(runs):
        started = time.perf_counter()
        last = read_agent_mail(settings, timeout=60)
        times.append((time.perf_counter() - started) * 1000)
    assert last is not None
    return times, last


def _comparable(mail: AgentMail) -> object:
    data = to_json(mail)
    del data["via"], data["latency_ms"]
    return data


def main(http_runs: int = 5, sqlite_runs: int = 30, down_runs: int = 30) -> dict[str, float]:
    python = agent_mail_python()
    with tempfile.TemporaryDirectory() as tmp:
        server = AgentMailServer(python, Path(tmp) / "am").start()
        server.tool("ensure_project", human_key=f"{tmp}/schema")  # the server makes the schema
        server.stop()
        seed(server.db_path, f"{tmp}/town")
        server.start()
        try:
            over_http = Settings(agent_mail_url=server.url, agent_mail_db="http")
            over_sqlite = Settings(agent_mail_url=server.url, agent_mail_db=str(server.db_path))
            _timed(over_http, 1)  # warm the server's caches
            http_times, http_mail = _timed(over_http, http_runs)
            sqlite_times, sqlite_mail = _timed(over_sqlite, sqlite_runs)
        finally:
            server.stop()
    down = Settings(agent_mail_url=f"http://127.0.0.1:{free_port()}")
    down_times, down_mail = _timed(down, down_runs)
    if http_mail.state != "ok" or _comparable(http_mail) != _comparable(sqlite_mail):
        raise SystemExit(f"HTTP and SQLite disagree: {http_mail.state} {http_mail.error}")
    assert down_mail.state == "down"
    http_ms, sqlite_ms, down_ms = median(http_times), median(sqlite_times), median(down_times)
    agents = sum(len(p.agents) for p in http_mail.projects)
    report(
        "agent mail refresh (read_agent_mail, one real server, PyPI 0.1.0)",
        {
            "fleet": f"{len(http_mail.projects)} projects, {agents} agents, "
            f"{http_mail.reservations_active} active reservations, "
            f"{len(http_mail.conflicts)} conflicts, {http_mail.unread_total} unread",
            "over SQLite (baseline)": f"{sqlite_ms:.1f} ms median of {sqlite_runs}",
            "over HTTP": f"{http_ms:.1f} ms median of {http_runs}",
            "ratio": f"HTTP takes {http_ms / sqlite_ms:.0f}x the SQLite time",
            "server down": f"{down_ms:.2f} ms median of {down_runs} (one refused connection)",
        },
    )
    return {"http_ms": http_ms, "sqlite_ms": sqlite_ms, "down_ms": down_ms}


if __name__ == "__main__":
    main()
