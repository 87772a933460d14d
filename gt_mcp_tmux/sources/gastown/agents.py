"""The agent rules: who a tmux session is, and which status an agent is in.

Agents come from two places that can disagree: `gt status --json` (gt's view, refreshed every
half minute or so) and Gas Town's tmux server (looked at every second). The tmux server decides
whether an agent runs; gt decides what work is hooked. Heartbeat files add the agent's own word.
The status rules are written out in the README ("How agent status is decided").
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from gt_mcp_tmux.model import ROLES, Agent, AgentStatus
from gt_mcp_tmux.sources.gastown.files import Heartbeat
from gt_mcp_tmux.sources.gastown.status import StatusAgent, normalize_role
from gt_mcp_tmux.sources.gastown.tmux_server import GtSession

TOWN_SESSIONS = {"hq-mayor": "mayor", "hq-deacon": "deacon", "hq-boot": "boot"}
DOG_PREFIX = "hq-dog-"
TOWN_SESSION_PREFIX = "hq-"
#: The prefix Gas Town gives a rig whose beads have none (registry.go).
DEFAULT_RIG_PREFIX = "gt"
_TOWN_ORDER = {"mayor": 0, "deacon": 1, "boot": 2, "dog": 3}
_RIG_ORDER = {"witness": 0, "refinery": 1, "crew": 2, "polecat": 3}


@dataclass(frozen=True, slots=True)
class Identity:
    """Who a session belongs to: role, rig, the agent's short name and its gt address."""

    role: str
    name: str
    address: str
    rig: str | None = None


def town_identity(role: str, name: str | None = None) -> Identity:
    if role == "dog":
        return Identity("dog", name or "dog", f"deacon/dogs/{name or 'dog'}")
    if role == "boot":
        return Identity("boot", "boot", "deacon/boot")
    return Identity(role, role, f"{role}/")


def rig_identity(rig: str, role: str, name: str | None = None) -> Identity:
    if role in ("witness", "refinery"):
        return Identity(role, role, f"{rig}/{role}", rig)
    if role == "crew":
        return Identity("crew", name or "crew", f"{rig}/crew/{name}", rig)
    return Identity("polecat", name or "polecat", f"{rig}/{name}", rig)


def identity_from_env(env: Mapping[str, str]) -> Identity | None:
    """From `GT_ROLE` (`mayor`, `deacon/boot`, `<rig>/polecats/<name>`, ...) and its companions."""
    role_path = env.get("GT_ROLE", "").strip().strip("/")
    if not role_path:
        return None
    parts = role_path.split("/")
    head = normalize_role(parts[0])
    if len(parts) == 1:
        if head == "dog":
            return town_identity("dog", env.get("GT_DOG_NAME") or None)
        if head in ("mayor", "deacon", "boot"):
            return town_identity(head)
        return None
    if head == "deacon" and parts[1] == "boot":
        return town_identity("boot")
    if head == "deacon" and parts[1] == "dogs" and len(parts) > 2:
        return town_identity("dog", parts[2])
    rig = env.get("GT_RIG") or parts[0]
    kind = parts[1]
    if kind in ("witness", "refinery"):
        return rig_identity(rig, kind)
    if kind in ("polecats", "polecat") and len(parts) > 2:
        return rig_identity(rig, "polecat", "/".join(parts[2:]))
    if kind == "crew" and len(parts) > 2:
        return rig_identity(rig, "crew", "/".join(parts[2:]))
    return None


def identity_from_name(session: str, prefixes: Mapping[str, str]) -> Identity | None:
    """From the session name, using the longest matching rig prefix (`prefixes`: prefix -> rig)."""
    if session in TOWN_SESSIONS:
        return town_identity(TOWN_SESSIONS[session])
    if session.startswith(DOG_PREFIX) and len(session) > len(DOG_PREFIX):
        return town_identity("dog", session[len(DOG_PREFIX) :])
    if session.startswith(TOWN_SESSION_PREFIX):
        return None  # another town session (`hq-overseer`, ...): never a rig's polecat
    for prefix in sorted(prefixes, key=len, reverse=True):
        if not session.startswith(prefix + "-"):
            continue
        rest = session[len(prefix) + 1 :]
        rig = prefixes[prefix]
        if rest in ("witness", "refinery"):
            return rig_identity(rig, rest)
        if rest.startswith("crew-") and len(rest) > len("crew-"):
            return rig_identity(rig, "crew", rest[len("crew-") :])
        if rest:
            return rig_identity(rig, "polecat", rest)
    return None


