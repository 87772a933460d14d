"""Who is looking at which agent: a client attached to an agent's session sees it.

A town's and a city's sessions come with their attached-client count (`session_attached`, read in the one
`list-panes -a` every cycle already makes), so knowing where people look costs no process. A
client attached to an agent's session acknowledges that agent's alerts, as jumping there does; a
bell about that agent is not rung at a client that is looking at it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

from gt_mcp_tmux.model import Agent, Alert, TmuxSession


class Fleet(Protocol):
    """A town's or a city's agents and sessions, on the tmux server `socket`."""

    @property
    def agents(self) -> list[Agent]: ...

    @property
    def sessions(self) -> list[TmuxSession]: ...

    @property
    def socket(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class Fleets:
    """A town and a city seen as one fleet (whose alert is about which session)."""

    agents: list[Agent] = field(default_factory=list)
    sessions: list[TmuxSession] = field(default_factory=list)
    socket: str | None = None


def joined(*fleets: Fleet) -> Fleets:
    return Fleets(
        [a for f in fleets for a in f.agents],
        [s for f in fleets for s in f.sessions],
        fleets[0].socket if fleets else None,
    )


def watched_sessions(town: Fleet) -> frozenset[str]:
    """Gas Town's sessions with at least one client attached (whoever's client it is)."""
    return frozenset(session.name for session in town.sessions if session.attached > 0)


def alert_session(alert: Alert, town: Fleet) -> str | None:
    """The tmux session of the agent an alert is about (its address or its session names it);
    None for an alert about no agent (ESTOP, a conflict, Agent Mail down)."""
    if not alert.agent:
        return None
    for agent in town.agents:
        if alert.agent in (agent.address, agent.session):
            return agent.session
    known = {session.name for session in town.sessions}
    return alert.agent if alert.agent in known else None


def looked_at(alerts: Iterable[Alert], town: Fleet) -> list[str]:
    """The ids of the alerts whose agent's session someone is attached to now."""
    watched = watched_sessions(town)
    if not watched:
        return []
    return [a.id for a in alerts if (alert_session(a, town) or "") in watched]


def watched_elsewhere(town: Fleet, socket_path: str) -> frozenset[str]:
    """Sessions looked at from Gas Town's server when that is not the collector's own: a jump's
    popup, another terminal (whose client tmux cannot tell, so no client of ours is rung for
    them). On Gas Town's own server each client's session says it: nothing here."""
    if town.socket is None or os.path.basename(socket_path) == town.socket:
        return frozenset()
    return watched_sessions(town)
