"""Read MCP Agent Mail straight from its SQLite database: read-only, bounded, about a millisecond.

The database is opened `mode=ro` with a busy timeout (the server keeps it in WAL mode, so a reader
never blocks it), and a progress handler aborts any query still running at the deadline. The
variant is told by `typeof()` of a timestamp (INTEGER microseconds: the Rust port) and the
`agents` columns (`is_active`: the PyPI fork; `retired_at` or neither, with TEXT timestamps:
upstream, whose 0.2.1 has no way to retire an agent). The numbers are the ones the
server's own resources give: see `agent_mail_http.py`.
"""

from __future__ import annotations

import os
import sqlite3
import time
import urllib.parse
from collections import defaultdict

from gt_mcp_tmux.model import MailAgent, MailMessage, MailProject, Reservation
from gt_mcp_tmux.sources.agent_mail.reading import (
    URGENT,
    VARIANT_PYPI,
    VARIANT_RUST,
    VARIANT_UPSTREAM,
    MailReadError,
    MailReading,
    iso_utc,
)

_URGENT_SQL = ", ".join(f"'{word}'" for word in URGENT)


def detect_variant(conn: sqlite3.Connection) -> str | None:
    """`pypi`, `upstream` or `rust` from the schema and timestamp type; None if not Agent Mail."""
    columns = {row[1] for row in conn.execute("PRAGMA table_info(agents)")}
    if not columns:
        return None
    row = conn.execute("SELECT typeof(created_at) FROM projects LIMIT 1").fetchone()
    if row is not None and row[0] == "integer":
        return VARIANT_RUST
    if "is_active" in columns:
        return VARIANT_PYPI
    if "retired_at" in columns or row is None or row[0] == "text":
        return VARIANT_UPSTREAM  # >= 0.3 has `retired_at`; 0.2.1 neither column, TEXT timestamps
    return VARIANT_RUST


def _active_agents_clause(conn: sqlite3.Connection) -> str:
    columns = {row[1] for row in conn.execute("PRAGMA table_info(agents)")}
    if "is_active" in columns:
        return "a.is_active = 1"
    if "retired_at" in columns:
        return "a.retired_at IS NULL"
    return "1"


def _unreleased_clause(conn: sqlite3.Connection) -> str:
    """Not released. The Rust port's older databases record releases only in a
    `file_reservation_releases` table, and may leave `released_ts` as 0, a negative number or the
    text '0', 'null' or 'none': all of those are unreleased there."""
    clause = (
        "(f.released_ts IS NULL OR (typeof(f.released_ts) IN ('integer', 'real')"
        " AND f.released_ts <= 0) OR lower(trim(CAST(f.released_ts AS TEXT)))"
        " IN ('0', 'null', 'none', ''))"
    )
    tables = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'file_reservation_releases'"
    ).fetchone()
    if tables:
        columns = {row[1] for row in conn.execute("PRAGMA table_info(file_reservation_releases)")}
        key = "reservation_id" if "reservation_id" in columns else None
        if key:
            clause += f" AND f.id NOT IN (SELECT {key} FROM file_reservation_releases)"
    return clause


