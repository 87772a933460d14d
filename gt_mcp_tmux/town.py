"""Where the Gas Town is and which tmux socket its agents live on, found the way `gt` finds them."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

#: Values of GT_TMUX_SOCKET that mean "compute it" rather than a socket name.
_AUTO_SOCKET_VALUES = {"", "default", "auto"}
_SOCKET_NAME_RE = re.compile(r"^[a-z0-9-]+-[0-9a-f]{6}$")


def sha256_hex(data: bytes) -> str:
    """SHA-256 without loading OpenSSL's hashlib (~4 MB of the collector's memory) when the
    interpreter has its own small implementation (`_sha256` before 3.12, `_sha2` after)."""
    try:
        from _sha256 import sha256  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        try:
            from _sha2 import sha256  # type: ignore[import-not-found,no-redef,unused-ignore]
        except ImportError:
            from hashlib import sha256
    return str(sha256(data).hexdigest())


@dataclass(frozen=True, slots=True)
class TownLocation:
    """A town root and how it was found (`cwd`, `GT_TOWN_ROOT`, `GT_ROOT`, `tmux:<socket>`, ...)."""

    root: Path
    found_by: str


def is_town_root(path: Path) -> bool:
    return (path / "mayor" / "town.json").is_file()


def find_town_above(start: Path) -> Path | None:
    """The outermost directory at or above `start` holding `mayor/town.json` (`gt`'s own rule).

    Without any `town.json`, falls back to the outermost directory with a bare `mayor/` folder.
    """
    outermost: Path | None = None
    outermost_bare: Path | None = None
    current = start.absolute()
    for folder in (current, *current.parents):
        mayor = folder / "mayor"
        if (mayor / "town.json").is_file():
            outermost = folder
        elif outermost is None and mayor.is_dir():
            outermost_bare = folder
    return outermost or outermost_bare


def socket_name_for(root: Path, environ: Mapping[str, str] | None = None) -> str:
    """Gas Town's tmux socket name for a town root.

    `GT_TMUX_SOCKET` wins unless it is empty, `default` or `auto`; otherwise
    `<sanitised basename>-<first 6 hex of sha256(real path)>`, e.g. `/home/user/gt` -> `gt-c78608`.
    """
    env = os.environ if environ is None else environ
    explicit = env.get("GT_TMUX_SOCKET", "")
    if explicit not in _AUTO_SOCKET_VALUES:
        return explicit
    real = os.path.realpath(root)
    base = re.sub(r"[^a-z0-9-]+", "-", os.path.basename(real).lower()).strip("-") or "default"
    digest = sha256_hex(real.encode("utf-8", "surrogateescape"))[:6]
    return f"{base}-{digest}"


def tmux_socket_dir() -> Path:
    """Where tmux keeps its sockets: `$TMUX_TMPDIR` (or /tmp) + `tmux-<uid>`."""
    return Path(os.environ.get("TMUX_TMPDIR") or "/tmp") / f"tmux-{os.getuid()}"


def town_from_tmux_servers(timeout: float = 0.5) -> TownLocation | None:
    """Ask running Gas Town tmux servers (sockets named `<name>-<hash6>`) for `GT_TOWN_ROOT`."""
    try:
        sockets = sorted(
            p.name for p in tmux_socket_dir().iterdir() if _SOCKET_NAME_RE.match(p.name)
        )
    except OSError:
        return None
    for socket in sockets:
        try:
            out = subprocess.run(
                ["tmux", "-L", socket, "show-environment", "-g", "GT_TOWN_ROOT"],
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired):
            continue
        name, _, value = out.stdout.strip().partition("=")
        if out.returncode == 0 and name == "GT_TOWN_ROOT" and value and is_town_root(Path(value)):
            return TownLocation(Path(value), f"tmux:{socket}")
    return None


def find_town(
    cwd: Path | None = None,
    environ: Mapping[str, str] | None = None,
    configured: str | None = None,
    ask_tmux: bool = True,
) -> TownLocation | None:
    """Find the town: configured root, then above cwd, `GT_TOWN_ROOT`, `GT_ROOT`, tmux, `~/gt`."""
    env = os.environ if environ is None else environ
    if configured:
        return TownLocation(Path(configured).expanduser(), "config")
    above = find_town_above(cwd or Path.cwd())
    if above is not None:
        return TownLocation(above, "cwd")
    for var in ("GT_TOWN_ROOT", "GT_ROOT"):
        value = env.get(var)
        if value and Path(value).is_dir():
            return TownLocation(Path(value), var)
    if ask_tmux:
        found = town_from_tmux_servers()
        if found is not None:
            return found
    home_gt = Path(env.get("HOME") or Path.home()) / "gt"
    if is_town_root(home_gt):
        return TownLocation(home_gt, "~/gt")
    return None
