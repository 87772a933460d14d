"""`gt convoy list --json`: the open convoys, plus the ones seen landing a little while ago.

`gt convoy list --json` lists open convoys only (and `--all` would walk every convoy ever, one
`bd` call each). Leaving that list is not landing: gt also drops a convoy whose tracked-issue
query failed, and a list can come back `[]` while beads is unwell. So a convoy that leaves the
list is asked for by itself (`gt convoy status <id> --json`): only `status: closed` lands it,
with the final counts of that answer. Until gt says so it stays as it was last seen. Landed
convoys stay listed, as `closed`, for `RECENT_CLOSED_SECONDS`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gt_mcp_tmux.model import Convoy, SourceError
from gt_mcp_tmux.sources.gastown.gt_cli import run_gt_json

SOURCE = "convoys"
RECENT_CLOSED_SECONDS = 15 * 60
CLOSED = "closed"


#: Convoys that left the list asked for one by one per refresh (the rest wait for the next).
MAX_CHECKS = 5


class _Garbled(ValueError):
    pass


def _count_of(item: dict[str, Any], key: str) -> int:
    value = item.get(key)
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Garbled(f"{key} is {value!r:.20}, not a whole number")
    return max(0, value)


def parse_convoy(item: Any) -> Convoy | None:
    """One convoy object; None without an id; `_Garbled` for fields of the wrong type."""
    if not isinstance(item, dict):
        raise _Garbled("an entry is not an object")
    ident = item.get("id")
    if not isinstance(ident, str) or not ident:
        return None
    title = item.get("title")
    status = item.get("status")
    if title is not None and not isinstance(title, str):
        raise _Garbled(f"{ident}: title is not text")
    if status is not None and not isinstance(status, str):
        raise _Garbled(f"{ident}: status is not text")
    return Convoy(
        id=ident,
        title=title or "",
        status=status or "open",
        completed=_count_of(item, "completed"),
        total=_count_of(item, "total"),
    )


def parse_convoys(data: Any) -> list[Convoy] | SourceError:
    """The array gt prints, as Convoy records; entries without an id are skipped; an entry
    of the wrong shape (`"completed": "3"`) makes the whole answer `bad_output`."""
    if not isinstance(data, list):
        return SourceError(SOURCE, "bad_output", "gt convoy list --json did not print a list")
    try:
        return [c for c in (parse_convoy(item) for item in data) if c is not None]
    except _Garbled as err:
        return SourceError(SOURCE, "bad_output", f"gt convoy list --json: {err}")


def read_convoy_status(root: Path, ident: str, timeout: float) -> Convoy | SourceError:
    """`gt convoy status <id> --json` for one convoy (its status and final counts)."""
    answer = run_gt_json(["convoy", "status", ident, "--json"], SOURCE, timeout, cwd=str(root))
    if answer.error is not None:
        return answer.error
    try:
        convoy = parse_convoy(answer.data)
    except _Garbled as err:
        return SourceError(SOURCE, "bad_output", f"gt convoy status {ident}: {err}")
    if convoy is None:
        return SourceError(SOURCE, "bad_output", f"gt convoy status {ident} --json has no id")
    return convoy


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

    def missing(self, listed: list[Convoy]) -> list[str]:
        """Open convoys the new list no longer has: to be asked for one by one."""
        listed_ids = {c.id for c in listed}
        return [ident for ident in self._open if ident not in listed_ids][:MAX_CHECKS]

    def update(
        self, listed: list[Convoy], now: float, checked: dict[str, Convoy] | None = None
    ) -> None:
        """Take a new list; `checked` holds what `gt convoy status` said of missing ones."""
        listed_ids = {c.id for c in listed}
        kept: list[Convoy] = []
        for ident, convoy in self._open.items():
            if ident in listed_ids:
                continue
            answer = (checked or {}).get(ident)
            if answer is not None and answer.status == CLOSED:
                self._closed[ident] = (now, answer)  # landed, with its final counts
            else:
                kept.append(answer or convoy)  # not landed, or not known yet: as last seen
        listed = [*listed, *kept]
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
