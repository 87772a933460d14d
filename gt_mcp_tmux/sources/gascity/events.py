"""Gas City's event log (`<city>/.gc/events.jsonl`): `{seq, type, ts, actor, subject?, message?,
payload?}` a line, followed by the same incremental tail as Gas Town's log.

`seq` is not unique across writers (two lines with seq 7 were seen), so an event is known by
`(seq, type, ts, subject)`; the same key written twice is one event.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gt_mcp_tmux.model import Event
from gt_mcp_tmux.private_files import sha256_hex
from gt_mcp_tmux.sources.gastown.events import EventTail, load_json_line

SUMMARY_LIMIT = 200
_VALUE_LIMIT = 200
#: Types that raise an alert (the collector's tracker decides how); `session.idle_killed` is
#: the health patrol's routine reaping and only reaches the feed.
ALERT_TYPES = frozenset(
    {
        "session.crashed",
        "session.quarantined",
        "session.stranded",
        "order.failed",
        "controller.stopped",
        "convoy.closed",
    }
)


def events_path(root: Path) -> Path:
    return root / ".gc" / "events.jsonl"


def _scalar(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)[:_VALUE_LIMIT]
    return None


def _payload_text(data: dict[str, Any]) -> dict[str, str]:
    """The line's subject, message and seq, and its payload's scalars (one level of nesting:
    `mail.sent`'s `payload.message.subject` becomes `message.subject`)."""
    found: dict[str, str] = {}
    for key in ("subject", "message", "seq"):
        text = _scalar(data.get(key))
        if text is not None:
            found[key] = text
    payload = data.get("payload")
    for key, value in (payload if isinstance(payload, dict) else {}).items():
        text = _scalar(value)
        if text is not None:
            found.setdefault(str(key), text)
        elif isinstance(value, dict):
            for inner, item in value.items():
                text = _scalar(item)
                if text is not None:
                    found[f"{key}.{inner}"] = text
    return found


def summarize(type_: str, values: dict[str, str]) -> str:
    """`session.crashed demorig/polecat-1: exit 1` (the event's words, one line)."""
    words = type_.replace("_", " ")
    subject = values.get("subject", "")
    message = values.get("message", "")
    if type_ == "mail.sent":
        sender, to = values.get("message.from", ""), values.get("message.to", "")
        title = values.get("message.subject", "")
        return f"mail {sender} -> {to}: {title}"[:SUMMARY_LIMIT]
    text = f"{words} {subject}".strip() + (f": {message}" if message else "")
    return " ".join(text.split())[:SUMMARY_LIMIT]


def parse_city_event_line(raw: bytes) -> Event | str | None:
    """One line as an Event; a reason (str) for a line that is not a JSON object; None for an
    object without a type."""
    data = load_json_line(raw)
    if isinstance(data, str):
        return data
    type_ = data.get("type")
    if not isinstance(type_, str) or not type_:
        return None
    ts = data.get("ts") if isinstance(data.get("ts"), str) else ""
    actor = data.get("actor") if isinstance(data.get("actor"), str) else ""
    values = _payload_text(data)
    key = "|".join((values.get("seq", ""), type_, str(ts), values.get("subject", "")))
    return Event(
        ts=str(ts),
        type=type_,
        actor=str(actor),
        summary=summarize(type_, values),
        id=sha256_hex(key.encode("utf-8", "surrogateescape"))[:16],
        payload=values,
    )


def city_event_tail(root: Path) -> EventTail:
    return EventTail(events_path(root), parse=parse_city_event_line, identical_are_distinct=False)
