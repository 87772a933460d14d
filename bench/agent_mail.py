"""One Agent Mail refresh (`read_agent_mail`) over HTTP and over SQLite, on big real servers.

For each real server (the PyPI fork 0.1.0 and upstream 0.2.1, as the tests install them), the
server creates its database; 20 projects, 200 agents, 2,000 reservations and 1,000 messages are
then written into it directly (through the server's tools this would take minutes), and the
server is started again on it. Both refreshes read the same database and must give the same
numbers; the SQLite read is the baseline. HTTP is measured three ways: a first refresh (nothing
kept from an earlier one), the next refresh with nothing changed, and the next after a working
fleet's mail (sent, read, acknowledged through the server's tools; it must equal the SQLite read
of the same moment); each with its requests, views and reservation reads, and how busy the
server process was (its CPU time over the refresh's wall time: near 100% means it answers one
request at a time and more parallel requests cannot help). Also: the first refresh one request
at a time (`parallel=1`), and a refresh when the server is down.

    python -m bench agent_mail   # both servers, a few minutes
"""

from __future__ import annotations

import os
import random
import sqlite3
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from bench.common import median, report
from gt_mcp_tmux.config import Settings
from gt_mcp_tmux.model import AgentMail, to_json
from gt_mcp_tmux.sources.agent_mail import http_memo
from gt_mcp_tmux.sources.agent_mail.http_reader import PARALLEL, HttpMailReader
from gt_mcp_tmux.sources.agent_mail.reader import read_agent_mail
from gt_mcp_tmux.sources.agent_mail.reading import MailReading
from gt_mcp_tmux.sources.agent_mail.sqlite import SqliteMailReader
from tests.agent_mail_server import VARIANTS, AgentMailServer, free_port, variant_python

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
    columns = {row[1] for row in conn.execute("PRAGMA table_info(agents)")}
    fork = "is_active" in columns  # upstream 0.2.1 has neither column
    extra, extra_values = (", is_active, deleted_ts", ", 1, NULL") if fork else ("", "")
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
                    f" inception_ts, last_active_ts, attachments_policy, contact_policy{extra})"
                    " VALUES (?, ?, ?, 'claude-code', 'opus', 'bench',"
                    f" ?, ?, 'auto', 'auto'{extra_values})",
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


def _timed(settings: Settings, runs: int, cold: bool = False) -> tuple[list[float], AgentMail]:
    """`runs` refreshes (ms each); `cold`: each without what the last one left (http_memo)."""
    times, last = [], None
    for _ in range(runs):
        if cold:
            http_memo.forget()
        started = time.perf_counter()
        last = read_agent_mail(settings, timeout=120)
        times.append((time.perf_counter() - started) * 1000)
    assert last is not None
    return times, last


def _comparable(mail: AgentMail) -> object:
    data = to_json(mail)
    del data["via"], data["latency_ms"]
    return data


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Refresh:
    """One HTTP refresh as counted by its reader."""

    ms: float
    requests: int
    views: int
    reservation_reads: int
    connections: int
    server_cpu_ms: float
    reading: MailReading


def _one(url: str, pid: int, *, cold: bool, parallel: int = PARALLEL) -> Refresh:
    if cold:
        http_memo.forget()
    reader = HttpMailReader(url, call_timeout=60, parallel=parallel)
    cpu, started = _cpu_seconds(pid), time.perf_counter()
    reading = reader.read(time.monotonic() + 300)
    ms = (time.perf_counter() - started) * 1000
    return Refresh(
        ms,
        reader.requests_sent,
        reader.views_asked,
        reader.reservation_reads,
        reader.connections_opened,
        (_cpu_seconds(pid) - cpu) * 1000,
        reading,
    )


def activity(server: AgentMailServer, rounds: int = 5) -> None:
    """What a working fleet does between two refreshes, through the server's own tools: mail
    sent (one urgent and asking for an ack), some of it read, some acknowledged."""
    conn = sqlite3.connect(server.db_path)
    rows = conn.execute(
        "SELECT p.slug, a.name FROM agents a JOIN projects p ON p.id = a.project_id"
        " WHERE p.slug LIKE 'bench-%' ORDER BY a.id"
    ).fetchall()
    conn.close()
    by_project: dict[str, list[str]] = {}
    for key, name in rows:
        by_project.setdefault(key, []).append(name)
    keys = sorted(by_project)
    for i in range(rounds):
        key = keys[i % len(keys)]
        sender, to = by_project[key][0], by_project[key][1 + i % 3]
        sent = server.tool(
            "send_message",
            project_key=key,
            sender_name=sender,
            to=[to],
            subject=f"between refreshes {i}",
            body_md="body",
            importance="urgent" if i == 0 else "normal",
            ack_required=i == 0,
        )
        message_id = sent["deliveries"][0]["payload"]["id"]
        tool = "acknowledge_message" if i % 2 else "mark_message_read"
        server.tool(tool, project_key=key, agent_name=to, message_id=message_id)


