"""An incremental tail of `<town>/.events.jsonl`: only the bytes appended since the last look.

The log can grow to gigabytes, so it is never read whole: the first look starts a small window
before the end; later looks read from the saved offset. A partial last line is left for the next
look. Gas Town's daemon also *rewrites* the log (every hour it writes the surviving lines to
`.events.jsonl.tmp` and renames it over the log: a new inode holding the same old lines), and a
log can be truncated and grow again between two looks. Either way the log is read again from its
last window, and every line already read (known by its fingerprint) is skipped: nothing is
announced twice and the feed holds each event once. Lines whose time is before the tail started
are history (feed only, never an alert). A line that is not JSON, not UTF-8 or nested too deep is
skipped with a note; the lines around it are kept.
"""

from __future__ import annotations

import json
import stat
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from gt_mcp_tmux.model import Event, SourceError
from gt_mcp_tmux.private_files import open_regular, sha256_hex
from gt_mcp_tmux.sources.gastown.files import parse_rfc3339

#: Bytes read before the end when a log is first opened (or found rewritten and big).
FIRST_WINDOW = 256 * 1024
#: Most bytes read in one look; a bigger burst skips ahead to the last FIRST_WINDOW.
MAX_READ = 4 * 1024 * 1024
#: Events kept for the feed.
FEED_SIZE = 200
#: New events kept for `take_new` when nobody takes them.
MAX_PENDING = 1000
SUMMARY_LIMIT = 200
#: Fingerprints of lines already read, remembered to skip them when the log is rewritten
#: (more than the lines of one FIRST_WINDOW).
SEEN_LIMIT = 4096
#: An event this much older than the tail's start is history, not news (clock and write slack).
HISTORY_SLACK = 5.0
#: How long a note about skipped lines stays on the source.
NOTE_SECONDS = 300.0
#: Bytes before the offset compared on each look to notice a rewrite in place.
_GUARD = 64
_PAYLOAD_VALUE_LIMIT = 200

#: Gas Town's event types (internal/events); other lines are skipped.
KNOWN_TYPES = frozenset(
    [
        "sling",
        "hook",
        "unhook",
        "handoff",
        "done",
        "mail",
        "spawn",
        "kill",
        "nudge",
        "boot",
        "halt",
        "session_start",
        "session_end",
        "session_death",
        "mass_death",
        "patrol_started",
        "patrol_complete",
        "polecat_checked",
        "polecat_nudged",
        "escalation_sent",
        "escalation_acked",
        "escalation_closed",
        "merge_started",
        "merged",
        "merge_failed",
        "merge_skipped",
        "scheduler_enqueue",
        "scheduler_dispatch",
        "scheduler_dispatch_failed",
        "scheduler_close_retry",
        "restart_deferred",
        "merge_complete",
        "queue_processed",
    ]
)

#: How each type reads in the feed: `{key}` comes from the payload. Used only when every key is there.
_TEMPLATES: dict[str, str] = {
    "sling": "sling {bead} -> {target}",
    "hook": "hook {bead}",
    "unhook": "unhook {bead}",
    "handoff": "handoff -> {to_session}",
    "done": "done {bead} ({branch})",
    "mail": "mail -> {to}: {subject}",
    "spawn": "spawn {rig}/{polecat}",
    "kill": "kill {target}",
    "nudge": "nudge -> {target}",
    "session_start": "session start {role}",
    "session_end": "session end {session}",
    "session_death": "session died {session}: {reason}",
    "mass_death": "mass death: {count} sessions in {window}",
    "polecat_nudged": "nudged {target}",
    "escalation_sent": "escalation {target} -> {to}: {reason}",
    "escalation_acked": "escalation {escalation_id} acked by {acked_by}",
    "escalation_closed": "escalation {escalation_id} closed by {closed_by}",
    "merge_started": "merge started {mr} ({worker})",
    "merged": "merged {mr} ({worker})",
    "merge_failed": "merge failed {mr} ({worker}): {reason}",
    "merge_skipped": "merge skipped {mr}: {reason}",
    "scheduler_enqueue": "queued {bead}",
    "scheduler_dispatch": "dispatched {bead} -> {rig}/{polecat}",
    "scheduler_dispatch_failed": "dispatch failed {bead}: {error}",
}
_FALLBACK_KEYS = (
    "bead",
    "target",
    "session",
    "rig",
    "polecat",
    "mr",
    "branch",
    "to",
    "subject",
    "message",
    "reason",
    "error",
)


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def summarize(type_: str, payload: dict[str, Any]) -> str:
    """A short human line for an event, e.g. `sling gt-abc12 -> gastown/furiosa`; text is verbatim."""
    template = _TEMPLATES.get(type_)
    keys = [part.split("}")[0] for part in (template or "").split("{")[1:]]
    if template and all(payload.get(k) not in (None, "") for k in keys):
        line = template.format_map({k: _text(payload[k]) for k in keys})
    else:
        extras = [_text(payload[k]) for k in _FALLBACK_KEYS if payload.get(k) not in (None, "")]
        line = " ".join([type_.replace("_", " "), *extras[:3]])
    line = " ".join(line.split())  # newlines and tabs in payload text become single spaces
    return line if len(line) <= SUMMARY_LIMIT else line[: SUMMARY_LIMIT - 1] + "…"


