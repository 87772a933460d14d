"""What `gt-mcp detect` (and Prefix+b) says of Gas City: gc, the supervisor, every city found."""

from __future__ import annotations

import os
from pathlib import Path

from gt_mcp_tmux import messages
from gt_mcp_tmux.config import Settings
from gt_mcp_tmux.model import CityFound, GascityFound, SourceError
from gt_mcp_tmux.passthrough import find_program
from gt_mcp_tmux.sources.gascity.api import SupervisorApi
from gt_mcp_tmux.sources.gascity.city import (
    CITY_VARIABLES,
    CityLocation,
    cities_from_tmux_servers,
    find_city,
    find_city_above,
    is_city_root,
    registered_cities,
    socket_running,
    supervisor_url,
)
from gt_mcp_tmux.sources.gascity.gc_cli import gc_command_name, gc_version


def _candidates(cwd: Path | None) -> list[tuple[Path, str]]:
    """Every city in sight, with how it was found: above here, the variables, the registry."""
    env = os.environ
    found: list[tuple[Path, str]] = []
    above = find_city_above(cwd or Path.cwd(), env)
    if above is not None:
        found.append((above, "cwd"))
    for var in CITY_VARIABLES:
        value = env.get(var, "")
        if value and is_city_root(Path(value)):
            found.append((Path(value), var))
    found += [(c.path, "registry") for c in registered_cities(env) if is_city_root(c.path)]
    found += [(root, "tmux") for root in cities_from_tmux_servers()]
    unique: dict[str, tuple[Path, str]] = {}
    for root, how in found:
        unique.setdefault(os.path.realpath(root), (root, how))
    return list(unique.values())


def detect_gascity(settings: Settings, cwd: Path | None = None) -> GascityFound:
    binary = find_program(gc_command_name())
    watched: CityLocation | None = find_city(cwd, configured=settings.city_root or None)
    version = gc_version(watched.root if watched else Path.cwd()) if binary else None
    url = supervisor_url(dict(os.environ))
    health = SupervisorApi(url, "", timeout=1.0).get("/health")
    up = not isinstance(health, SourceError)
    cities = []
    for root, how in _candidates(cwd):
        location = find_city(configured=str(root))
        assert location is not None
        is_watched = watched is not None and os.path.realpath(watched.root) == os.path.realpath(
            root
        )
        cities.append(
            CityFound(
                name=location.name,
                root=str(root),
                found_by=watched.found_by if is_watched and watched else how,
                socket=location.socket,
                server_running=socket_running(location.socket),
                watched=is_watched,
            )
        )
    hints: list[str] = []
    if watched is not None:
        if not socket_running(watched.socket):
            hints.append(messages.city_server_down(watched.socket))
        if not up:
            hints.append(f"Gas City's supervisor does not answer at {url}: `gc supervisor run`")
        if len(cities) > 1:
            hints.append(
                f"{len(cities)} cities found; watching {watched.name}."
                " Choose with `set -g @gtmcp-city-root <folder or name>`"
            )
    elif binary is not None:
        hints.append(messages.NO_CITY)
    return GascityFound(binary, version, url, up, cities, hints)
