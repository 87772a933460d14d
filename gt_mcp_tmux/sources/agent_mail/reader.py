"""MCP Agent Mail as one `AgentMail` record: state, counts, reservations, conflicts. Never raises.

`read_agent_mail` probes liveness first (a down server costs one refused connection), then reads
over HTTP, or from SQLite when `agent_mail_db` is set. Both readers give the same records; this
module applies what must not depend on the source: expiry (a reservation is active only while
`released_ts` is NULL *and* `expires_ts` is in the future, because servers expire lazily), the
conflict rule of the variant (`overlap.py`), the totals and a stable order.

Token lookup: `AGENT_MAIL_TOKEN`; for a loopback URL with none set, `HTTP_BEARER_TOKEN`, then the
`HTTP_BEARER_TOKEN=` line of `~/.config/mcp-agent-mail/config.env`. The token goes into the
Authorization header only: never into the record, an error text, a log or argv.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from gt_mcp_tmux.config import Settings
from gt_mcp_tmux.model import AgentMail, Conflict, MailAgent, MailProject, MailState, Reservation
from gt_mcp_tmux.sources.agent_mail.liveness import check_liveness, is_loopback
from gt_mcp_tmux.sources.agent_mail.locate import find_database
from gt_mcp_tmux.sources.agent_mail.overlap import overlapping_pairs, rule_for
from gt_mcp_tmux.sources.agent_mail.reading import MailReader, MailReadError, parse_ts

#: Longest liveness probe: the status line must never wait on a hung server.
LIVENESS_TIMEOUT = 0.5
CONFIG_ENV = Path(".config") / "mcp-agent-mail" / "config.env"


def _config_env_token(home: Path) -> str | None:
    try:
        text = (home / CONFIG_ENV).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    for line in text.splitlines():
        line = line.strip()
        line = line.removeprefix("export ").strip()
        if line.startswith("HTTP_BEARER_TOKEN="):
            value = line.split("=", 1)[1].strip().strip("'\"")
            return value or None
    return None


def resolve_token(
    url: str, environ: Mapping[str, str] | None = None, home: Path | None = None
) -> str | None:
    """The bearer token to send to `url`, or None (see the module docstring for the order)."""
    env = os.environ if environ is None else environ
    token = env.get("AGENT_MAIL_TOKEN", "").strip()
    if token:
        return token
    if not is_loopback(url):
        return None
    token = env.get("HTTP_BEARER_TOKEN", "").strip()
    if token:
        return token
    base = home if home is not None else Path(env.get("HOME") or Path.home())
    return _config_env_token(base)


def is_active(reservation: Reservation, now: datetime) -> bool:
    """Not expired at `now` (the reader already left out released ones)."""
    expires = parse_ts(reservation.expires_ts)
    return expires is None or expires > now


def patterns_overlap(a: str, b: str, variant: str | None = None) -> bool:
    """Whether two reservation patterns overlap by the rule of the `variant` server."""
    return rule_for(variant)(a, b)


#: Most conflicts one refresh lists (a flood of overlapping reservations stays bounded).
MAX_CONFLICTS = 5000


def find_conflicts(
    projects: Sequence[MailProject], variant: str | None = None, limit: int = MAX_CONFLICTS
) -> list[Conflict]:
    """Pairs of active reservations in one project: different agents, >= 1 exclusive, overlapping
    by the server's own rule (see `overlap.py`), at most `limit`.

    A reservation repeating an earlier one (same pattern, agent and exclusiveness) adds no
    conflict of its own: only the first of each is compared, so thousands of copies cost one."""
    found: list[Conflict] = []
    rule = rule_for(variant)
    for project in projects:
        firsts: dict[tuple[str, str, bool], Reservation] = {}
        for reservation in project.reservations:
            key = (reservation.path_pattern, reservation.agent, reservation.exclusive)
            firsts.setdefault(key, reservation)
        held = list(firsts.values())
        for i, j in overlapping_pairs([r.path_pattern for r in held], rule):
            first, second = held[i], held[j]
            if first.agent == second.agent or not (first.exclusive or second.exclusive):
                continue
            if len(found) >= limit:
                return found
            found.append(
                Conflict(
                    project=project.slug,
                    path_a=first.path_pattern,
                    agent_a=first.agent,
                    path_b=second.path_pattern,
                    agent_b=second.agent,
                )
            )
    return found


def summarise(
    projects: Sequence[MailProject], now: datetime, variant: str | None = None
) -> tuple[list[MailProject], list[Conflict], dict[str, int]]:
    """Projects in a stable order with only active reservations, their conflicts and totals."""
    tidy = [
        MailProject(
            slug=project.slug,
            human_key=project.human_key,
            agents=sorted(project.agents, key=lambda a: (a.name.lower(), a.name)),
            reservations=sorted(
                (r for r in project.reservations if is_active(r, now)), key=lambda r: r.id
            ),
        )
        for project in sorted(projects, key=lambda p: p.slug)
    ]
    agents: list[MailAgent] = [agent for project in tidy for agent in project.agents]
    totals = {
        "unread_total": sum(a.unread for a in agents),
        "urgent_unread": sum(a.urgent_unread for a in agents),
        "acks_pending": sum(a.acks_pending for a in agents),
        "reservations_active": sum(len(p.reservations) for p in tidy),
    }
    return tidy, find_conflicts(tidy, variant), totals


def _scrub(text: str, token: str | None) -> str:
    line = " ".join(text.split())[:300]
    return line.replace(token, "***") if token else line


#: url -> (when looked, database found); a local server's database is looked for once a minute.
_LOCATED: dict[str, tuple[float, str | None]] = {}
LOCATE_EVERY = 60.0


def database_for(settings: Settings) -> str | None:
    """The SQLite file to read: the configured one, the local server's (found), or None (HTTP)."""
    configured = settings.agent_mail_db
    if configured == "http":
        return None
    if configured:
        return configured
    url = settings.agent_mail_url.rstrip("/")
    looked, found = _LOCATED.get(url, (0.0, None))
    if time.monotonic() - looked > LOCATE_EVERY or (found and not os.path.exists(found)):
        found = find_database(url)
        _LOCATED[url] = (time.monotonic(), found)
    return found


