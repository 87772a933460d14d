"""Snapshots of a fleet of any size for the benchmarks: the test views' busy town, its polecats
copied until the town has `agents` agents (and as many tmux sessions)."""

from __future__ import annotations

import dataclasses
import itertools

from gt_mcp_tmux.model import Snapshot, TmuxSession
from tests.viewkit import busy_town


def fleet(agents: int) -> Snapshot:
    base = busy_town()
    town = base.gastown
    assert town is not None
    polecats = [agent for agent in town.agents if agent.role == "polecat"]
    others = [agent for agent in town.agents if agent.role != "polecat"]
    copies = [
        dataclasses.replace(
            template,
            address=f"rig{n // 20:02d}/p{n:04d}",
            name=f"p{n:04d}",
            rig=f"rig{n // 20:02d}",
            session=f"gt-p{n:04d}",
        )
        for n, template in zip(range(max(agents - len(others), 0)), itertools.cycle(polecats))
    ]
    sessions = [TmuxSession(agent.session or agent.name) for agent in [*others, *copies]]
    return dataclasses.replace(
        base, gastown=dataclasses.replace(town, agents=[*others, *copies], sessions=sessions)
    )
