"""`gt status [--fast] --json` as typed records.

The answer is gt's own view: agents (mayor and deacon at the top, the rest per rig), their hooked
work, mail counts and the merge queues. `--fast` skips mail, hooks and the merge queue, so a fast
answer is laid over the last full one (`overlay_fast`) instead of wiping what it did not look at.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from gt_mcp_tmux.model import MergeQueue, SourceError
from gt_mcp_tmux.sources.gastown.files import lock_held
from gt_mcp_tmux.sources.gastown.gt_cli import run_gt_json

SOURCE = "gt_status"
#: gt's top-level agents still carry the pre-1.0 role words.
LEGACY_ROLES = {"coordinator": "mayor", "health-check": "deacon"}


def normalize_role(role: str) -> str:
    """gt's role word as one of model.ROLES (`coordinator` -> mayor, `health-check` -> deacon)."""
    word = role.strip().lower()
    return LEGACY_ROLES.get(word, word)


@dataclass(frozen=True, slots=True)
class StatusAgent:
    """One AgentRuntime entry of `gt status --json`, role already normalised."""

    name: str
    address: str
    role: str
    rig: str | None = None
    session: str | None = None
    running: bool = False
    acp: bool = False  # runs over ACP: no tmux session, and `running` is gt's word for it
    has_work: bool = False
    hook_bead: str | None = None
    work_title: str | None = None
    state: str | None = None
    unread_mail: int = 0
    first_subject: str | None = None
    agent_info: str | None = None


@dataclass(frozen=True, slots=True)
class StatusRig:
    name: str
    polecat_count: int = 0
    crew_count: int = 0
    has_witness: bool = False
    has_refinery: bool = False
    mq: MergeQueue | None = None
    agents: list[StatusAgent] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class TownStatus:
    name: str | None = None
    location: str | None = None
    socket: str | None = None  # `tmux.socket`: the Gas Town server gt itself uses
    overseer_unread: int = 0
    agents: list[StatusAgent] = field(default_factory=list)  # mayor and deacon
    rigs: list[StatusRig] = field(default_factory=list)
    fast: bool = False
    #: A full answer taken while another full status held `daemon/status-detail.lock`: gt
    #: (1.2+) then silently answers like `--fast` and also leaves hooks and agent states out.
    partial: bool = False

    def all_agents(self) -> list[StatusAgent]:
        return [*self.agents, *(a for rig in self.rigs for a in rig.agents)]


class Garbled(Exception):
    """The answer has gt's shape nowhere near where it should: `str(err)` says where."""


def _type_name(value: Any) -> str:
    return {str: "text", bool: "true/false", int: "a number", float: "a number"}.get(
        type(value), type(value).__name__
    )


def _wrong(where: str, key: str, value: Any, wanted: str) -> Garbled:
    return Garbled(f"{where}.{key} is {_type_name(value)} ({json_preview(value)}), not {wanted}")


def json_preview(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 24 else text[:23] + "…"


def _str(data: dict[str, Any], key: str, where: str = "") -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _wrong(where, key, value, "text")
    return value or None


def _int(data: dict[str, Any], key: str, where: str = "") -> int:
    value = data.get(key)
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int):
        raise _wrong(where, key, value, "a whole number")
    return max(0, value)


def _bool(data: dict[str, Any], key: str, where: str = "") -> bool:
    value = data.get(key)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise _wrong(where, key, value, "true/false")
    return value


def _dict(data: dict[str, Any], key: str, where: str = "") -> dict[str, Any]:
    value = data.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _wrong(where, key, value, "an object")
    return value


def _list(data: dict[str, Any], key: str, where: str = "") -> list[Any]:
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise _wrong(where, key, value, "a list")
    return value


def parse_agent(data: Any, rig: str | None, where: str = "agent") -> StatusAgent | None:
    if not isinstance(data, dict):
        raise Garbled(f"{where} is {_type_name(data)}, not an object")
    name = _str(data, "name", where)
    address = _str(data, "address", where)
    if name is None and address is None:
        return None
    where = f"{where}({address or name})"
    role = normalize_role(_str(data, "role", where) or (name or ""))
    hook = _str(data, "hook_bead", where)
    return StatusAgent(
        name=name or (address or "").rstrip("/").rsplit("/", 1)[-1],
        address=address or (f"{rig}/{name}" if rig else f"{name}/"),
        role=role,
        rig=rig,
        session=_str(data, "session", where),
        running=_bool(data, "running", where),
        acp=_bool(data, "acp", where),
        has_work=_bool(data, "has_work", where) or hook is not None,
        hook_bead=hook,
        work_title=_str(data, "work_title", where),
        state=_str(data, "state", where),
        unread_mail=_int(data, "unread_mail", where),
        first_subject=_str(data, "first_subject", where),
        agent_info=_str(data, "agent_info", where),
    )


def parse_mq(data: Any, where: str = "mq") -> MergeQueue | None:
    if data is None:
        return None
    if not isinstance(data, dict):
        raise Garbled(f"{where} is {_type_name(data)}, not an object")
    return MergeQueue(
        pending=_int(data, "pending", where),
        in_flight=_int(data, "in_flight", where),
        blocked=_int(data, "blocked", where),
        state=_str(data, "state", where) or "idle",
        health=_str(data, "health", where) or "empty",
    )