def session_prefixes(rigs: Iterable[tuple[str, str | None]]) -> dict[str, str]:
    """prefix -> rig for (rig, prefix) pairs (the pre-0.7 `gt-<rig>-...` form is gone)."""
    return {prefix: rig for rig, prefix in rigs if prefix}


def classify_session(session: GtSession, prefixes: Mapping[str, str]) -> Identity | None:
    """The session environment when it says who, else the name; None for non-agent sessions."""
    return identity_from_env(session.env) or identity_from_name(session.name, prefixes)


def derive_status(
    *,
    running: bool,
    has_work: bool,
    state: str | None,
    heartbeat: Heartbeat | None,
    last_activity: float | None,
    now: float,
    stalled_seconds: float,
) -> AgentStatus:
    """stuck > dead > stalled > working > idle > stopped (see the README for the words)."""
    fresh = heartbeat is not None and heartbeat.fresh(now)
    beat_state = heartbeat.state if heartbeat is not None and fresh else None
    if (state or "").lower() == "stuck" or beat_state == "stuck":
        return "stuck"
    if has_work and not running:
        return "dead"
    if has_work and last_activity is not None and now - last_activity >= stalled_seconds:
        return "stalled"
    if running and (has_work or beat_state == "working"):
        return "working"
    if running:
        return "idle"
    return "stopped"


def _newest(*moments: float | None) -> float | None:
    known = [m for m in moments if m]
    return max(known) if known else None


class AgentMemo:
    """The agents built last time, with what they were built from: an agent whose gt record,
    session and heartbeat are what they were is the same object again (its status alone is
    asked again: it moves with the clock). The collector's reader keeps one; equal objects
    make every later comparison (the cache, the bar) stop at `is`."""

    def __init__(self) -> None:
        self.kept: dict[str, tuple[tuple[object, ...], Agent, dict[str, Any]]] = {}
        self.next: dict[str, tuple[tuple[object, ...], Agent, dict[str, Any]]] = {}
        self.built = 0  # agents built (not kept) by the last merge, for tests and benchmarks

    def turn(self) -> None:
        """This merge's agents are what the next one compares with."""
        self.kept, self.next = self.next, {}


def _built(
    memo: AgentMemo | None,
    identity: Identity,
    gt: StatusAgent | None,
    session: GtSession | None,
    session_name: str | None,
    heartbeat: Heartbeat | None,
    sessions_known: bool,
    now: float,
    stalled_seconds: float,
) -> Agent:
    args = (identity, gt, session, session_name, heartbeat, sessions_known, stalled_seconds)
    if memo is None:
        return build_agent(*args[:6], now, stalled_seconds)
    kept = memo.kept.get(identity.address)
    if kept is not None and kept[0] == args:
        _, agent, facts = kept
        status = derive_status(**facts, now=now)
        if status != agent.status:
            agent = dataclasses.replace(agent, status=status)
    else:
        memo.built += 1
        agent = build_agent(*args[:6], now, stalled_seconds)
        facts = _status_facts(gt, session, heartbeat, sessions_known, stalled_seconds)
    memo.next[identity.address] = (args, agent, facts)
    return agent


def _status_facts(
    gt: StatusAgent | None,
    session: GtSession | None,
    heartbeat: Heartbeat | None,
    sessions_known: bool,
    stalled_seconds: float,
) -> dict[str, Any]:
    """What `derive_status` is given besides the clock (as `build_agent` works it out)."""
    if gt is not None and gt.acp:
        running = gt.running
    elif sessions_known:
        running = session is not None and session.agent_alive
    else:
        running = gt.running if gt is not None else False
    hook = gt.hook_bead if gt is not None else (heartbeat.bead if heartbeat else None)
    return {
        "running": running,
        "has_work": (gt.has_work if gt is not None else False) or hook is not None,
        "state": gt.state if gt is not None else None,
        "heartbeat": heartbeat,
        "last_activity": _newest(
            heartbeat.timestamp if heartbeat else None, session.activity if session else None
        ),
        "stalled_seconds": stalled_seconds,
    }


