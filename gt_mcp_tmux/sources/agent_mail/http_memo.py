"""What one HTTP refresh leaves for the next, per server: the urgent and ack counts it was given,
and the marks they were taken at, so that the next refresh asks a view again only where the
number may have changed. A reused number is the server's own, as of this refresh, never a guess:

- **urgent unread** only changes when the agent gets a message (its name among the recipients of
  a message newer than the last refresh's newest: the message feed is read first) or reads one
  (then its `unread_count` drops, whoever marked it read). So with no new message and the same
  unread count it is the same, and a 0 stays 0 while no message comes.
- **acks pending** grow only with a new message, so a 0 stays 0 while no message comes; they drop
  only through `acknowledge_message` (it sets `ack_ts`; the agent's directory entry does not
  change). The server counts its tool calls (`resource://tooling/metrics`) and keeps the last 4,096
  with their agent (`resource://tooling/recent/<seconds>`): when its acknowledge count has not
  moved, no ack count has; when it has, the agents named in those calls are asked again. A drop
  in any count (the server restarted), a log that cannot account for every new call, or a server
  without these resources: every nonzero ack count is asked again.

- **reservations** change only through the reservation tools, or the expiry sweep that reading
  them (`resource://file_reservations`) or sending mail (with enforcement on) runs, each in the
  project the call names: a project no logged call of a tool outside `QUIET_TOOLS` named since
  keeps the last refresh's list, and not reading it again spares the server that sweep (a
  write). A log that cannot account for every call: every project is read. Expiry is applied by
  the reader either way.

No count is reused once it was asked `FULL_EVERY` seconds ago, and every reservation list is
read again that often: an ack given through another process on the same database (a stdio
server), or a reservation released by the server's optional background cleanup
(`FILE_RESERVATIONS_CLEANUP_ENABLED`), shows within that time. Counts are asked again a little
before (`RECHECK_BEFORE`), oldest first, with the time a refresh has left, so they seldom fall
due all at once.

**A first refresh counts for a while** (`http_reader.COUNT_FOR`): a view not begun by then is
"still being counted" (withheld, never 0), kept here as not known, and asked first next time.

**The memo outlives the process**: it is also kept in the user's private runtime folder (one
0600 file per server URL, `agent-mail-memo-<hash>.json`; no token, only what a refresh showed),
so a fresh `gt-mcp mail` or a restarted collector makes an incremental refresh too, validated
against the server's tool log exactly as within one process (a restarted server, a log that ran
over or a memo older than `FULL_EVERY` asks again).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import threading
from dataclasses import dataclass, field, fields
from datetime import datetime
from pathlib import Path
from typing import Any

from gt_mcp_tmux.model import Reservation
from gt_mcp_tmux.private_files import open_regular, runtime_dir, write_private

#: The longest a reused count goes without being asked again (seconds).
FULL_EVERY = 120.0
#: Counts this close to FULL_EVERY are asked again when a refresh has time left (oldest first),
#: so that they are rarely all due at once and never shown as "still being counted" for age.
RECHECK_BEFORE = 30.0
#: The server's log is not asked about a longer time than this (a memo of yesterday: ask all).
LOG_WINDOW_MAX = 3600
#: The tool that sets `ack_ts` (directly or through `call_extended_tool`, which counts it too).
ACK_TOOL = "acknowledge_message"
#: The server keeps this many recent tool calls; a window this full may have lost some.
RECENT_KEPT = 4096
#: Tools that neither change reservations nor run the expiry sweep (both servers' source: only
#: the reservation tools, their macros, `send_message`/`reply_message` with enforcement on, and
#: the reservations resource sweep).
QUIET_TOOLS = frozenset(
    {
        "health_check",
        "ensure_project",
        "register_agent",
        "create_agent_identity",
        "whois",
        "fetch_inbox",
        "mark_message_read",
        "acknowledge_message",
        "search_messages",
        "summarize_thread",
        "summarize_threads",
        "list_contacts",
        "request_contact",
        "respond_contact",
        "set_contact_policy",
    }
)


@dataclass(frozen=True, slots=True)
class Seen:
    """One agent's numbers at the last refresh (None: not known then). `ident`: its id, when it
    registered and when its project was made (another server on the same URL is not it)."""

    ident: str
    unread: int
    urgent: int | None
    acks: int | None
    #: time.time() when the server gave each count (a reused count keeps its first one).
    urgent_at: float = 0.0
    acks_at: float = 0.0


@dataclass(slots=True)
class Memo:
    top_id: int  # newest message id the feed showed
    calls: dict[str, int] | None  # the server's tool call counts, None when not offered
    at: datetime | None  # the server's clock when it counted them
    full_at: float  # time.time() of the last refresh that read every reservation list
    agents: dict[tuple[str, str], Seen] = field(default_factory=dict)
    #: Each project's unreleased reservations as last read (by slug, with its `created_at`).
    held: dict[tuple[str, str], list[Reservation]] = field(default_factory=dict)


_LOCK = threading.Lock()
_MEMOS: dict[str, Memo] = {}
#: The text last written (or read) per memo file: an unchanged memo is not written again.
_WRITTEN: dict[Path, str] = {}
#: Keep memos on disk too (False: in this process's memory only).
PERSIST = True
_PREFIX = "agent-mail-memo-"
#: A memo file larger than this is not read: it holds less than one refresh may read (4 MB).
MAX_FILE_BYTES = 4 * 1024 * 1024


def memo_path(url: str) -> Path | None:
    """The memo file of `url` in the private runtime folder; None when there is none to use."""
    try:
        folder = runtime_dir()
    except OSError:
        return None
    key = hashlib.sha256(url.rstrip("/").encode()).hexdigest()[:16]
    return folder / f"{_PREFIX}{key}.json"


def recall(url: str) -> Memo | None:
    """The memo of `url`: this process's, else the one on disk (another process's refresh)."""
    with _LOCK:
        memo = _MEMOS.get(url)
    if memo is not None or not PERSIST:
        return memo
    loaded = _load(url)
    if loaded is not None:
        with _LOCK:
            _MEMOS.setdefault(url, loaded)
    return loaded


def remember(url: str, memo: Memo) -> None:
    with _LOCK:
        _MEMOS[url] = memo
    if PERSIST:
        _save(url, memo)


def forget(url: str | None = None, *, on_disk: bool = True) -> None:
    """Drop what was kept for `url` (every server when None), on disk too: the next refresh
    asks every view. `on_disk=False`: only this process's memory (as a new process starts)."""
    with _LOCK:
        if url is None:
            _MEMOS.clear()
        else:
            _MEMOS.pop(url.rstrip("/"), None)
        _WRITTEN.clear()
    if not on_disk:
        return
    path = memo_path(url or "")
    if path is None:
        return
    doomed = path.parent.glob(f"{_PREFIX}*.json") if url is None else [path]
    for each in doomed:
        with contextlib.suppress(OSError):
            each.unlink()