def _payload_text(payload: dict[str, Any]) -> dict[str, str]:
    """The payload's scalar values as short strings (what views and alert rules read)."""
    found: dict[str, str] = {}
    for key, value in payload.items():
        if isinstance(value, str | int | float | bool) and not isinstance(key, bool):
            found[str(key)[:40]] = str(value)[:_PAYLOAD_VALUE_LIMIT]
    return found


def fingerprint(raw: bytes) -> str:
    """A stable id for one log line (the same line always has the same id)."""
    return sha256_hex(raw.strip())[:16]


def load_json_line(raw: bytes) -> dict[str, Any] | str:
    """One log line as a JSON object, or why it is not one (bad JSON, not UTF-8, nested too
    deep, not an object): Gas Town's and Gas City's logs alike."""
    try:
        data = json.loads(raw)
    except UnicodeDecodeError:
        return "not UTF-8"
    except ValueError:
        return "not JSON"
    except RecursionError:
        return "nested too deep"
    return data if isinstance(data, dict) else "not a JSON object"


def parse_event_line(raw: bytes) -> Event | str | None:
    """One log line as an Event; a reason (str) for a line that is not a JSON object (bad
    JSON, not UTF-8, nested too deep); None for a well-formed line of an unknown type."""
    data = load_json_line(raw)
    if isinstance(data, str):
        return data
    type_ = data.get("type")
    if not isinstance(type_, str) or type_ not in KNOWN_TYPES:
        return None
    ts = data.get("ts")
    actor = data.get("actor")
    visibility = data.get("visibility")
    payload = data.get("payload")
    payload = payload if isinstance(payload, dict) else {}
    try:
        summary = summarize(type_, payload)
    except (RecursionError, ValueError):
        summary = type_.replace("_", " ")
    return Event(
        ts=ts if isinstance(ts, str) else "",
        type=type_,
        actor=actor if isinstance(actor, str) else "",
        summary=summary,
        visibility=visibility if isinstance(visibility, str) and visibility else "feed",
        id=fingerprint(raw),
        payload=_payload_text(payload),
    )


def in_feed(event: Event) -> bool:
    """Gas Town's feed shows `feed` and `both`; `audit` lines are for the record only."""
    return event.visibility != "audit"