#: A database read again while its files are unchanged at most this often (a filesystem whose
#: mtimes are coarse could hide a write that kept the sizes).
REREAD_EVERY = 60.0


def database_stamp(path: str) -> tuple[int, ...] | None:
    """What any write to a SQLite database changes: the file's and its WAL's identity, mtime
    and size (the servers run in WAL mode: a commit grows or rewrites the WAL, a checkpoint
    the file). Two stats, no read. None when the file is gone."""
    stamp: list[int] = []
    for name in (path, path + "-wal"):
        try:
            info = os.stat(name)
        except OSError:
            if name == path:
                return None
            stamp += (0, 0, -1)
            continue
        stamp += (info.st_ino, info.st_mtime_ns, info.st_size)
    return tuple(stamp)


@dataclass(frozen=True)
class _Kept:
    """The last good SQLite reading of one server, kept while its database is unchanged."""

    database: str
    stamp: tuple[int, ...]
    mail: AgentMail
    read_at: float
    next_expiry: datetime | None


#: (url, recent_limit) -> its last good SQLite reading: the same `AgentMail` object is given
#: again while its database is unchanged, so everything made from it (alerts, queue items, the
#: cache's text) is kept too; a reading costs ~40 ms of CPU at 2,000 reservations, two stats
#: ~10 us.
_KEPT: dict[tuple[str, int], _Kept] = {}


def forget_kept() -> None:
    """Read every database afresh next time (benchmarks time real reads)."""
    _KEPT.clear()


def _next_expiry(projects: Sequence[MailProject]) -> datetime | None:
    """When the first active reservation expires: the reading is no longer true from then."""
    ends = [parse_ts(r.expires_ts) for p in projects for r in p.reservations]
    return min((end for end in ends if end is not None), default=None)


def _kept_reading(
    key: tuple[str, int], database: str, stamp: tuple[int, ...] | None, now: datetime
) -> AgentMail | None:
    kept = _KEPT.get(key)
    if (
        kept is None
        or stamp is None
        or kept.database != database
        or kept.stamp != stamp
        or time.monotonic() - kept.read_at >= REREAD_EVERY
        or (kept.next_expiry is not None and now >= kept.next_expiry)
    ):
        return None
    return kept.mail


def read_agent_mail(
    settings: Settings,
    timeout: float = 3.0,
    *,
    recent_limit: int = 20,
    environ: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> AgentMail:
    """Agent Mail as last seen, within about `timeout` seconds. Never raises.

    States: `off` (watching disabled), `down` (nothing listening), `auth` (401/403), `error` (with
    the reason), `ok`.
    """
    url = settings.agent_mail_url.rstrip("/")
    if not settings.agent_mail:
        return AgentMail(url=url, state="off")
    started = time.monotonic()
    deadline = started + max(timeout, 0.1)
    token: str | None = None
    try:
        alive = check_liveness(url, timeout=min(LIVENESS_TIMEOUT, max(timeout, 0.05)))
        if not alive.up:
            state: MailState = "down" if alive.refused else "error"
            reason = alive.error or "not alive"
            return AgentMail(
                url=url, state=state, error=reason, latency_ms=round(alive.latency_ms, 2)
            )
        reader: MailReader
        database = database_for(settings)
        moment = now or datetime.now(timezone.utc)
        stamp = database_stamp(database) if database else None  # before the read: a write
        # during it makes the next one read again
        if database:
            same = _kept_reading((url, recent_limit), database, stamp, moment)
            if same is not None:
                return same
            from gt_mcp_tmux.sources.agent_mail.sqlite import SqliteMailReader  # sqlite3: 2 MB

            reader = SqliteMailReader(database, recent_limit=recent_limit)
            via = "sqlite"
        else:
            # only here: its thread pool, logging and hashlib are ~4 MB the SQLite path never needs
            from gt_mcp_tmux.sources.agent_mail.http_reader import HttpMailReader

            token = resolve_token(url, environ)
            reader = HttpMailReader(
                url, token, call_timeout=max(0.1, timeout), recent_limit=recent_limit
            )
            via = "http"
        reading = reader.read(deadline)
        projects, conflicts, totals = summarise(reading.projects, moment, reading.variant)
        mail = AgentMail(
            url=url,
            state="ok",
            variant=reading.variant,
            via=via,
            latency_ms=round(alive.latency_ms, 2),
            conflicts=conflicts,
            projects=projects,
            messages=reading.messages,
            unread_total=totals["unread_total"],
            urgent_unread=totals["urgent_unread"],
            acks_pending=totals["acks_pending"],
            reservations_active=totals["reservations_active"],
            withheld=dict(sorted(reading.withheld.items())),
        )
        if database and stamp is not None:
            _KEPT[url, recent_limit] = _Kept(
                database, stamp, mail, time.monotonic(), _next_expiry(projects)
            )
        return mail
    except MailReadError as err:
        return AgentMail(url=url, state=err.kind, error=_scrub(err.message, token))
    except Exception as err:  # a source never raises into its caller
        return AgentMail(
            url=url, state="error", error=_scrub(f"{type(err).__name__}: {err}", token)
        )