def _save(url: str, memo: Memo) -> None:
    path = memo_path(url)
    if path is None:
        return
    text = json.dumps(
        {
            "url": url,
            "top_id": memo.top_id,
            "calls": memo.calls,
            "at": memo.at.isoformat() if memo.at is not None else None,
            "full_at": memo.full_at,
            "agents": [
                [slug, name, *(getattr(seen, f) for f in _SEEN_FIELDS)]
                for (slug, name), seen in memo.agents.items()
            ],
            "held": [
                [slug, made, [[getattr(r, f) for f in _HELD_FIELDS] for r in held]]
                for (slug, made), held in memo.held.items()
            ],
        },
        separators=(",", ":"),
    )
    if _WRITTEN.get(path) == text:
        return
    try:
        write_private(path, text)
    except OSError:
        return  # no memo on disk: the next process asks again, nothing worse
    _WRITTEN[path] = text


def _load(url: str) -> Memo | None:
    """The memo on disk for `url`, or None when there is none or it is not one we wrote."""
    path = memo_path(url)
    if path is None:
        return None
    try:
        with open_regular(path) as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)
        if len(raw) > MAX_FILE_BYTES or path.stat().st_mode & 0o077:
            return None
        data = json.loads(raw)
        memo = _decode(data) if isinstance(data, dict) and data.get("url") == url else None
    except (OSError, ValueError, TypeError, KeyError):
        return None
    if memo is not None:
        _WRITTEN[path] = raw.decode("utf-8", "replace")
    return memo


_SEEN_FIELDS = tuple(f.name for f in fields(Seen))
_HELD_FIELDS = tuple(f.name for f in fields(Reservation))
_MAYBE_TEXT: tuple[type, ...] = (str, type(None))
_HELD_TYPES: tuple[type | tuple[type, ...], ...] = (
    int,
    str,
    str,
    bool,
    str,
    _MAYBE_TEXT,
    _MAYBE_TEXT,
)


def _checked(item: list[Any]) -> list[Any]:
    """A reservation's fields as written, each of its type (else TypeError)."""
    if len(item) != len(_HELD_TYPES) or not all(
        isinstance(value, kind) for value, kind in zip(item, _HELD_TYPES, strict=True)
    ):
        raise TypeError("reservation")
    return item


def _decode(data: dict[str, Any]) -> Memo:
    """A memo from its file's JSON (any field of the wrong type raises TypeError or KeyError)."""
    calls = data["calls"]
    if calls is not None and not all(
        isinstance(k, str) and type(v) is int for k, v in dict(calls).items()
    ):
        raise TypeError("calls")
    at = datetime.fromisoformat(data["at"]) if data["at"] is not None else None
    if at is not None and at.tzinfo is None:
        raise ValueError("at")  # the server's clock as read: always with its zone
    agents = {}
    for slug, name, ident, unread, urgent, acks, urgent_at, acks_at in data["agents"]:
        if type(unread) is not int or any(
            n is not None and type(n) is not int for n in (urgent, acks)
        ):
            raise TypeError("count")
        seen = Seen(str(ident), unread, urgent, acks, float(urgent_at), float(acks_at))
        agents[(str(slug), str(name))] = seen
    held = {
        (str(slug), str(made)): [Reservation(*_checked(item)) for item in items]
        for slug, made, items in data["held"]
    }
    return Memo(int(data["top_id"]), calls, at, float(data["full_at"]), agents, held)


def restarted(before: dict[str, int], now: dict[str, int]) -> bool:
    """A tool count went down: the server started again (its counts live in memory)."""
    return any(now.get(name, 0) < count for name, count in before.items())


def reuse_urgent(seen: Seen | None, unread: int, got_mail: bool) -> int | None:
    """The urgent count still true now, or None (ask the view). `seen`: the same agent's."""
    if unread == 0:
        return 0  # no unread mail, so no urgent unread mail
    if seen is None or got_mail or seen.urgent is None:
        return None
    if seen.urgent == 0 or seen.unread == unread:
        return seen.urgent
    return None


def reuse_acks(seen: Seen | None, got_mail: bool, acked: set[str] | None, name: str) -> int | None:
    """The ack count still true now, or None. `acked`: lower-cased names of the agents that
    acknowledged since the last refresh, None when that is not known."""
    if seen is None or got_mail or seen.acks is None:
        return None
    if seen.acks == 0:
        return 0
    if acked is not None and name.lower() not in acked:
        return seen.acks
    return None
