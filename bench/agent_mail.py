"""One Agent Mail refresh (`read_agent_mail`) over HTTP and over SQLite, on big real servers.

For each real server (the PyPI fork 0.1.0 and upstream 0.2.1, as the tests install them), the
server creates its database; 20 projects of 10 agents (200), 2,000 reservations (100 a project,
70% exclusive, one `src/modN/*` per 10 files) and 1,000 messages (50 a project, each to 2 agents
of it) are then written into it directly (through the server's tools this would take minutes),
and the server is started again on it. Two data sets:

- **working fleet**: mail mostly read (70% of deliveries), importance 84% normal, 6% low, 7%
  high, 3% urgent, 10% asking for an ack, most of those acknowledged once read;
- **worst case**: as before this bench had it, 60% unread, 22% high or urgent, 20% asking for an
  ack, none acknowledged; and on top every agent has an unread urgent message asking for an ack.

Both refreshes read the same database and must give the same numbers; the SQLite read is the
baseline. HTTP is measured as a user meets it: the **first refresh** (nothing kept from an earlier
one: the first `gt-mcp mail`, a collector's first cycle), which shows every agent and its exact
unread count and counts urgent and acks for `COUNT_FOR` seconds, the rest marked "still being
counted"; the **next refreshes** until every count is known (then equal to SQLite); the next with
nothing changed; the next after a working fleet's mail (sent, read, acknowledged through the
server's tools; equal to the SQLite read of the same moment); and a **new process** (the memo
read from the runtime folder, as a fresh `gt-mcp mail` after the collector). Each with its
requests, views and reservation reads, and how busy the server process was (its CPU time over
the refresh's wall time). For comparison, a complete first read in one go (no time limit for
views) one request at a time, and as before this change (4 at once). Also a refresh when the
server is down.

    python -m bench agent_mail   # both servers, both data sets, about 10 minutes
"""

from __future__ import annotations

import math
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
from gt_mcp_tmux.sources.agent_mail.reader import forget_kept, read_agent_mail
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


@dataclass(frozen=True)
class Mix:
    """How the seeded mail looks (see the module docstring)."""

    name: str
    read: float  # share of deliveries read
    importance: tuple[str, ...]  # drawn from uniformly
    ack: float  # share of messages asking for an ack
    acked: float  # share of the read ack-asking deliveries acknowledged
    urgent_ack_each: bool  # every agent gets one more: unread, urgent, asking for an ack


WORKING = Mix(
    "working fleet",
    read=0.7,
    importance=("normal",) * 84 + ("low",) * 6 + ("high",) * 7 + ("urgent",) * 3,
    ack=0.1,
    acked=0.8,
    urgent_ack_each=False,
)
WORST = Mix(
    "worst case",
    read=0.4,
    importance=("normal",) * 6 + ("low", "high", "urgent"),
    ack=0.2,
    acked=0.0,
    urgent_ack_each=True,
)


def seed(db: Path, base: str, mix: Mix = WORST) -> None:
    """Fill a server-created database (server stopped) with the benchmark's fleet."""
    rng = random.Random(4)
    now = datetime.now(timezone.utc)
    names = [f"{a}{n}" for a in ADJECTIVES for n in NOUNS]
    rng.shuffle(names)
    conn = sqlite3.connect(db)
    columns = {row[1] for row in conn.execute("PRAGMA table_info(agents)")}
    fork = "is_active" in columns  # upstream 0.2.1 has neither column
    extra, extra_values = (", is_active, deleted_ts", ", 1, NULL") if fork else ("", "")
    message_id = 0

    def message(project: int, sender: int, subject: str, importance: str, ack: bool) -> int:
        nonlocal message_id
        message_id += 1
        conn.execute(
            "INSERT INTO messages (id, project_id, sender_id, thread_id, subject, body_md,"
            " importance, ack_required, created_ts, attachments)"
            " VALUES (?, ?, ?, NULL, ?, 'body', ?, ?, ?, '[]')",
            (
                message_id,
                project,
                sender,
                subject,
                importance,
                int(ack),
                _ts(now - timedelta(seconds=rng.randint(1, 86400))),
            ),
        )
        return message_id

    def deliver(message: int, recipient: int, was_read: bool, acked: bool) -> None:
        conn.execute(
            "INSERT INTO message_recipients (message_id, agent_id, kind, read_ts, ack_ts)"
            " VALUES (?, ?, 'to', ?, ?)",
            (message, recipient, _ts(now) if was_read else None, _ts(now) if acked else None),
        )

    with conn:
        conn.execute("DELETE FROM projects")
        agent_id = reservation_id = 0
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
            extra_mail = len(members) if mix.urgent_ack_each else 0
            for m in range(MESSAGES_PER_PROJECT - extra_mail):
                sender = rng.choice(members)
                ack = rng.random() < mix.ack
                sent = message(
                    p, sender, f"message {m} of rig{p:02d}", rng.choice(mix.importance), ack
                )
                for recipient in rng.sample([a for a in members if a != sender], 2):
                    was_read = rng.random() < mix.read
                    deliver(
                        sent, recipient, was_read, ack and was_read and rng.random() < mix.acked
                    )
            for i in range(extra_mail):  # the worst case: one each, urgent, unread, ack asked
                to = members[i]
                sent = message(p, members[i - 1], f"stop, {i} of rig{p:02d}", "urgent", True)
                deliver(sent, to, was_read=False, acked=False)
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
        forget_kept()  # an unchanged database is not read again: time a real read
        started = time.perf_counter()
        last = read_agent_mail(settings, timeout=120)
        times.append((time.perf_counter() - started) * 1000)
    assert last is not None
    return times, last


