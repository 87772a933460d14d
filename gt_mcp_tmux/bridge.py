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

A Gas City is joined the same way by path (its folder and its rigs' folders); and where the
city's mail backend is Agent Mail itself (`GC_MAIL=exec:...gc-mail-mcp-agent-mail`), its agents
ARE Agent Mail agents: an Agent Mail agent named like a city agent (its name, or the gc name its
task description holds) is joined to that agent by identity, wherever the project lives.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import replace

from gt_mcp_tmux.model import (
    Agent,
    AgentMail,
    Bridge,
    BridgeLink,
    GasCity,
    GasTown,
    MailProject,
    Rig,
)


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


def _link_one(
    project: str, key: str, rigs: list[Rig], agents: list[Agent], roots: list[str]
) -> BridgeLink | None:
    by_name: dict[str, Rig] = {rig.name: rig for rig in rigs}
    inside_town: list[str] | None = None
    for root in roots:
        parts = _relative_parts(key, root)
        if parts is None:
            continue
        if parts and parts[0] in by_name:
            return _link_in_rig(project, parts[0], parts[1:], agents)
        inside_town = parts
    for rig in rigs:
        parts = _relative_parts(key, _norm(rig.path or ""))
        if parts is not None:
            return _link_in_rig(project, rig.name, parts, agents)
        if _relative_parts(key, _norm(rig.repo or "")) is not None:
            return BridgeLink(project=project, rig=rig.name)  # its folders are source, not agents
    if inside_town is None:
        return None
    folder = inside_town[0] if inside_town else ""
    return BridgeLink(project=project, agent=_town_agent(agents, folder))


def _city_identities(project: MailProject, city: GasCity) -> list[BridgeLink]:
    """City agents that are this project's Agent Mail agents (Gas City's mail backend)."""
    names: dict[str, Agent] = {}
    for agent in city.agents:
        for alias in (agent.address, agent.session or "", agent.name):
            if alias:
                names.setdefault(alias.lower(), agent)
    found = []
    for mail_agent in project.agents:
        wanted = (mail_agent.name, mail_agent.task_description.strip())
        match = next((names[w.lower()] for w in wanted if w and w.lower() in names), None)
        if match is not None:
            found.append(
                BridgeLink(project.slug, match.rig, match.address, "gascity", by="identity")
            )
    return found


def _city_links(mail: AgentMail, city: GasCity) -> list[BridgeLink]:
    roots = _town_roots(city.root or "")
    links: list[BridgeLink] = []
    for project in mail.projects:
        identities = _city_identities(project, city)
        if identities:
            links += identities
            continue
        found = _link_one(project.slug, _norm(project.human_key), city.rigs, city.agents, roots)
        if found is not None:
            links.append(replace(found, orchestrator="gascity"))
    return links


def link(gastown: GasTown, mail: AgentMail, gascity: GasCity | None = None) -> Bridge:
    """How the sides join; `state` is linked|unlinked|partial|down, `errors` says what is missing."""
    errors = []
    city_up = gascity is not None and bool(gascity.root)
    orchestrator_up = bool(gastown.root) or city_up
    mail_up = mail.state == "ok"
    if not orchestrator_up:
        errors.append("Gas Town: town not found")
    if not mail_up:
        detail = f": {mail.error}" if mail.error else ""
        errors.append(f"Agent Mail: {mail.state}{detail}")
    if not orchestrator_up and not mail_up:
        return Bridge(state="down", errors=errors)
    if not (orchestrator_up and mail_up):
        return Bridge(state="partial", errors=errors)
    links = []
    if gastown.root:
        roots = _town_roots(gastown.root)
        for project in mail.projects:
            key = _norm(project.human_key)
            found = _link_one(project.slug, key, gastown.rigs, gastown.agents, roots)
            if found is not None:
                links.append(found)
    if gascity is not None and city_up:
        links += _city_links(mail, gascity)
    return Bridge(state="linked" if links else "unlinked", links=links)
