"""Where the Gas City is, what it is called and where its supervisor and tmux server listen,
found the way `gc` finds them (Gas City's city_discovery.go, at v0.15.1).

The order: the configured root (or a registered name), the nearest `city.toml` above the
current folder (innermost, searched up to `$HOME` or `GC_CEILING_DIRECTORIES` and never past it;
a bare `.gc/` folder is the fallback), `GC_CITY` / `GC_CITY_PATH` / `GC_CITY_ROOT`, then the
user's registry (`${GC_HOME:-~/.gc}/cities.toml`): the cities whose tmux server runs first;
else a running tmux server whose sessions carry `GC_CITY` (`found_by` `tmux`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gt_mcp_tmux.config import toml_loads
from gt_mcp_tmux.sources.gastown.town import gastown_socket_dirs, socket_answers

CITY_FILE = "city.toml"
#: The supervisor's port when `supervisor.toml` does not say (Gas City's default).
DEFAULT_SUPERVISOR_PORT = 8372
CITY_VARIABLES = ("GC_CITY", "GC_CITY_PATH", "GC_CITY_ROOT")
#: A city file bigger than this is not read (it is a few kilobytes).
_MAX_TOML = 1024 * 1024


@dataclass(frozen=True, slots=True)
class CityLocation:
    """A city folder and how it was found (`config`, `cwd`, `GC_CITY`, `registry`, ...).

    `others`: further cities of the user (the registry), not watched: `@gtmcp-city-root` chooses.
    """

    root: Path
    name: str
    found_by: str
    socket: str
    others: tuple[Path, ...] = ()
    #: The supervisor that serves it (`$GC_HOME/supervisor.toml` of the environment it was
    #: found in: a tmux server's `GC_HOME` counts as the user's).
    api_url: str = f"http://127.0.0.1:{DEFAULT_SUPERVISOR_PORT}"


@dataclass(frozen=True, slots=True)
class Registered:
    name: str
    path: Path


def read_toml(path: Path) -> dict[str, Any]:
    """A TOML file as a dict; {} when it is missing, too big or not TOML (never raises)."""
    try:
        with path.open("rb") as fh:
            raw = fh.read(_MAX_TOML + 1)
        if len(raw) > _MAX_TOML:
            return {}
        return toml_loads(raw.decode("utf-8"))
    except (OSError, ValueError):  # UnicodeDecodeError and TOMLDecodeError too
        return {}


def _table(data: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = data.get(name)
    return value if isinstance(value, Mapping) else {}


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def is_city_root(path: Path) -> bool:
    return (path / CITY_FILE).is_file()


def gc_home(environ: Mapping[str, str]) -> Path:
    configured = environ.get("GC_HOME", "")
    if configured:
        return Path(configured).expanduser()
    return Path(environ.get("HOME") or Path.home()) / ".gc"


def _ceilings(environ: Mapping[str, str]) -> list[Path]:
    raw = environ.get("GC_CEILING_DIRECTORIES", "").strip()
    if raw:
        return [Path(p).absolute() for p in raw.split(os.pathsep) if p.strip()]
    home = environ.get("HOME") or str(Path.home())
    return [Path(home).absolute()] if home else []


def find_city_above(start: Path, environ: Mapping[str, str]) -> Path | None:
    """The innermost folder at or above `start` with a `city.toml` (a ceiling is searched, never
    crossed); else the innermost with a `.gc/` folder (not /tmp's, not GC_HOME's)."""
    ceilings = set(_ceilings(environ))
    ignored = {Path("/tmp"), gc_home(environ).parent}
    legacy: Path | None = None
    current = start.absolute()
    for folder in (current, *current.parents):
        if is_city_root(folder):
            return folder
        if legacy is None and folder not in ignored and (folder / ".gc").is_dir():
            legacy = folder
        if folder in ceilings:
            break
    return legacy


def registered_cities(environ: Mapping[str, str]) -> list[Registered]:
    """The user's cities as `gc cities` lists them (`$GC_HOME/cities.toml`)."""
    data = read_toml(gc_home(environ) / "cities.toml")
    entries = data.get("cities")
    found: list[Registered] = []
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, Mapping):
            continue
        path = _text(entry.get("path"))
        if path:
            found.append(Registered(_text(entry.get("name")) or Path(path).name, Path(path)))
    return found


def city_name(root: Path, environ: Mapping[str, str]) -> str:
    """`[workspace] name` of city.toml, else the registry's name for the folder, else its name."""
    name = _text(_table(read_toml(root / CITY_FILE), "workspace").get("name"))
    if name:
        return name
    for entry in registered_cities(environ):
        if os.path.realpath(entry.path) == os.path.realpath(root):
            return entry.name
    return root.name


def city_socket(root: Path, name: str) -> str:
    """The city's tmux socket name: `[session] socket` of city.toml, else the city's name (gc
    neither hashes nor sanitises it)."""
    socket = _text(_table(read_toml(root / CITY_FILE), "session").get("socket"))
    return socket or name