def build_agent(
    identity: Identity,
    gt: StatusAgent | None,
    session: GtSession | None,
    session_name: str | None,
    heartbeat: Heartbeat | None,
    sessions_known: bool,
    now: float,
    stalled_seconds: float,
) -> Agent:
    """One Agent from gt's record (if any), its live session (if any) and its heartbeat."""
    # an agent over ACP has no tmux session: gt's word is all there is; when the tmux server
    # could not be asked, gt is trusted too
    facts = _status_facts(gt, session, heartbeat, sessions_known, stalled_seconds)
    running, state = facts["running"], facts["state"]
    hook = gt.hook_bead if gt is not None else (heartbeat.bead if heartbeat else None)
    last_activity = facts["last_activity"]
    env_agent = session.env.get("GT_AGENT") if session is not None else None
    return Agent(
        address=identity.address,
        name=identity.name,
        role=identity.role or "polecat",
        rig=identity.rig,
        session=session.name if session is not None else session_name,
        running=running,
        hook_bead=hook,
        work_title=gt.work_title if gt is not None else None,
        unread_mail=gt.unread_mail if gt is not None else 0,
        state=state,
        status=derive_status(**facts, now=now),
        last_activity=last_activity,
        agent_info=(gt.agent_info if gt is not None else None) or env_agent or None,
        pane_command=session.pane_command if session is not None else None,
    )


def expected_session(identity: Identity, rig_prefix: Mapping[str, str]) -> str | None:
    """The session name Gas Town gives this agent (`rig_prefix`: rig -> prefix)."""
    if identity.rig is None:
        if identity.role == "dog":
            return DOG_PREFIX + identity.name
        return "hq-" + identity.role
    prefix = rig_prefix.get(identity.rig)
    if prefix is None:
        return None
    if identity.role in ("witness", "refinery"):
        return f"{prefix}-{identity.role}"
    if identity.role == "crew":
        return f"{prefix}-crew-{identity.name}"
    return f"{prefix}-{identity.name}"


def merge_agents(
    gt_agents: list[StatusAgent],
    sessions: list[GtSession] | None,
    heartbeats: Mapping[str, Heartbeat],
    rigs: list[tuple[str, str | None]],
    now: float,
    stalled_seconds: float,
    memo: AgentMemo | None = None,
) -> list[Agent]:
    """Every agent gt lists plus every agent session gt does not (yet) list, in a stable order.

    `sessions` None means the tmux server could not be asked (then gt's `running` is used);
    an empty list means the server is not running (then nothing runs).
    """
    if memo is not None:
        memo.built = 0
    prefixes = session_prefixes(rigs)
    rig_prefix = {rig: prefix for rig, prefix in rigs if prefix}
    live = {s.name: s for s in sessions or []}
    claimed: set[str] = set()
    by_address: dict[str, Agent] = {}
    for gt in gt_agents:
        identity = Identity(
            role=gt.role if gt.role in ROLES else "polecat" if gt.rig else gt.role,
            name=gt.name,
            address=gt.address,
            rig=gt.rig,
        )
        name = gt.session or expected_session(identity, rig_prefix)
        session = live.get(name) if name else None
        if session is not None:
            claimed.add(session.name)
        beat = heartbeats.get(name) if name else None
        by_address[gt.address] = _built(
            memo, identity, gt, session, name, beat, sessions is not None, now, stalled_seconds
        )
    for session in sessions or []:
        if session.name in claimed:
            continue
        found = classify_session(session, prefixes)
        if found is None or found.address in by_address:
            continue
        by_address[found.address] = _built(
            memo,
            found,
            None,
            session,
            session.name,
            heartbeats.get(session.name),
            True,
            now,
            stalled_seconds,
        )
    if memo is not None:
        memo.turn()
    rig_rank = {rig: index for index, (rig, _) in enumerate(rigs)}
    return sorted(by_address.values(), key=lambda a: _order(a, rig_rank))


def _order(agent: Agent, rig_rank: Mapping[str, int]) -> tuple[int, int, str, int, str]:
    if agent.rig is None:
        return (0, 0, "", _TOWN_ORDER.get(agent.role, 9), agent.name)
    rank = rig_rank.get(agent.rig, len(rig_rank))
    return (1, rank, agent.rig, _RIG_ORDER.get(agent.role, 9), agent.name)
