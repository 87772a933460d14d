"""Gas City's answers (the supervisor's JSON, `gc`'s JSON and text) as plain records.

Both the API (`{"items": [{id, template, state, alias, session_name, rig, running, ...}]}`) and
`gc session list --json` (Go field names: `ID, Template, State, Alias, SessionName, ...`) become
`CitySession`s. Every parser takes anything and returns records or a `SourceError`: a garbled
answer is one line, never a traceback.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gt_mcp_tmux.model import Convoy, ReadyBead, Rig, SourceError
from gt_mcp_tmux.sources.gastown.files import parse_rfc3339

#: Session states (Gas City's session beads): only `closed` ones are gone for good.
SESSION_STATES = (
    "creating",
    "active",
    "awake",
    "asleep",
    "suspended",
    "draining",
    "quarantined",
    "closed",
)
_MAIL_COUNT_RE = re.compile(r"(\d+) total, (\d+) unread")
_CONVOY_ROW_RE = re.compile(r"^(\S+)\s+(.*?)\s+(\d+)/(\d+) closed\s*$")


@dataclass(frozen=True, slots=True)
class CitySession:
    """One of the city's sessions, as the supervisor (or `gc session list`) knows it."""

    id: str
    template: str
    state: str
    session_name: str
    alias: str = ""
    rig: str | None = None
    running: bool | None = None  # the API says; gc's list does not
    last_active: float | None = None
    attached: bool = False
    origin: str = ""  # named, ephemeral, ... (from the session's environment)
    #: Why it is in its state; `quarantine` when gc gave up restarting it (0.15.1 keeps such a
    #: session `creating`, not running, and writes no event for it).
    reason: str = ""

    @property
    def quarantined(self) -> bool:
        return self.state == "quarantined" or self.reason == "quarantine"

    @property
    def role(self) -> str:
        """The template's own name: `demorig/polecat` -> `polecat`."""
        return self.template.rsplit("/", 1)[-1] or "agent"

    @property
    def address(self) -> str:
        """How Gas City names the agent (its alias, e.g. `demorig/witness`), else the session."""
        return self.alias or self.session_name


def _text(item: Mapping[str, Any], *names: str) -> str:
    for name in names:
        value = item.get(name)
        if isinstance(value, str) and value:
            return value
    return ""


def _items(data: Any, source: str) -> list[Mapping[str, Any]] | SourceError:
    """`{"items": [...]}` (the API) or a bare list (`gc ... --json`), objects only."""
    if isinstance(data, SourceError):
        return data
    items = data.get("items") if isinstance(data, Mapping) else data
    if items is None and isinstance(data, Mapping):
        items = []
    if not isinstance(items, list):
        return SourceError(source, "bad_output", "no list of items in the answer")
    return [item for item in items if isinstance(item, Mapping)]


def _moment(value: Any) -> float | None:
    """Epoch seconds; None for no time, Go's zero time (`0001-01-01T00:00:00Z`) included."""
    moment = parse_rfc3339(value)
    return moment if moment is not None and moment > 0 else None


def _rig_of(template: str) -> str | None:
    return template.rsplit("/", 1)[0] if "/" in template else None


def parse_sessions(data: Any, source: str) -> list[CitySession] | SourceError:
    """Sessions from the API's `/sessions` or `gc session list --json`; closed ones left out."""
    items = _items(data, source)
    if isinstance(items, SourceError):
        return items
    sessions: list[CitySession] = []
    for item in items:
        name = _text(item, "session_name", "SessionName")
        template = _text(item, "template", "Template")
        state = _text(item, "state", "State").lower() or "unknown"
        if not name or not template or state == "closed" or item.get("Closed") is True:
            continue
        running = item.get("running")
        sessions.append(
            CitySession(
                id=_text(item, "id", "ID"),
                template=template,
                state=state,
                session_name=name,
                alias=_text(item, "alias", "Alias"),
                rig=_text(item, "rig", "Rig") or _rig_of(template),
                running=running if isinstance(running, bool) else None,
                last_active=_moment(item.get("last_active", item.get("LastActive"))),
                attached=item.get("attached", item.get("Attached")) is True,
                reason=_text(item, "reason", "Reason"),
            )
        )
    return sessions


def parse_mail_count(data: Any, source: str) -> int | SourceError:
    """Unread mail from `/mail/count?agent=human` (`{"total", "unread"}`)."""
    if isinstance(data, SourceError):
        return data
    unread = data.get("unread") if isinstance(data, Mapping) else None
    if not isinstance(unread, int) or isinstance(unread, bool) or unread < 0:
        return SourceError(source, "bad_output", "no unread count in the answer")
    return unread


def parse_gc_mail_count(text: str, source: str) -> int | SourceError:
    """`gc mail count human` says `1 total, 1 unread for human`."""
    match = _MAIL_COUNT_RE.search(text)
    if match is None:
        return SourceError(source, "bad_output", "gc mail count: no count in its answer")
    return int(match.group(2))


def parse_rigs(data: Any, source: str) -> list[Rig] | SourceError:
    """Rigs from `/rigs` (`{name, path, suspended, agent_count, running_count}`)."""
    items = _items(data, source)
    if isinstance(items, SourceError):
        return items
    return [
        Rig(name=_text(item, "name", "Name"), path=_text(item, "path", "Path") or None)
        for item in items
        if _text(item, "name", "Name")
    ]


def parse_convoys(data: Any, source: str) -> list[Convoy] | SourceError:
    """Convoys from `/convoys` (beads of type convoy: `{id, title, status}`)."""
    items = _items(data, source)
    if isinstance(items, SourceError):
        return items
    return [
        Convoy(id=_text(item, "id"), title=_text(item, "title"), status=_text(item, "status"))
        for item in items
        if _text(item, "id")
    ]


def parse_convoy_progress(text: str) -> dict[str, tuple[int, int]]:
    """`gc convoy list`'s table (`gc-14  gcbuild-sprint  1/2 closed`) as id -> (closed, total);
    it has no JSON form (`--json` is an unknown flag in 0.15.1)."""
    progress: dict[str, tuple[int, int]] = {}
    for line in text.splitlines()[1:]:
        match = _CONVOY_ROW_RE.match(line.strip())
        if match:
            progress[match.group(1)] = (int(match.group(3)), int(match.group(4)))
    return progress


def parse_ready(data: Any, source: str) -> list[ReadyBead] | SourceError:
    """Ready work from `/beads/ready`: tasks only (convoys are batches, not work to sling)."""
    items = _items(data, source)
    if isinstance(items, SourceError):
        return items
    beads = []
    for item in items:
        kind = _text(item, "issue_type", "type")
        if not _text(item, "id") or kind == "convoy":
            continue
        priority = item.get("priority")
        beads.append(
            ReadyBead(
                id=_text(item, "id"),
                title=_text(item, "title"),
                priority=priority if isinstance(priority, int) else None,
                source="",  # the city's own store (a rig's beads carry the rig's name)
                issue_type=kind,
            )
        )
    return beads
