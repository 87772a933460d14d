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
from gt_mcp_tmux.sources.gt_cli import run_gt_json

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

    def all_agents(self) -> list[StatusAgent]:
        return [*self.agents, *(a for rig in self.rigs for a in rig.agents)]


def _str(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    return value if isinstance(value, str) and value != "" else None


def _int(data: dict[str, Any], key: str) -> int:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0
    return max(0, int(value))


def _bool(data: dict[str, Any], key: str) -> bool:
    return data.get(key) is True


def _dict(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key)
    return value if isinstance(value, dict) else {}


def _list(data: dict[str, Any], key: str) -> list[Any]:
    value = data.get(key)
    return value if isinstance(value, list) else []


def parse_agent(data: Any, rig: str | None) -> StatusAgent | None:
    if not isinstance(data, dict):
        return None
    name = _str(data, "name")
    address = _str(data, "address")
    if name is None and address is None:
        return None
    role = normalize_role(_str(data, "role") or (name or ""))
    hook = _str(data, "hook_bead")
    return StatusAgent(
        name=name or (address or "").rstrip("/").rsplit("/", 1)[-1],
        address=address or (f"{rig}/{name}" if rig else f"{name}/"),
        role=role,
        rig=rig,
        session=_str(data, "session"),
        running=_bool(data, "running"),
        has_work=_bool(data, "has_work") or hook is not None,
        hook_bead=hook,
        work_title=_str(data, "work_title"),
        state=_str(data, "state"),
        unread_mail=_int(data, "unread_mail"),
        first_subject=_str(data, "first_subject"),
        agent_info=_str(data, "agent_info"),
    )


def parse_mq(data: Any) -> MergeQueue | None:
    if not isinstance(data, dict):
        return None
    return MergeQueue(
        pending=_int(data, "pending"),
        in_flight=_int(data, "in_flight"),
        blocked=_int(data, "blocked"),
        state=_str(data, "state") or "idle",
        health=_str(data, "health") or "empty",
    )


def parse_rig(data: Any) -> StatusRig | None:
    if not isinstance(data, dict):
        return None
    name = _str(data, "name")
    if name is None:
        return None
    agents = [a for a in (parse_agent(item, name) for item in _list(data, "agents")) if a]
    return StatusRig(
        name=name,
        polecat_count=_int(data, "polecat_count") or len(_list(data, "polecats")),
        crew_count=_int(data, "crew_count") or len(_list(data, "crews")),
        has_witness=_bool(data, "has_witness"),
        has_refinery=_bool(data, "has_refinery"),
        mq=parse_mq(data.get("mq")),
        agents=agents,
    )


def parse_status(data: Any, fast: bool = False) -> TownStatus | SourceError:
    """The top-level object of `gt status --json`; anything else is `bad_output`."""
    if not isinstance(data, dict):
        kind = type(data).__name__
        return SourceError(SOURCE, "bad_output", f"gt status --json gave a {kind}, not an object")
    agents = [a for a in (parse_agent(item, None) for item in _list(data, "agents")) if a]
    rigs = [r for r in (parse_rig(item) for item in _list(data, "rigs")) if r]
    return TownStatus(
        name=_str(data, "name"),
        location=_str(data, "location"),
        socket=_str(_dict(data, "tmux"), "socket"),
        overseer_unread=_int(_dict(data, "overseer"), "unread_mail"),
        agents=agents,
        rigs=rigs,
        fast=fast,
    )


def read_status(root: Path, fast: bool, timeout: float) -> TownStatus | SourceError:
    """Run `gt status [--fast] --json` in the town root and parse it. Never raises."""
    args = ["status", "--fast", "--json"] if fast else ["status", "--json"]
    answer = run_gt_json(args, SOURCE, timeout, cwd=str(root))
    if answer.error is not None:
        return answer.error
    return parse_status(answer.data, fast)


def overlay_fast(fast: TownStatus, full: TownStatus | None) -> TownStatus:
    """A fast answer, with what `--fast` skips (mail, hooks, merge queues) taken from `full`.

    The fast answer wins wherever it says something: hooked work it reports replaces the old,
    and agents, sessions, running and state always come from it.
    """
    if full is None:
        return fast
    old = {a.address: a for a in full.all_agents()}

    def fill(agent: StatusAgent) -> StatusAgent:
        before = old.get(agent.address)
        if before is None:
            return agent
        changes: dict[str, Any] = {}
        if not agent.has_work and before.has_work:
            changes.update(has_work=True, hook_bead=before.hook_bead, work_title=before.work_title)
        if agent.unread_mail == 0 and before.unread_mail:
            changes.update(unread_mail=before.unread_mail, first_subject=before.first_subject)
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
