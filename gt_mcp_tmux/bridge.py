"""Join Gas Town and Agent Mail by path: which mail project is which rig, and which agent works there.

An Agent Mail project's `human_key` is an absolute path. It is linked when it lies in the town:
`<town>/<rig>/polecats/<name>/...` is that polecat, `<town>/<rig>/crew/<name>/...` that crew member,
`<town>/<rig>/refinery/...` and `<town>/<rig>/witness/...` those agents, anything else under
`<town>/<rig>` (the canonical clone `mayor/rig` included) the rig alone, and anything else in the
town the town itself (no rig; `<town>/mayor` and `<town>/deacon` name those agents). A path in a
rig's folder (`Rig.path`) counts as in the rig; one equal to or under the rig's own repository
(`Rig.repo`) links to the rig alone. Agents are named only when Gas Town knows them
(`GasTown.agents`), so a stale worktree of a removed polecat links to its rig, not to a ghost.
Projects elsewhere stay unlinked.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from gt_mcp_tmux.model import Agent, AgentMail, Bridge, BridgeLink, GasTown, Rig


def _norm(path: str) -> str:
    return os.path.normpath(path) if path else ""


def _relative_parts(path: str, base: str) -> list[str] | None:
    """`path` split below `base`, or None when it is not inside (or equal to) `base`."""
    if not path or not base or not os.path.isabs(path) or not os.path.isabs(base):
        return None
    if path == base:
        return []
    prefix = base.rstrip(os.sep) + os.sep
    if not path.startswith(prefix):
        return None
    return [part for part in path[len(prefix) :].split(os.sep) if part]


def _town_roots(root: str) -> list[str]:
    roots = [_norm(root)]
    real = os.path.realpath(root)
    if real not in roots:
        roots.append(real)
    return roots


def _find_agent(agents: Sequence[Agent], rig: str, kind: str, name: str | None) -> str | None:
    """The address of the known agent a path names (`polecats/<name>`, `crew/<name>`, ...)."""
    if kind == "polecats" and name:
        wanted, role = {f"{rig}/{name}", f"{rig}/polecats/{name}"}, "polecat"
    elif kind == "crew" and name:
        wanted, role = {f"{rig}/crew/{name}"}, "crew"
    elif kind in ("refinery", "witness"):
        wanted, role, name = {f"{rig}/{kind}"}, kind, kind
    else:
        return None
    for agent in agents:
        if agent.address.rstrip("/") in wanted:
            return agent.address
    for agent in agents:
        if agent.rig == rig and agent.name == name and agent.role == role:
            return agent.address
    return None


def _link_in_rig(project: str, rig: str, parts: list[str], agents: Sequence[Agent]) -> BridgeLink:
    kind = parts[0] if parts else ""
    name = parts[1] if len(parts) > 1 else None
    return BridgeLink(project=project, rig=rig, agent=_find_agent(agents, rig, kind, name))


def _town_agent(agents: Sequence[Agent], folder: str) -> str | None:
    """`<town>/mayor` and `<town>/deacon` are where the town-level agents work."""
    for agent in agents:
        if agent.rig is None and agent.address.rstrip("/") == folder:
            return agent.address
    return None


def _link_one(project: str, key: str, gastown: GasTown, roots: list[str]) -> BridgeLink | None:
    rigs: dict[str, Rig] = {rig.name: rig for rig in gastown.rigs}
    inside_town: list[str] | None = None
    for root in roots:
        parts = _relative_parts(key, root)
        if parts is None:
            continue
        if parts and parts[0] in rigs:
            return _link_in_rig(project, parts[0], parts[1:], gastown.agents)
        inside_town = parts
    for rig in gastown.rigs:
        parts = _relative_parts(key, _norm(rig.path or ""))
        if parts is not None:
            return _link_in_rig(project, rig.name, parts, gastown.agents)
        if _relative_parts(key, _norm(rig.repo or "")) is not None:
            return BridgeLink(project=project, rig=rig.name)  # its folders are source, not agents
    if inside_town is None:
        return None
    folder = inside_town[0] if inside_town else ""
    return BridgeLink(project=project, agent=_town_agent(gastown.agents, folder))


def link(gastown: GasTown, mail: AgentMail) -> Bridge:
    """How the two sides join; `state` is linked|unlinked|partial|down, `errors` says what is missing."""
    errors = []
    town_up = bool(gastown.root)
    mail_up = mail.state == "ok"
    if not town_up:
        errors.append("Gas Town: town not found")
    if not mail_up:
        detail = f": {mail.error}" if mail.error else ""
        errors.append(f"Agent Mail: {mail.state}{detail}")
    if not town_up and not mail_up:
        return Bridge(state="down", errors=errors)
    if not (town_up and mail_up):
        return Bridge(state="partial", errors=errors)
    roots = _town_roots(gastown.root or "")
    links = []
    for project in mail.projects:
        found = _link_one(project.slug, _norm(project.human_key), gastown, roots)
        if found is not None:
            links.append(found)
    return Bridge(state="linked" if links else "unlinked", links=links)