def _numbers(reading: MailReading) -> object:
    """Every agent's counts and every unreleased reservation, in a stable order."""
    agents = sorted(
        (p.slug, a.name, a.unread, a.urgent_unread, a.acks_pending, tuple(a.withheld))
        for p in reading.projects
        for a in p.agents
    )
    return agents, sorted(r.id for p in reading.projects for r in p.reservations)


def _row(refresh: Refresh) -> str:
    return (
        f"{refresh.ms:.0f} ms, {refresh.requests} requests ({refresh.views} views,"
        f" {refresh.reservation_reads} reservation reads), server busy"
        f" {refresh.server_cpu_ms / refresh.ms:.0%} of it"
    )


def one_variant(variant: str, http_runs: int, sqlite_runs: int) -> dict[str, float]:
    python = variant_python(variant)
    with tempfile.TemporaryDirectory() as tmp:
        server = AgentMailServer(python, Path(tmp) / "am", variant=variant).start()
        server.tool("ensure_project", human_key=f"{tmp}/schema")  # the server makes the schema
        server.stop()
        seed(server.db_path, f"{tmp}/town")
        server.start()
        assert server.process is not None
        pid = server.process.pid
        try:
            over_http = Settings(agent_mail_url=server.url, agent_mail_db="http")
            over_sqlite = Settings(agent_mail_url=server.url, agent_mail_db=str(server.db_path))
            _timed(over_http, 1, cold=True)  # warm the server's caches
            http_times, http_mail = _timed(over_http, http_runs, cold=True)
            sqlite_times, sqlite_mail = _timed(over_sqlite, sqlite_runs)
            if http_mail.state != "ok" or _comparable(http_mail) != _comparable(sqlite_mail):
                raise SystemExit(f"{variant}: HTTP and SQLite disagree: {http_mail.error}")
            cold = _one(server.url, pid, cold=True)
            sequential = _one(server.url, pid, cold=True, parallel=1)
            quiet = [_one(server.url, pid, cold=False) for _ in range(http_runs)]
            busy = []
            for _ in range(http_runs):
                activity(server)
                busy.append(_one(server.url, pid, cold=False))
                truth = SqliteMailReader(str(server.db_path)).read(time.monotonic() + 30)
                if _numbers(busy[-1].reading) != _numbers(truth):
                    raise SystemExit(f"{variant}: the incremental refresh disagrees with SQLite")
        finally:
            server.stop()
    http_ms, sqlite_ms = median(http_times), median(sqlite_times)
    quiet_one = sorted(quiet, key=lambda r: r.ms)[len(quiet) // 2]
    busy_one = sorted(busy, key=lambda r: r.ms)[len(busy) // 2]
    agents = sum(len(p.agents) for p in http_mail.projects)
    report(
        f"agent mail refresh (read_agent_mail, one real server: {variant})",
        {
            "fleet": f"{len(http_mail.projects)} projects, {agents} agents, "
            f"{http_mail.reservations_active} active reservations, "
            f"{len(http_mail.conflicts)} conflicts, {http_mail.unread_total} unread",
            "over SQLite (baseline)": f"{sqlite_ms:.1f} ms median of {sqlite_runs}",
            "over HTTP, first refresh": f"{http_ms:.0f} ms median of {http_runs}"
            f" ({http_ms / sqlite_ms:.0f}x SQLite); {_row(cold)}"
            f" on {cold.connections} kept-alive connections",
            "  one request at a time": f"{sequential.ms:.0f} ms (parallel=1),"
            f" {sequential.ms / cold.ms:.2f}x the default's {PARALLEL} at a time",
            "over HTTP, next, unchanged": f"{_row(quiet_one)} (median of {http_runs})",
            "over HTTP, next, after mail": f"{_row(busy_one)} (median of {http_runs};"
            " between refreshes 5 messages sent, 3 read, 2 acknowledged; equal to SQLite)",
        },
    )
    return {
        f"{variant}_http_ms": http_ms,
        f"{variant}_sqlite_ms": sqlite_ms,
        f"{variant}_requests": float(cold.requests),
        f"{variant}_sequential_ms": sequential.ms,
        f"{variant}_next_ms": quiet_one.ms,
        f"{variant}_next_requests": float(quiet_one.requests),
        f"{variant}_busy_ms": busy_one.ms,
        f"{variant}_busy_requests": float(busy_one.requests),
    }


def main(
    http_runs: int = 3,
    sqlite_runs: int = 30,
    down_runs: int = 30,
    variants: tuple[str, ...] = VARIANTS,
) -> dict[str, float]:
    figures: dict[str, float] = {}
    for variant in variants:
        figures.update(one_variant(variant, http_runs, sqlite_runs))
    down = Settings(agent_mail_url=f"http://127.0.0.1:{free_port()}")
    down_times, down_mail = _timed(down, down_runs)
    assert down_mail.state == "down"
    figures["down_ms"] = median(down_times)
    report(
        "agent mail, server down",
        {"refresh": f"{figures['down_ms']:.2f} ms median of {down_runs} (one refused connection)"},
    )
    return figures


if __name__ == "__main__":
    main()