def _comparable(mail: AgentMail) -> object:
    data = to_json(mail)
    del data["via"], data["latency_ms"]
    return data


def _differs(http: AgentMail, sqlite: AgentMail) -> str:
    """Where two readings differ first, said in one line."""
    a, b = _comparable(http), _comparable(sqlite)
    assert isinstance(a, dict) and isinstance(b, dict)
    for key in a:
        if a[key] != b.get(key):
            return f"{key}: HTTP {str(a[key])[:200]} / SQLite {str(b.get(key))[:200]}"
    return "?"


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

    @property
    def counting(self) -> int:
        """Counts (urgent, acks) this refresh left "still being counted"."""
        return sum(len(a.withheld) for p in self.reading.projects for a in p.agents)


def _one(
    url: str,
    pid: int,
    *,
    cold: bool,
    parallel: int | None = None,
    count_for: float | None = None,
    new_process: bool = False,
) -> Refresh:
    if cold:
        http_memo.forget()
    elif new_process:
        http_memo.forget(url, on_disk=False)  # what a new process has: the memo file only
    reader = HttpMailReader(url, call_timeout=60, parallel=parallel, count_for=count_for)
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
    counting = f", {refresh.counting} counts still being counted" if refresh.counting else ""
    return (
        f"{refresh.ms:.0f} ms, {refresh.requests} requests ({refresh.views} views,"
        f" {refresh.reservation_reads} reservation reads), server busy"
        f" {refresh.server_cpu_ms / refresh.ms:.0%} of it{counting}"
    )


GOAL_MS = 5000.0


def _goal(first: Refresh, complete: Refresh) -> str:
    """How the first refresh and a complete read stand against the goal, and why."""
    shown = "met" if first.ms < GOAL_MS else f"missed by {first.ms - GOAL_MS:.0f} ms"
    each = complete.ms / max(complete.requests, 1)
    whole = (
        "a complete read too"
        if complete.ms < GOAL_MS
        else f"a complete read misses it by {complete.ms - GOAL_MS:.0f} ms"
        f" ({complete.ms / GOAL_MS:.1f}x): {complete.views} views, one per agent and count,"
        f" at {each:.0f} ms a request, the server's own cost (no read gives more than one)"
    )
    return f"first refresh {shown} (its {first.counting} counts still being counted); {whole}"


