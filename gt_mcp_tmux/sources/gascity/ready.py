"""A city's ready work (the sling picker's beads): the supervisor's `/beads/ready`."""

from __future__ import annotations

from gt_mcp_tmux.model import GasCity, ReadyBead, SourceError
from gt_mcp_tmux.sources.gascity.api import SupervisorApi
from gt_mcp_tmux.sources.gascity.records import parse_ready


def read_city_ready(city: GasCity, timeout: float = 5.0) -> list[ReadyBead] | SourceError:
    if not city.api_url or not city.city:
        return SourceError("city_ready", "not_found", "no Gas City supervisor known")
    api = SupervisorApi(city.api_url, city.city, timeout=timeout)
    return parse_ready(api.get_city("beads/ready", "city_ready"), "city_ready")