class SqliteMailReader:
    """One read of the database at `path` (see the module docstring)."""

    def __init__(self, path: str, *, busy_timeout: float = 1.0, recent_limit: int = 20) -> None:
        self.path = os.path.abspath(os.path.expanduser(path))
        self.busy_timeout = busy_timeout
        self.recent_limit = recent_limit

    def __repr__(self) -> str:
        return f"SqliteMailReader({self.path!r})"

    def _connect(self, deadline: float) -> sqlite3.Connection:
        if not os.path.isfile(self.path):
            raise MailReadError("error", f"Agent Mail database not found: {self.path}")
        uri = "file:" + urllib.parse.quote(self.path) + "?mode=ro"
        wait = max(0.0, min(self.busy_timeout, deadline - time.monotonic()))
        try:
            conn = sqlite3.connect(uri, uri=True, timeout=wait)
        except sqlite3.Error as err:
            raise MailReadError("error", f"cannot open {self.path}: {err}") from None
        conn.set_progress_handler(lambda: 1 if time.monotonic() > deadline else 0, 2000)
        return conn

    def read(self, deadline: float) -> MailReading:
        conn = self._connect(deadline)
        try:
            return self._read(conn)
        except sqlite3.OperationalError as err:
            if "interrupted" in str(err):
                raise MailReadError("error", f"reading {self.path} timed out") from None
            raise MailReadError("error", f"reading {self.path}: {err}") from None
        except sqlite3.Error as err:
            raise MailReadError("error", f"reading {self.path}: {err}") from None
        finally:
            conn.close()

    def _read(self, conn: sqlite3.Connection) -> MailReading:
        variant = detect_variant(conn)
        if variant is None:
            raise MailReadError("error", f"{self.path} is not an Agent Mail database")
        active = _active_agents_clause(conn)
        unread = dict(
            conn.execute(
                "SELECT agent_id, COUNT(*) FROM message_recipients WHERE read_ts IS NULL"
                " GROUP BY agent_id"
            ).fetchall()
        )
        urgent = dict(
            conn.execute(
                "SELECT r.agent_id, COUNT(*) FROM message_recipients r"
                " JOIN messages m ON m.id = r.message_id JOIN agents a ON a.id = r.agent_id"
                f" WHERE r.read_ts IS NULL AND m.importance IN ({_URGENT_SQL})"
                " AND m.project_id = a.project_id GROUP BY r.agent_id"
            ).fetchall()
        )
        acks = dict(
            conn.execute(
                "SELECT r.agent_id, COUNT(*) FROM message_recipients r"
                " JOIN messages m ON m.id = r.message_id JOIN agents a ON a.id = r.agent_id"
                " WHERE m.ack_required = 1 AND r.ack_ts IS NULL"
                " AND m.project_id = a.project_id GROUP BY r.agent_id"
            ).fetchall()
        )
        agents: dict[int, list[MailAgent]] = defaultdict(list)
        columns = {row[1] for row in conn.execute("PRAGMA table_info(agents)")}
        described = "a.task_description" if "task_description" in columns else "''"
        for agent_id, project_id, name, program, model, last_active, task in conn.execute(
            "SELECT a.id, a.project_id, a.name, a.program, a.model, a.last_active_ts,"
            f" {described} FROM agents a WHERE {active}"
        ):
            agents[project_id].append(
                MailAgent(
                    name=str(name),
                    program=str(program or ""),
                    model=str(model or ""),
                    unread=unread.get(agent_id, 0),
                    urgent_unread=urgent.get(agent_id, 0),
                    acks_pending=acks.get(agent_id, 0),
                    last_active=iso_utc(last_active),
                    task_description=str(task or "")[:200],
                )
            )
        held: dict[int, list[Reservation]] = defaultdict(list)
        for rid, project_id, agent, pattern, exclusive, reason, created, expires in conn.execute(
            "SELECT f.id, f.project_id, a.name, f.path_pattern, f.exclusive, f.reason,"
            " f.created_ts, f.expires_ts FROM file_reservations f"
            f" JOIN agents a ON a.id = f.agent_id WHERE {_unreleased_clause(conn)}"
        ):
            held[project_id].append(
                Reservation(
                    id=int(rid),
                    agent=str(agent),
                    path_pattern=str(pattern),
                    exclusive=bool(exclusive),
                    reason=str(reason or ""),
                    created_ts=iso_utc(created),
                    expires_ts=iso_utc(expires),
                )
            )
        projects = [
            MailProject(
                slug=str(slug),
                human_key=str(human_key),
                agents=agents.get(project_id, []),
                reservations=held.get(project_id, []),
            )
            for project_id, slug, human_key in conn.execute(
                "SELECT id, slug, human_key FROM projects ORDER BY id"
            )
        ]
        return MailReading(variant=variant, projects=projects, messages=self._recent(conn))

    def _recent(self, conn: sqlite3.Connection) -> list[MailMessage]:
        """The newest messages across projects, as `/mail/api/unified-inbox` lists them."""
        if self.recent_limit <= 0:
            return []
        rows = conn.execute(
            "SELECT m.id, m.subject, m.created_ts, m.importance, s.name, p.slug FROM messages m"
            " JOIN agents s ON s.id = m.sender_id JOIN projects p ON p.id = m.project_id"
            " ORDER BY m.created_ts DESC, m.id DESC LIMIT ?",
            (int(self.recent_limit),),
        ).fetchall()
        if not rows:
            return []
        ids = [row[0] for row in rows]
        names: dict[int, set[str]] = defaultdict(set)
        marks = ",".join("?" * len(ids))
        for message_id, name in conn.execute(
            "SELECT r.message_id, a.name FROM message_recipients r"
            f" JOIN agents a ON a.id = r.agent_id WHERE r.message_id IN ({marks})",
            ids,
        ):
            names[message_id].add(str(name))
        return [
            MailMessage(
                id=int(mid),
                project=str(slug),
                subject=str(subject or "(No subject)"),
                sender=str(sender),
                recipients=sorted(names.get(mid, set())),
                importance=str(importance or "normal"),
                created_ts=iso_utc(created),
            )
            for mid, subject, created, importance, sender, slug in rows
        ]