def parse_rig(data: Any, where: str = "rig") -> StatusRig | None:
    if not isinstance(data, dict):
        raise Garbled(f"{where} is {_type_name(data)}, not an object")
    name = _str(data, "name", where)
    if name is None:
        return None
    where = f"rigs({name})"
    agents = [
        a
        for a in (
            parse_agent(item, name, f"{where}.agents") for item in _list(data, "agents", where)
        )
        if a
    ]
    return StatusRig(
        name=name,
        polecat_count=_int(data, "polecat_count", where) or len(_list(data, "polecats", where)),
        crew_count=_int(data, "crew_count", where) or len(_list(data, "crews", where)),
        has_witness=_bool(data, "has_witness", where),
        has_refinery=_bool(data, "has_refinery", where),
        mq=parse_mq(data.get("mq"), f"{where}.mq"),
        agents=agents,
    )


#: Keys every real answer has; an object without them (`{"error": ...}`) is not a status.
REQUIRED_KEYS = ("agents", "rigs")


def parse_status(data: Any, fast: bool = False) -> TownStatus | SourceError:
    """The top-level object of `gt status --json`, checked against gt's schema.

    Anything that is not gt's shape (not an object, missing `agents`/`rigs`, a field of the wrong
    type such as `"running": "true"`) is `bad_output` with the reason: a healthy-looking empty
    town must never come out of an answer that was not a status.
    """
    if not isinstance(data, dict):
        return SourceError(
            SOURCE, "bad_output", f"gt status --json gave {_type_name(data)}, not an object"
        )
    missing = [key for key in REQUIRED_KEYS if key not in data]
    if missing:
        error = data.get("error")
        said = f": {error}" if isinstance(error, str) and error else ""
        return SourceError(
            SOURCE,
            "bad_output",
            f"gt status --json has no {' or '.join(missing)}{said}"[:200],
        )
    try:
        agents = [
            a for a in (parse_agent(item, None, "agents") for item in _list(data, "agents")) if a
        ]
        rigs = [r for r in (parse_rig(item) for item in _list(data, "rigs")) if r]
        return TownStatus(
            name=_str(data, "name", "status"),
            location=_str(data, "location", "status"),
            socket=_str(_dict(data, "tmux", "status"), "socket", "tmux"),
            overseer_unread=_int(_dict(data, "overseer", "status"), "unread_mail", "overseer"),
            agents=agents,
            rigs=rigs,
            fast=fast,
        )
    except Garbled as err:
        return SourceError(SOURCE, "bad_output", f"gt status --json: {err}"[:200])


def detail_lock(root: Path) -> Path:
    """The lock a full `gt status` (1.2+) holds; another full status taken meanwhile degrades."""
    return root / "daemon" / "status-detail.lock"


def read_status(root: Path, fast: bool, timeout: float) -> TownStatus | SourceError:
    """Run `gt status [--fast] --json` in the town root and parse it. Never raises.

    A full answer is `partial` when `daemon/status-detail.lock` was held by someone else just
    before or just after it ran (gt took the fast road and said nothing).
    """
    args = ["status", "--fast", "--json"] if fast else ["status", "--json"]
    held = not fast and lock_held(detail_lock(root))
    answer = run_gt_json(args, SOURCE, timeout, cwd=str(root))
    if answer.error is not None:
        return answer.error
    parsed = parse_status(answer.data, fast)
    if isinstance(parsed, TownStatus) and not fast and (held or lock_held(detail_lock(root))):
        return replace(parsed, partial=True)
    return parsed


def overlay_fast(fast: TownStatus, full: TownStatus | None) -> TownStatus:
    """A fast (or partial) answer, with what it skips taken from the last full answer.

    `--fast` skips mail, the per-rig hook list and the merge queues; every agent's hook and
    state are in it, so an empty hook there means no hook. A partial answer (see
    `TownStatus.partial`) also lacks hooks and states: those are kept from `full` too.
    """
    if full is None:
        return fast
    old = {a.address: a for a in full.all_agents()}

    def fill(agent: StatusAgent) -> StatusAgent:
        before = old.get(agent.address)
        if before is None:
            return agent
        changes: dict[str, Any] = {}
        if agent.unread_mail == 0 and before.unread_mail:
            changes.update(unread_mail=before.unread_mail, first_subject=before.first_subject)
        if fast.partial and not agent.has_work and before.has_work:
            changes.update(has_work=True, hook_bead=before.hook_bead, work_title=before.work_title)
        if fast.partial and agent.state is None and before.state is not None:
            changes.update(state=before.state)
        return replace(agent, **changes) if changes else agent

    full_rigs = {r.name: r for r in full.rigs}
    rigs = []
    for rig in fast.rigs:
        before_rig = full_rigs.get(rig.name)
        mq = rig.mq if rig.mq is not None or before_rig is None else before_rig.mq
        rigs.append(replace(rig, mq=mq, agents=[fill(a) for a in rig.agents]))
    return replace(
        fast,
        overseer_unread=fast.overseer_unread or full.overseer_unread,
        agents=[fill(a) for a in fast.agents],
        rigs=rigs,
    )
