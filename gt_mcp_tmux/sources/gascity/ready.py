"""A city's ready work (the sling picker's beads): the supervisor's `/beads/ready` (the city's
store), and each rig's own `bd ready --json` (in gc 0.15.1 the API keeps a rig's store as it was
when the controller last loaded its config, so a rig's newer beads are missing there).

A rig's bead carries the rig's name as its `source`: `gc sling` runs in that rig's folder (bead
ids of different stores may be the same text)."""

from __future__ import annotations

import json

from gt_mcp_tmux.model import GasCity, ReadyBead, SourceError
from gt_mcp_tmux.passthrough import find_program
from gt_mcp_tmux.proc import TimedOut, run_bounded
from gt_mcp_tmux.sources.gascity.api import SupervisorApi
from gt_mcp_tmux.sources.gascity.records import parse_ready


def _rig_ready(name: str, path: str, timeout: float) -> list[ReadyBead]:
    bd = find_program("bd")
    if bd is None:
        return []
    try:
        done = run_bounded([bd, "ready", "--json"], timeout, cwd=path)
    except (TimedOut, OSError):
        return []
    try:
        data = json.loads(done.stdout) if done.returncode == 0 else []
    except (ValueError, RecursionError):
        return []
    beads = parse_ready(data, "city_ready")
    if isinstance(beads, SourceError):
        return []
    return [ReadyBead(b.id, b.title, b.priority, name, b.issue_type) for b in beads]


def read_city_ready(city: GasCity, timeout: float = 5.0) -> list[ReadyBead] | SourceError:
    if not city.api_url or not city.city:
        return SourceError("city_ready", "not_found", "no Gas City supervisor known")
    api = SupervisorApi(city.api_url, city.city, timeout=timeout)
    found = parse_ready(api.get_city("beads/ready", "city_ready"), "city_ready")
    rigs = [
        bead for rig in city.rigs if rig.path for bead in _rig_ready(rig.name, rig.path, timeout)
    ]
    if isinstance(found, SourceError):
        return rigs or found
    # the API may list a rig's beads too (an older copy): the rig's own answer wins
    in_rigs = {(b.id, b.title) for b in rigs}
    return rigs + [b for b in found if (b.id, b.title) not in in_rigs]
