"""`gt convoy list --json`: the open convoys, plus the ones seen closing a little while ago.

`gt convoy list --json` lists open convoys only (and `--all` would walk every convoy ever, one
`bd` call each), so "recently closed" means: this process saw it open, then saw it leave the open
list (or listed as closed). Such convoys stay listed, as `closed`, for `RECENT_CLOSED_SECONDS`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gt_mcp_tmux.model import Convoy, SourceError
from gt_mcp_tmux.sources.gt_cli import run_gt_json

SOURCE = "convoys"
RECENT_CLOSED_SECONDS = 15 * 60
CLOSED = "closed"


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def parse_convoys(data: Any) -> list[Convoy] | SourceError:
    """The array gt prints, as Convoy records; entries without an id are skipped."""
    if not isinstance(data, list):
        return SourceError(SOURCE, "bad_output", "gt convoy list --json did not print a list")
    found: list[Convoy] = []
    for item in data:
        if not isinstance(item, dict):
            continue
        ident = item.get("id")
        if not isinstance(ident, str) or not ident:
            continue
        title = item.get("title")
        status = item.get("status")
        found.append(
            Convoy(
                id=ident,
                title=title if isinstance(title, str) else "",
                status=status if isinstance(status, str) and status else "open",
                completed=_count(item.get("completed")),
                total=_count(item.get("total")),
            )
        )
    return found


def read_convoys(root: Path, timeout: float) -> list[Convoy] | SourceError:
    answer = run_gt_json(["convoy", "list", "--json"], SOURCE, timeout, cwd=str(root))
    if answer.error is not None:
        return answer.error
    return parse_convoys(answer.data)


class ConvoyBoard:
    """Open convoys from the latest list, and the recently closed ones this process saw go."""

    def __init__(self, keep_closed: float = RECENT_CLOSED_SECONDS) -> None:
        self.keep_closed = keep_closed
        self._open: dict[str, Convoy] = {}
        self._closed: dict[str, tuple[float, Convoy]] = {}  # id -> (seen closed at, convoy)

    def update(self, listed: list[Convoy], now: float) -> None:
        listed_ids = {c.id for c in listed}
        for ident, convoy in self._open.items():
            if ident not in listed_ids:  # left the open list: landed or closed
                self._closed[ident] = (now, _as_closed(convoy))
        still_open: dict[str, Convoy] = {}
        for convoy in listed:
            if convoy.status == CLOSED:
                # recent only if this process saw it open; an old closed one is left out
                if convoy.id in self._closed:
                    self._closed[convoy.id] = (self._closed[convoy.id][0], convoy)
                elif convoy.id in self._open:
                    self._closed[convoy.id] = (now, convoy)
            else:
                still_open[convoy.id] = convoy
                self._closed.pop(convoy.id, None)
        self._open = still_open
        self._expire(now)

    def _expire(self, now: float) -> None:
        for ident in [i for i, (at, _) in self._closed.items() if now - at > self.keep_closed]:
            del self._closed[ident]

    def current(self, now: float) -> list[Convoy]:
        """Open convoys in gt's order, then the recently closed, newest first."""
        self._expire(now)
        closed = sorted(self._closed.values(), key=lambda pair: -pair[0])
        return [*self._open.values(), *(convoy for _, convoy in closed)]


def _as_closed(convoy: Convoy) -> Convoy:
    return Convoy(
        id=convoy.id,
        title=convoy.title,
        status=CLOSED,
        completed=convoy.completed,
        total=convoy.total,
    )
