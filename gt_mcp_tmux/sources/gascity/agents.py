"""A city's agents as the same `Agent` records a town's are: one per live session of the city.

The supervisor's sessions say who each one is (template, alias, rig) and its state; the city's
tmux server says whether its agent really runs (gc keeps `remain-on-exit` on: a crashed agent's
pane stays, dead). Without the supervisor and `gc`, a tmux session's `GC_*` variables say who.

Status (see the README's Gas City section):
- `dead`: quarantined (gc gave up restarting it: state `quarantined`, or, in 0.15.1, state
  `creating` with reason `quarantine`), or its pane is dead (the agent exited: gc keeps
  `remain-on-exit` on and says `asleep` until it restarts it), or crash-looping now (woken again and
  again with no stop between: see `CRASH_LOOP_WAKES`; its `state` says `crash-loop`);
- `working`: running, with tmux activity in the last `WORKING_SECONDS`;
- `idle`: running, quiet;
- `stopped`: asleep, suspended, draining or gone (Gas City's own rest states).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from gt_mcp_tmux.model import Agent, AgentStatus
from gt_mcp_tmux.sources.gascity.records import CitySession
from gt_mcp_tmux.sources.gastown.tmux_server import GtSession

#: A running agent whose pane changed in this many seconds is working (the agents' TUIs redraw
#: while they think; an idle prompt is still).
WORKING_SECONDS = 90.0
#: Wakes of one session within `CRASH_LOOP_WINDOW` that make a crash loop (Gas City writes no
#: crash event in 0.15.1: its controller restarts the session, `session.woke` each time).
CRASH_LOOP_WAKES = 3
CRASH_LOOP_WINDOW = 600.0
#: A session up this long since its last start is no longer looping (gc restarts a crashing
#: agent every 25-30 s with a 5 s patrol: a looping session never lives this long).
SETTLED_SECONDS = 60.0
_RESTING = ("asleep", "suspended", "draining")


def session_from_env(session: GtSession) -> CitySession | None:
    """Who a tmux session is, from its `GC_*` variables (None: not a city agent's session)."""
    env = session.env
    template = env.get("GC_TEMPLATE", "")
    if not template:
        return None
    return CitySession(
        id=env.get("GC_SESSION_ID", ""),
        template=template,
        state="active",
        session_name=session.name,
        alias=env.get("GC_ALIAS") or env.get("GC_AGENT", ""),
        rig=env.get("GC_RIG") or None,
        origin=env.get("GC_SESSION_ORIGIN", ""),
    )


def city_status(
    city_session: CitySession,
    tmux: GtSession | None,
    sessions_known: bool,
    crash_looping: bool,
    now: float,
) -> tuple[bool, AgentStatus]:
    """(running, status) of one session."""
    if sessions_known:
        running = tmux is not None and tmux.agent_alive
    else:
        running = bool(city_session.running)
    state = city_session.state
    if city_session.quarantined or crash_looping:
        return running, "dead"
    if sessions_known and tmux is not None and not tmux.agent_alive:
        # its agent died and gc's remain-on-exit kept the pane (gc calls it `asleep` until the
        # controller restarts it; a session put to sleep on purpose has no pane left)
        return False, "dead"
    if state in _RESTING or state == "closed" or not running:
        return running, "stopped"
    activity = tmux.activity if tmux is not None else (city_session.last_active or 0.0)
    return True, "working" if now - activity < WORKING_SECONDS else "idle"


def merge_city_agents(
    api_sessions: list[CitySession] | None,
    tmux_sessions: Iterable[GtSession],
    sessions_known: bool,
    crash_loops: Mapping[str, int],
    now: float,
    controller_running: bool | None = None,
) -> list[Agent]:
    """One Agent per session the supervisor lists (or, without it, per city tmux session).
    `controller_running` False: the city was stopped (`gc stop`), its agents are stopped, not
    dead."""
    by_name = {s.name: s for s in tmux_sessions}
    known: list[CitySession]
    if api_sessions is not None:
        known = list(api_sessions)
        listed = {s.session_name for s in known}
        # a session the supervisor does not list yet (just started) still counts
        known += [
            found
            for name, tmux in by_name.items()
            if name not in listed
            and tmux.agent_alive  # a dead pane the supervisor no longer lists: a leftover
            and (found := session_from_env(tmux)) is not None
        ]
    else:
        known = [found for tmux in by_name.values() if (found := session_from_env(tmux))]
    agents = []
    for city_session in known:
        tmux = by_name.get(city_session.session_name)
        names = {city_session.address, city_session.session_name}  # one name, often
        wakes = sum(crash_loops.get(name, 0) for name in names)
        # a restart that has stayed up a while is a recovery, not the loop going on
        settled = tmux is not None and tmux.agent_alive and now - tmux.created > SETTLED_SECONDS
        looping = wakes >= CRASH_LOOP_WAKES and not settled
        running, status = city_status(city_session, tmux, sessions_known, looping, now)
        if controller_running is False and status == "dead":
            status = "stopped"
        activity = tmux.activity if tmux is not None else None
        agents.append(
            Agent(
                address=city_session.address,
                name=city_session.address.rsplit("/", 1)[-1],
                role=city_session.role,
                rig=city_session.rig,
                session=city_session.session_name,
                running=running,
                state=_shown_state(city_session, looping),
                status=status,
                last_activity=activity or city_session.last_active,
                agent_info=city_session.template,
                pane_command=tmux.pane_command if tmux is not None else None,
            )
        )
    return sorted(agents, key=_order)


_ROLE_RANK = {"mayor": 0, "deacon": 1, "witness": 2, "refinery": 3, "polecat": 5}


def _order(agent: Agent) -> tuple[int, str, int, str]:
    city_wide = 0 if agent.rig is None else 1
    return city_wide, agent.rig or "", _ROLE_RANK.get(agent.role, 4), agent.address


def _shown_state(city_session: CitySession, looping: bool) -> str | None:
    """The state word worth showing: none for an ordinary active session."""
    if city_session.quarantined:
        return "quarantined"
    if looping:
        return "crash-loop"
    state = city_session.state
    return None if state in ("active", "awake") else state
