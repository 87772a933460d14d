"""What the person does with a queue item: go there, snooze it, acknowledge it, peek at its
agent's pane, nudge its agent. Shared by `gt-mcp queue ...`, its popup and Prefix+g."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from gt_mcp_tmux.collector.queue import (
    QueueRequest,
    item_order,
    pending_view,
    read_requests,
    request,
    requests_path,
)
from gt_mcp_tmux.config import ConfigError, Settings
from gt_mcp_tmux.model import Agent, Queue, QueueItem, Snapshot, SourceError
from gt_mcp_tmux.ui.jump import go, session_exists, show_view, tell
from gt_mcp_tmux.ui.peek import pane_tail

_DURATION = re.compile(r"(\d{1,9})\s*([smhd]?)")
_UNIT = {"": 60, "s": 1, "m": 60, "h": 3600, "d": 86400}
#: The longest snooze: a year (longer is forgetting, not snoozing: acknowledge it).
LONGEST_SNOOZE = 365 * 86400


def parse_duration(text: str) -> float:
    """Seconds from `30m`, `2h`, `1h30m`, `1d`, `90s` (a bare number is minutes); `0` wakes."""
    cleaned = text.strip().lower().replace(" ", "")
    parts = _DURATION.findall(cleaned)
    if not cleaned or "".join(n + u for n, u in parts) != cleaned:
        raise ConfigError(f"not a duration: {text[:40]!r} (say 30m, 2h, 1h30m, 1d; 0 wakes it)")
    seconds = sum(int(n) * _UNIT[u] for n, u in parts)
    if seconds > LONGEST_SNOOZE:
        raise ConfigError("a snooze lasts a year at most: acknowledge it instead (queue ack ID)")
    return float(seconds)


def duration_words(seconds: float) -> str:
    """`1h30m`, `2d`, `45s`: the duration exactly, largest units first."""
    left, words = int(seconds), []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if left >= size:
            words.append(f"{left // size}{unit}")
            left %= size
    return "".join(words) or "0s"


def shown_queue(snapshot: Snapshot, socket: str | None) -> Queue:
    """The snapshot's queue with the requests the collector has not taken yet already applied."""
    pending = read_requests(requests_path(socket)) if socket else []
    return pending_view(snapshot.queue, pending, time.time()) if pending else snapshot.queue


def resolve_item(wanted: str, items: list[QueueItem]) -> QueueItem:
    """The item an id names: the whole id, or a start of it that only one item's id has."""
    exact = [i for i in items if i.id == wanted]
    if exact:
        return exact[0]
    starting = [i for i in items if wanted and i.id.startswith(wanted)]
    if len(starting) == 1:
        return starting[0]
    shown = repr(wanted[:60] + ("…" if len(wanted) > 60 else ""))
    if starting:
        raise ConfigError(
            f"{len(starting)} queue items start with {shown}: give more of the id"
            " (`gt-mcp queue` lists them)"
        )
    raise ConfigError(f"nothing in the queue is {shown} (`gt-mcp queue` lists the ids)")


def snooze(socket: str, item: QueueItem, seconds: float) -> float:
    """Ask the collector to snooze `item` for `seconds` (0: wake it now); when it wakes."""
    until = time.time() + seconds if seconds > 0 else 0.0
    request(socket, [QueueRequest("snooze", item.id, until=until)])
    return until


def acknowledge(socket: str, items: list[QueueItem]) -> None:
    """Ask the collector to acknowledge `items` at their current counts."""
    request(socket, [QueueRequest("ack", i.id, count=i.count) for i in items])


# --- going there ------------------------------------------------------------------------
def go_to(
    item: QueueItem,
    settings: Settings,
    client: str | None,
    after_pid: int | None = None,
) -> int:
    """Take the person to the item: its agent's session, the mail view at its message, the bridge
    at its conflict; else say what it is and what to do."""
    where = item.go
    if where.kind == "agent" and where.socket and where.session:
        if session_exists(where.socket, where.session):
            return go(where.socket, where.session, settings.jump_mode, client, after_pid)
        tell(f"gastown-mcp: session {where.session} is gone: {item.subject}: {item.action}", client)
        return 1
    if where.kind == "mail" and where.project:
        args = ["mail", "--project", where.project]
        if where.mail_agent:
            args += ["--agent", where.mail_agent]
        if where.message_id is not None:
            args += ["--message", str(where.message_id)]
        return show_view(args, client, settings.popup_size, after_pid)
    if where.kind == "bridge":
        args = ["bridge", *(["--project", where.project] if where.project else [])]
        return show_view(args, client, settings.popup_size, after_pid)
    tell(f"gastown-mcp: {item.subject}: {item.action}", client)
    return 0


# --- the agent behind an item -----------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ItemAgent:
    """The town's or city's agent an item is about, and its server."""

    agent: Agent
    socket: str | None
    orchestrator: str  # gastown | gascity
    root: str | None


def item_agent(snapshot: Snapshot, item: QueueItem) -> ItemAgent | None:
    name = item.agent or item.go.session
    if not name:
        return None
    for agents, socket, source, root in (
        (snapshot.gastown.agents, snapshot.gastown.socket, "gastown", snapshot.gastown.root),
        (snapshot.gascity.agents, snapshot.gascity.socket, "gascity", snapshot.gascity.root),
    ):
        for agent in agents:
            if name in (agent.address, agent.session, agent.address.rstrip("/")):
                return ItemAgent(agent, socket, source, root)
    return None


def peek_item(snapshot: Snapshot, item: QueueItem, lines: int) -> list[str] | SourceError:
    """The last lines of the item's agent's pane."""
    found = item_agent(snapshot, item)
    if found is None or not found.socket or not found.agent.session:
        return SourceError("peek", "not_found", "this item has no agent pane to peek at")
    return pane_tail(found.socket, found.agent.session, lines)


def nudge_argv(found: ItemAgent, message: str) -> list[str]:
    """`gt nudge <address> -m <message>`, or Gas City's `gc session nudge <alias> <message>`."""
    if found.orchestrator == "gascity":  # `--`: a text starting with `-` is not a flag
        return ["session", "nudge", found.agent.address, "--", message]
    return ["nudge", found.agent.address.rstrip("/"), f"--message={message}"]


def first_item(queue: Queue) -> QueueItem | None:
    return min(queue.items, key=item_order) if queue.items else None