def socket_running(socket: str) -> bool:
    """A tmux server answers on that socket where gc's servers live (gc, like gt, ignores
    TMUX_TMPDIR)."""
    return any(socket_answers(folder / socket) for folder in gastown_socket_dirs())


def supervisor_url(environ: Mapping[str, str]) -> str:
    """The supervisor's API base: `[supervisor] bind`/`port` of `$GC_HOME/supervisor.toml`."""
    table = _table(read_toml(gc_home(environ) / "supervisor.toml"), "supervisor")
    port = table.get("port")
    port = port if isinstance(port, int) and 0 < port < 65536 else DEFAULT_SUPERVISOR_PORT
    bind = _text(table.get("bind"))
    host = "127.0.0.1" if bind in ("", "0.0.0.0", "localhost") else bind
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}"


#: In a city session's environment: the server is `gt-mcp demo`'s, never the user's city
#: (the demo's own collector is told where its city is; nobody else's may pick it up).
DEMO_MARK = "GTMCP_DEMO=1"


def cities_from_tmux_servers(timeout: float = 0.5) -> list[Path]:
    """Cities whose tmux servers run though no registry lists them: a live server whose
    sessions carry `GC_CITY` naming a city folder (any name: a city's may look like Gas Town's
    `<name>-<6 hex>`), the demo's excepted (`DEMO_MARK`). One tmux call per live server; dead
    sockets cost a connect."""
    from gt_mcp_tmux.sources.tmux.runner import run_tmux

    found: list[Path] = []
    for folder in gastown_socket_dirs():
        try:
            entries = sorted(folder.iterdir())
        except OSError:
            continue
        for path in entries:
            if not socket_answers(path):
                continue  # tmux leaves dead sockets behind: a connect, not a fork, says so
            # the whole environment: asking for a missing name logs "unknown variable" in
            # that server's message log
            done = run_tmux(["-S", str(path), "show-environment"], timeout=timeout)
            lines = done.stdout.splitlines() if done is not None and done.returncode == 0 else []
            if DEMO_MARK in lines:
                continue
            value = next((ln[len("GC_CITY=") :] for ln in lines if ln.startswith("GC_CITY=")), "")
            if value:
                root = Path(value)
                if is_city_root(root) and root not in found:
                    found.append(root)
    return found


def _gc_installed(environ: Mapping[str, str]) -> bool:
    """A Gas City user has `gc` (or `GT_MCP_GC`): only then are tmux servers asked for one."""
    from gt_mcp_tmux.passthrough import find_program

    return find_program(environ.get("GT_MCP_GC") or "gc", dict(environ)) is not None


def _location(
    root: Path, found_by: str, environ: Mapping[str, str], others: tuple[Path, ...] = ()
) -> CityLocation:
    name = city_name(root, environ)
    socket = city_socket(root, name)
    return CityLocation(root, name, found_by, socket, others, supervisor_url(environ))


def _by_name(wanted: str, environ: Mapping[str, str]) -> Path | None:
    for entry in registered_cities(environ):
        if entry.name == wanted:
            return entry.path
    return None


def find_city(
    cwd: Path | None = None,
    environ: Mapping[str, str] | None = None,
    configured: str | None = None,
    ask_tmux: bool = True,
) -> CityLocation | None:
    """Find the city to watch (see the module's docstring for the order); `ask_tmux`: with
    nothing else found, the running tmux servers whose sessions name a city (a city no registry
    lists, e.g. started under another GC_HOME)."""
    env = os.environ if environ is None else environ
    if configured:
        path = Path(configured).expanduser()
        if not path.is_absolute() and not is_city_root(path):
            path = _by_name(configured, env) or path
        return _location(path.absolute(), "config", env)
    if cwd is None:
        from gt_mcp_tmux.sources.gastown.town import logical_cwd

        cwd = logical_cwd()
    above = find_city_above(cwd, env)
    if above is not None:
        return _location(above, "cwd", env)
    for var in CITY_VARIABLES:
        value = env.get(var, "")
        if value and is_city_root(Path(value)):
            return _location(Path(value), var, env)
    registered = [c for c in registered_cities(env) if is_city_root(c.path)]
    if not registered:
        running = cities_from_tmux_servers() if ask_tmux and _gc_installed(env) else []
        if not running:
            return None
        first = _location(running[0], "tmux", env, tuple(running[1:]))
        return first
    # a city whose tmux server runs is the one worth watching; the rest are said, not watched
    located = [_location(c.path, "registry", env) for c in registered]
    located.sort(key=lambda c: not socket_running(c.socket))
    first, rest = located[0], tuple(c.root for c in located[1:])
    return CityLocation(first.root, first.name, first.found_by, first.socket, rest, first.api_url)
