"""Short human durations ("4m", "2h") and the timestamps they come from, as the views show them."""

from __future__ import annotations

import re
from datetime import datetime, timezone

_LONG_FRACTION = re.compile(r"(\.\d{6})\d+")


def span(seconds: float) -> str:
    """A duration in its largest whole unit: `12s`, `4m`, `3h`, `2d`."""
    seconds = max(seconds, 0.0)
    if seconds < 60:
        return f"{int(seconds)}s"
    if seconds < 3600:
        return f"{int(seconds // 60)}m"
    if seconds < 86400:
        return f"{int(seconds // 3600)}h"
    return f"{int(seconds // 86400)}d"


def ago(moment: float | None, now: float) -> str:
    """`4m ago`, `now`, or `-` when unknown."""
    if moment is None:
        return "-"
    if now - moment < 1:
        return "now"
    return span(now - moment) + " ago"


def parse_time(value: object) -> float | None:
    """Epoch seconds from what sources hand over: RFC 3339 (`Z` or offset), Agent Mail's naive
    UTC `YYYY-MM-DD HH:MM:SS.ffffff`, or a number (seconds, or microseconds when huge)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
        return number / 1e6 if number > 1e11 else number
    text = str(value).strip()
    if not text:
        return None
    try:
        return parse_time(float(text))
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(_LONG_FRACTION.sub(r"\1", text.replace("Z", "+00:00")))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()
