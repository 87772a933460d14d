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

Every `FULL_EVERY` seconds each view and reservation list is asked again regardless: an ack given through another
process on the same database (a stdio server), or a reservation released by the server's
optional background cleanup (`FILE_RESERVATIONS_CLEANUP_ENABLED`), shows within that time.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime

from gt_mcp_tmux.model import Reservation

#: The longest a reused count goes without being asked again (seconds).
FULL_EVERY = 120.0
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


@dataclass(slots=True)
class Memo:
    top_id: int  # newest message id the feed showed
    calls: dict[str, int] | None  # the server's tool call counts, None when not offered
    at: datetime | None  # the server's clock when it counted them
    full_at: float  # time.monotonic() of the last refresh that asked every view
    agents: dict[tuple[str, str], Seen] = field(default_factory=dict)
    #: Each project's unreleased reservations as last read (by slug, with its `created_at`).
    held: dict[tuple[str, str], list[Reservation]] = field(default_factory=dict)


_LOCK = threading.Lock()
_MEMOS: dict[str, Memo] = {}


def recall(url: str) -> Memo | None:
    with _LOCK:
        return _MEMOS.get(url)


def remember(url: str, memo: Memo) -> None:
    with _LOCK:
        _MEMOS[url] = memo


def forget(url: str | None = None) -> None:
    """Drop what was kept for `url` (every server when None): the next refresh asks every view."""
    with _LOCK:
        if url is None:
            _MEMOS.clear()
        else:
            _MEMOS.pop(url.rstrip("/"), None)


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