class EventTail:
    """Follows one `.events.jsonl`. `poll()` reads what is new; `feed` keeps the last feed events.

    Events found on the first look (the backlog), and any event older than `since` (the moment
    the tail was made), go to `feed` only; newer events appended later also wait in the pending
    list that `take_new()` empties, so alerts fire only for fresh events.
    """

    def __init__(
        self,
        path: Path,
        feed_size: int = FEED_SIZE,
        since: float | None = None,
        parse: Callable[[bytes], Event | str | None] = parse_event_line,
        identical_are_distinct: bool = True,
    ) -> None:
        """`parse`: one line to an Event (Gas City's lines have their own parser);
        `identical_are_distinct`: two identical lines are two events (Gas Town: two deaths in
        one second), else the second is the same event written twice (Gas City's writers)."""
        self.path = path
        self.parse = parse
        self.identical_are_distinct = identical_are_distinct
        self.since = time.time() if since is None else since
        self.feed: deque[Event] = deque(maxlen=feed_size)
        self.bytes_read = 0  # total bytes read from disk, for tests and benchmarks
        self.skipped = 0  # bad lines skipped so far
        self._inode: int | None = None
        self._offset = 0
        self._stamp: tuple[int, int] | None = None  # (size, mtime_ns) at the last look
        self._guard = b""  # the bytes just before `_offset`, to notice a rewrite in place
        self._cut = False  # the offset may sit inside a line (after a jump to a window)
        self._opened = False  # a first look has happened (the backlog is behind us)
        self._pending: list[Event] = []
        #: fingerprint -> how many lines with that text were read (identical lines are kept
        #: apart by their order: the third identical line is the third event)
        self._seen: OrderedDict[str, int] = OrderedDict()
        self._rereading = False  # the next read covers lines read before (a rewritten log)
        self._note: tuple[float, str] | None = None  # (when, what) about skipped lines

    def poll(self) -> SourceError | None:
        """Read what was appended since the last poll. Never raises, never blocks on a FIFO."""
        try:
            st = self.path.stat()
        except FileNotFoundError:
            self._opened = True  # a log created later is all new
            self._inode, self._offset, self._guard, self._stamp = None, 0, b"", None
            return self._current_note()
        except OSError as err:
            return SourceError("events", "error", f"{self.path}: {err.strerror or err}")
        if not stat.S_ISREG(st.st_mode):
            return SourceError("events", "bad_output", f"{self.path} is not a regular file")
        backlog = not self._opened
        stamp = (st.st_size, st.st_mtime_ns)
        if stamp == self._stamp and self._inode == st.st_ino:
            return self._current_note()
        self._stamp = stamp
        try:
            if self._inode != st.st_ino or st.st_size < self._offset or self._rewritten():
                # first look, replaced (new inode), truncated or rewritten in place: read its
                # last window again; lines already read are known by their fingerprints
                self._inode, self._offset, self._cut, self._guard = st.st_ino, 0, False, b""
                self._rereading = bool(self._seen)
                if st.st_size > FIRST_WINDOW:
                    self._offset, self._cut = st.st_size - FIRST_WINDOW, True
            elif st.st_size - self._offset > MAX_READ:
                self._offset, self._cut = st.st_size - FIRST_WINDOW, True
            self._opened = True
            if st.st_size == self._offset:
                return self._current_note()
            events = self._read(st.st_size)
        except OSError as err:
            return SourceError("events", "error", f"{self.path}: {err.strerror or err}")
        for event in events:
            if in_feed(event):
                self.feed.append(event)
            if not backlog and not self._is_history(event):
                self._pending.append(event)
        del self._pending[:-MAX_PENDING]
        return self._current_note()

    def _is_history(self, event: Event) -> bool:
        moment = parse_rfc3339(event.ts)
        return moment is not None and moment < self.since - HISTORY_SLACK

    def _rewritten(self) -> bool:
        """The bytes before the offset are not what they were: the log was rewritten in place."""
        if not self._guard:
            return False
        with open_regular(self.path) as fh:
            fh.seek(self._offset - len(self._guard))
            return fh.read(len(self._guard)) != self._guard

    def _read(self, size: int) -> list[Event]:
        cut = self._cut and self._offset > 0
        base = self._offset - 1 if cut else self._offset  # file position of chunk[0]
        with open_regular(self.path) as fh:
            fh.seek(base)
            chunk = fh.read(min(size - self._offset, MAX_READ) + (1 if cut else 0))
        self.bytes_read += len(chunk)
        if cut:
            # the window may start mid-line: drop through the first newline (the byte before
            # the window counts, so a window that starts on a line start loses nothing)
            newline = chunk.find(b"\n")
            if newline < 0:
                if len(chunk) > MAX_READ:
                    self._offset = base + len(chunk)
                return []
            base += newline + 1
            chunk = chunk[newline + 1 :]
            self._offset, self._cut = base, False
        end = chunk.rfind(b"\n")
        if end < 0:
            if len(chunk) >= MAX_READ:  # one endless line: skip it, resync at the next newline
                self._offset, self._cut = base + len(chunk), True
                self._skip("a line over 4 MB")
            return []
        self._offset = base + end + 1
        self._guard = chunk[max(0, end + 1 - _GUARD) : end + 1]
        rereading, self._rereading = self._rereading, False
        in_pass: dict[str, int] = {}
        found: list[Event] = []
        for raw in chunk[: end + 1].split(b"\n"):
            if not raw.strip():
                continue
            key = fingerprint(raw)
            nth = in_pass[key] = in_pass.get(key, 0) + 1
            before = self._seen.get(key, 0)
            if rereading and nth <= before:
                continue  # read before the log was rewritten: not news, not a feed line again
            count = nth if rereading else before + 1
            self._seen[key] = count
            self._seen.move_to_end(key)
            if len(self._seen) > SEEN_LIMIT:
                self._seen.popitem(last=False)
            if count > 1 and not self.identical_are_distinct:
                continue
            event = self.parse(raw)
            if isinstance(event, str):
                self._skip(event)
            elif event is not None:
                found.append(event if count == 1 else replace(event, id=f"{key}.{count}"))
        return found

    def _skip(self, reason: str) -> None:
        self.skipped += 1
        self._note = (time.time(), reason)

    def _current_note(self) -> SourceError | None:
        """A note about skipped lines, kept for a few minutes after the last one."""
        if self._note is None or time.time() - self._note[0] > NOTE_SECONDS:
            return None
        return SourceError(
            "events",
            "skipped",
            f"{self.skipped} line(s) of {self.path.name} skipped (last: {self._note[1]})",
        )

    def take_new(self) -> list[Event]:
        """Events appended since the last call (not the backlog of the first look)."""
        taken, self._pending = self._pending, []
        return taken