def _median(refreshes: list[Refresh]) -> Refresh:
    return sorted(refreshes, key=lambda r: r.ms)[len(refreshes) // 2]


def _equal_to_sqlite(server: AgentMailServer, refresh: Refresh, what: str) -> None:
    truth = SqliteMailReader(str(server.db_path)).read(time.monotonic() + 30)
    if _numbers(refresh.reading) != _numbers(truth):
        raise SystemExit(f"{server.variant}: {what} disagrees with SQLite")


def one_variant(variant: str, mix: Mix, http_runs: int, sqlite_runs: int) -> dict[str, float]:
    python = variant_python(variant)
    with tempfile.TemporaryDirectory() as tmp:
        server = AgentMailServer(python, Path(tmp) / "am", variant=variant).start()
        server.tool("ensure_project", human_key=f"{tmp}/schema")  # the server makes the schema
        server.stop()
        seed(server.db_path, f"{tmp}/town", mix)
        server.start()
        assert server.process is not None
        pid = server.process.pid
        try:
            over_sqlite = Settings(agent_mail_url=server.url, agent_mail_db=str(server.db_path))
            complete = _one(server.url, pid, cold=True, count_for=math.inf)  # warms the server
            sqlite_times, sqlite_mail = _timed(over_sqlite, sqlite_runs)
            over_http = Settings(agent_mail_url=server.url, agent_mail_db="http")
            http_memo.forget()
            whole = read_agent_mail(over_http, timeout=300)  # as the commands read, in full
            for _ in range(12):  # until every count is known (a loaded machine needs more)
                if not whole.withheld:
                    break
                whole = read_agent_mail(over_http, timeout=300)
            if whole.state != "ok" or _comparable(whole) != _comparable(sqlite_mail):
                raise SystemExit(
                    f"{variant}: HTTP and SQLite disagree: {whole.error or _differs(whole, sqlite_mail)}"
                )
            _equal_to_sqlite(server, complete, "a complete first read")
            complete = _one(server.url, pid, cold=True, count_for=math.inf)
            before = _one(server.url, pid, cold=True, parallel=PARALLEL, count_for=math.inf)
            firsts = [_one(server.url, pid, cold=True) for _ in range(http_runs)]
            follow: list[Refresh] = []
            while len(follow) < 5 and (follow or firsts)[-1].counting:
                follow.append(_one(server.url, pid, cold=False))
            _equal_to_sqlite(server, follow[-1] if follow else firsts[-1], "the counted refresh")
            quiet = [_one(server.url, pid, cold=False) for _ in range(http_runs)]
            fresh = _one(server.url, pid, cold=False, new_process=True)
            _equal_to_sqlite(server, fresh, "a new process's refresh")
            busy = []
            for _ in range(http_runs):
                activity(server)
                busy.append(_one(server.url, pid, cold=False))
                _equal_to_sqlite(server, busy[-1], "the incremental refresh")
        finally:
            server.stop()
    sqlite_ms = median(sqlite_times)
    first = _median(firsts)
    agents = sum(len(p.agents) for p in whole.projects)
    key = f"{variant}_{'worst' if mix is WORST else 'working'}"
    last = firsts[-1]  # the next refreshes go on from the last first refresh
    to_complete = sum(r.ms for r in [last, *follow])
    report(
        f"agent mail refresh (one real server: {variant}; {mix.name})",
        {
            "fleet": f"{len(whole.projects)} projects, {agents} agents, "
            f"{whole.reservations_active} active reservations, {len(whole.conflicts)} conflicts,"
            f" {whole.unread_total} unread ({whole.urgent_unread} urgent),"
            f" {whole.acks_pending} acks pending",
            "over SQLite (baseline)": f"{sqlite_ms:.1f} ms median of {sqlite_runs}",
            "over HTTP, first refresh": f"{_row(first)} (median of {http_runs};"
            f" {first.ms / sqlite_ms:.0f}x SQLite)",
            "  then until all counted": f"after the last first refresh ({last.counting} left):"
            f" {', '.join(_row(r) for r in follow) or 'nothing left'}",
            "  first to all counted": f"{to_complete:.0f} ms in {len(follow) + 1} refreshes",
            "complete in one go": f"{_row(complete)} (one request at a time)",
            "  against the 5 s goal": _goal(first, complete),
            "  as before (4 at once)": f"{_row(before)}, {before.ms / complete.ms:.2f}x",
            "over HTTP, next, unchanged": f"{_row(_median(quiet))} (median of {http_runs})",
            "a new process (memo file)": f"{_row(fresh)}",
            "over HTTP, next, after mail": f"{_row(_median(busy))} (median of {http_runs};"
            " between refreshes 5 messages sent, 3 read, 2 acknowledged; equal to SQLite)",
        },
    )
    return {
        f"{key}_first_ms": first.ms,
        f"{key}_first_requests": float(first.requests),
        f"{key}_first_counting": float(first.counting),
        f"{key}_all_counted_ms": to_complete,
        f"{key}_complete_ms": complete.ms,
        f"{key}_complete_requests": float(complete.requests),
        f"{key}_before_ms": before.ms,
        f"{key}_sqlite_ms": sqlite_ms,
        f"{key}_next_ms": _median(quiet).ms,
        f"{key}_next_requests": float(_median(quiet).requests),
        f"{key}_new_process_ms": fresh.ms,
        f"{key}_new_process_requests": float(fresh.requests),
        f"{key}_busy_ms": _median(busy).ms,
        f"{key}_busy_requests": float(_median(busy).requests),
    }


def main(
    http_runs: int = 3,
    sqlite_runs: int = 30,
    down_runs: int = 30,
    variants: tuple[str, ...] = VARIANTS,
    mixes: tuple[Mix, ...] = (WORKING, WORST),
) -> dict[str, float]:
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as run:  # memo files of our own, not the user's
        os.environ["XDG_RUNTIME_DIR"] = run
        for variant in variants:
            for mix in mixes:
                figures.update(one_variant(variant, mix, http_runs, sqlite_runs))
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
