"""What the two Agent Mail readers (HTTP and SQLite) share: their face, their answer, their failure.

Both readers return a `MailReading`: projects with agents and per-agent counts, the reservations
whose `released_ts` is NULL (expiry is *not* applied here: `agent_mail.py` filters every source the
same way), and the most recent messages. Timestamps are normalised by `iso_utc` so that the same
database read over HTTP or straight from SQLite gives equal records.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Literal, Protocol

from gt_mcp_tmux.model import MailMessage, MailProject

#: Server variants (see the reference): PyPI `mcp-agent-mail` 0.1.0, upstream Python, Rust `am`.
VARIANT_PYPI = "pypi"
VARIANT_UPSTREAM = "upstream"
VARIANT_RUST = "rust"

#: Importance values that count as urgent.
URGENT = ("high", "urgent")


class MailReadError(Exception):
    """A reader could not finish. `kind` is `auth` or `error`; the message is one line, no secret."""

    def __init__(self, kind: Literal["auth", "error"], message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


@dataclass(frozen=True, slots=True)
class MailReading:
    variant: str | None
    projects: list[MailProject] = field(default_factory=list)
    messages: list[MailMessage] = field(default_factory=list)
    #: Counts the server withheld, and why (see `AgentMail.withheld`).
    withheld: dict[str, str] = field(default_factory=dict)


class MailReader(Protocol):
    """One full read of an Agent Mail server, finished before `deadline` (a `time.monotonic()`)."""

    def read(self, deadline: float) -> MailReading: ...


_FRACTION = re.compile(r"\.(\d+)")
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _parse_loose(text: str) -> datetime | None:
    """What `fromisoformat` refuses: numbers, `Z`, and (on Python 3.10) odd fraction lengths."""
    if re.fullmatch(r"-?\d+(\.\d+)?", text):
        return parse_ts(float(text))
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    text = _FRACTION.sub(lambda m: "." + (m.group(1) + "000000")[:6], text, count=1)
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def parse_ts(value: object) -> datetime | None:
    """A timestamp from any variant as an aware UTC datetime, or None.

    Accepts ISO-8601 text with or without offset (naive means UTC, as the Python servers store it),
    `YYYY-MM-DD HH:MM:SS.ffffff`, and numbers: microseconds since the epoch (Rust), milliseconds
    or seconds when smaller.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        if text.lstrip("-").isdigit():
            return parse_ts(int(text))
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            loose = _parse_loose(text)
            if loose is None:
                return None
            moment = loose
    elif isinstance(value, int) and abs(value) >= 10**14:  # Rust: exact integer microseconds
        try:
            return _EPOCH + timedelta(microseconds=value)
        except OverflowError:
            return None
    elif isinstance(value, int | float):
        number = float(value)
        if abs(number) >= 1e14:
            number /= 1_000_000
        elif abs(number) >= 1e11:
            number /= 1000
        try:
            moment = datetime.fromtimestamp(number, timezone.utc)
        except (OverflowError, OSError, ValueError):
            return None
    else:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def iso_utc(value: object) -> str | None:
    """`parse_ts` written back as ISO-8601 UTC with microseconds; unparseable text is kept as is.

    Remembered by value: a reading writes thousands of timestamps (two a reservation), nearly
    all the same as the last reading's."""
    if isinstance(value, str | int) and not isinstance(value, bool):
        key = (type(value), value)
        known = _ISO_KNOWN.get(key, _UNKNOWN)
        if known is _UNKNOWN:
            if len(_ISO_KNOWN) >= _ISO_MOST:
                _ISO_KNOWN.clear()
            known = _ISO_KNOWN[key] = _iso_utc(value)
        return known  # type: ignore[return-value]
    return _iso_utc(value)


_ISO_KNOWN: dict[tuple[type, object], str | None] = {}
_ISO_MOST = 50_000
_UNKNOWN = object()


def _iso_utc(value: object) -> str | None:
    moment = parse_ts(value)
    if moment is None:
        return value if isinstance(value, str) and value else None
    return moment.isoformat(timespec="microseconds")
