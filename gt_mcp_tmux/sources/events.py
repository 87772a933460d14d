"""An incremental tail of `<town>/.events.jsonl`: only the bytes appended since the last look.

The log is append-only and can grow to gigabytes, so it is never read whole: the first look starts
a small window before the end; later looks read from the saved offset. A partial last line is left
for the next look; a file that shrank (truncated) or has a new inode (rotated) is read again from
its start (or its last window, if big). Unknown event types and lines that are not JSON are skipped.
"""

from __future__ import annotations

import json
from collections import deque
from pathlib import Path
from typing import Any

from gt_mcp_tmux.model import Event, SourceError

#: Bytes read before the end when a log is first opened (or found rotated and big).
FIRST_WINDOW = 256 * 1024
#: Most bytes read in one look; a bigger burst skips ahead to the last FIRST_WINDOW.
MAX_READ = 4 * 1024 * 1024
#: Events kept for the feed.
FEED_SIZE = 200
#: New events kept for `take_new` when nobody takes them.
MAX_PENDING = 1000
SUMMARY_LIMIT = 200

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
    ]
)

#: How each type reads in the feed: `{key}` comes from the payload. Used only when every key is there.
_TEMPLATES: dict[str, str] = {
    "sling": "sling {bead} -> {target}",
    "hook": "hook {bead}",
    "unhook": "unhook {bead}",
    "handoff": "handoff: {subject}",
    "done": "done {bead} ({branch})",
    "mail": "mail -> {to}: {subject}",
    "spawn": "spawn {rig}/{polecat}",
    "kill": "kill {target}",
    "nudge": "nudge -> {target}",
    "session_start": "session start {session}",
    "session_end": "session end {session}",
    "session_death": "session died {session}: {reason}",
    "mass_death": "mass death: {count} sessions",
    "polecat_nudged": "nudged {polecat}",
    "escalation_sent": "escalation -> {to}: {reason}",
    "escalation_acked": "escalation acked {id}",
    "escalation_closed": "escalation closed {id}",
    "merge_started": "merge started {mr} ({worker})",
    "merged": "merged {mr} ({worker})",
    "merge_failed": "merge failed {mr} ({worker}): {reason}",
    "merge_skipped": "merge skipped {mr}: {reason}",
    "scheduler_enqueue": "queued {bead}",
    "scheduler_dispatch": "dispatched {bead} -> {target}",
    "scheduler_dispatch_failed": "dispatch failed {bead}: {reason}",
}
_FALLBACK_KEYS = ("bead", "target", "session", "rig", "polecat", "mr", "to", "subject", "reason")


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


def parse_event_line(raw: bytes) -> Event | None:
    """One log line as an Event; None for bad JSON, a non-object, or an unknown type."""
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    type_ = data.get("type")
    if not isinstance(type_, str) or type_ not in KNOWN_TYPES:
        return None
    ts = data.get("ts")
    actor = data.get("actor")
    visibility = data.get("visibility")
    payload = data.get("payload")
    return Event(
        ts=ts if isinstance(ts, str) else "",
        type=type_,
        actor=actor if isinstance(actor, str) else "",
        summary=summarize(type_, payload if isinstance(payload, dict) else {}),
        visibility=visibility if isinstance(visibility, str) and visibility else "feed",
    )


def in_feed(event: Event) -> bool:
    """Gas Town's feed shows `feed` and `both`; `audit` lines are for the record only."""
    return event.visibility != "audit"


class EventTail:
    """Follows one `.events.jsonl`. `poll()` reads what is new; `feed` keeps the last feed events.

    Events found on the first look (the backlog) go to `feed` only; events appended later also
    wait in the pending list that `take_new()` empties, so alerts fire only for fresh events.
    """

    def __init__(self, path: Path, feed_size: int = FEED_SIZE) -> None:
        self.path = path
        self.feed: deque[Event] = deque(maxlen=feed_size)
        self.bytes_read = 0  # total bytes read from disk, for tests and benchmarks
        self._inode: int | None = None
        self._offset = 0
        self._cut = False  # the offset may sit inside a line (after a jump to a window)
        self._opened = False  # a first look has happened (the backlog is behind us)
        self._pending: list[Event] = []

    def poll(self) -> SourceError | None:
        """Read what was appended since the last poll. Never raises."""
        try:
            st = self.path.stat()
        except FileNotFoundError:
            self._opened = True  # a log created later is all new
            self._inode, self._offset = None, 0
            return None
        except OSError as err:
            return SourceError("events", "error", f"{self.path}: {err.strerror or err}")
        backlog = not self._opened
        if self._inode != st.st_ino or st.st_size < self._offset:
            # first look, rotated (new inode) or truncated: start again near the end if big
            self._inode, self._offset, self._cut = st.st_ino, 0, False
            if st.st_size > FIRST_WINDOW:
                self._offset, self._cut = st.st_size - FIRST_WINDOW, True
        elif st.st_size - self._offset > MAX_READ:
            self._offset, self._cut = st.st_size - FIRST_WINDOW, True
        self._opened = True
        if st.st_size == self._offset:
            return None
        try:
            events = self._read(st.st_size)
        except OSError as err:
            return SourceError("events", "error", f"{self.path}: {err.strerror or err}")
        for event in events:
            if in_feed(event):
                self.feed.append(event)
        if not backlog:
            self._pending.extend(events)
            del self._pending[:-MAX_PENDING]
        return None

    def _read(self, size: int) -> list[Event]:
        cut = self._cut and self._offset > 0
        base = self._offset - 1 if cut else self._offset  # file position of chunk[0]
        with self.path.open("rb") as fh:
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
            return []
        self._offset = base + end + 1
        found: list[Event] = []
        for raw in chunk[: end + 1].split(b"\n"):
            if raw.strip():
                event = parse_event_line(raw)
                if event is not None:
                    found.append(event)
        return found

    def take_new(self) -> list[Event]:
        """Events appended since the last call (not the backlog of the first look)."""
        taken, self._pending = self._pending, []
        return taken
