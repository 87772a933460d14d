"""Where the Gas Town is and which tmux socket its agents live on, found the way `gt` finds them."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from gt_mcp_tmux.private_files import sha256_hex
from gt_mcp_tmux.sources.tmux.runner import run_tmux

#: Values of GT_TMUX_SOCKET that mean "compute it" rather than a socket name.
_AUTO_SOCKET_VALUES = {"", "default", "auto"}
_SOCKET_NAME_RE = re.compile(r"^[a-z0-9-]+-[0-9a-f]{6}$")


@dataclass(frozen=True, slots=True)
class TownLocation:
    """A town root and how it was found (`cwd`, `GT_TOWN_ROOT`, `GT_ROOT`, `tmux:<socket>`, ...).

    `others`: further towns whose tmux servers run (found the same way), not watched: when
    several are up, which one is watched is said, and `@gtmcp-town-root` chooses.
    """

    root: Path
    found_by: str
    others: tuple[Path, ...] = ()


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


def explicit_socket(environ: Mapping[str, str] | None = None) -> str | None:
    """`GT_TMUX_SOCKET` when it names a socket (gt's rule: empty, `default` and `auto` mean
    "compute it from the town root"), else None. The one place that rule lives."""
    env = os.environ if environ is None else environ
    value = env.get("GT_TMUX_SOCKET", "")
    return None if value in _AUTO_SOCKET_VALUES else value


def socket_name_for(root: Path, environ: Mapping[str, str] | None = None) -> str:
    """Gas Town's tmux socket name for a town root.

    `GT_TMUX_SOCKET` wins unless it is empty, `default` or `auto`; otherwise
    `<sanitised basename>-<first 6 hex of sha256(real path)>`, e.g. `/home/user/gt` -> `gt-c78608`.
    """
    explicit = explicit_socket(environ)
    if explicit is not None:
        return explicit
    # gt names the socket after the root as it found it (a symlink's own name: it never resolves
    # the path it walks up from) and hashes the real path
    real = os.path.realpath(root)
    shown = os.path.basename(os.path.normpath(os.path.abspath(root)))
    base = re.sub(r"[^a-z0-9-]+", "-", shown.lower()).strip("-") or "default"
    digest = sha256_hex(real.encode("utf-8", "surrogateescape"))[:6]
    return f"{base}-{digest}"


def logical_cwd() -> Path:
    """The current folder as the shell names it: `$PWD` when it is this folder (a symlinked
    path is kept, as Go's os.Getwd keeps it for gt), else the resolved path."""
    here = os.getcwd()
    pwd = os.environ.get("PWD", "")
    if pwd and os.path.isabs(pwd):
        try:
            if os.path.samefile(pwd, here):
                return Path(pwd)
        except OSError:
            pass
    return Path(here)


def tmux_socket_dir() -> Path:
    """Where tmux keeps its sockets: `$TMUX_TMPDIR` (or /tmp) + `tmux-<uid>`."""
    return Path(os.environ.get("TMUX_TMPDIR") or "/tmp") / f"tmux-{os.getuid()}"


def gastown_socket_dirs() -> list[Path]:
    """Where a Gas Town server's socket may be: gt itself ignores `TMUX_TMPDIR` (its servers are
    always under /tmp/tmux-<uid>, or `GT_MCP_GT_SOCKET_DIR` when set), while a server started by
    plain `tmux -L` honours it."""
    override = os.environ.get("GT_MCP_GT_SOCKET_DIR", "")
    dirs = [Path(override) if override else Path("/tmp") / f"tmux-{os.getuid()}"]
    if tmux_socket_dir() not in dirs:
        dirs.append(tmux_socket_dir())
    return dirs


def socket_answers(path: Path | str) -> bool:
    """A tmux server listens on this socket (a file alone proves nothing: tmux leaves its socket
    behind after `kill-server`, and a machine restored from a snapshot keeps dead ones)."""
    import socket as sockets

    probe = sockets.socket(sockets.AF_UNIX, sockets.SOCK_STREAM)
    probe.settimeout(0.2)
    try:
        probe.connect(str(path))
    except OSError:
        return False
    finally:
        probe.close()
    return True


def gastown_socket_path(socket: str) -> str:
    """The path of a Gas Town (or Gas City) server's socket: the first of `gastown_socket_dirs`
    that has it, a live one first when several do (else where `tmux -L` would look)."""
    found = [folder / socket for folder in gastown_socket_dirs() if (folder / socket).exists()]
    if len(found) > 1:
        found = [path for path in found if socket_answers(path)] or found
    return str(found[0]) if found else str(tmux_socket_dir() / socket)


def live_socket_name(root: Path, environ: Mapping[str, str] | None = None) -> str:
    """The socket of the town's running server: `socket_name_for(root)`, unless no server has
    that name and one with the same real-path hash runs under another name (the town started
    from its real path, looked at through a symlink, or the other way round). Following it beats
    telling the user to `gt up` a second copy of a running town."""
    wanted = socket_name_for(root, environ)
    if not _SOCKET_NAME_RE.match(wanted):
        return wanted  # an explicit GT_TMUX_SOCKET
    if any((folder / wanted).exists() for folder in gastown_socket_dirs()):
        return wanted
    digest = wanted.rsplit("-", 1)[-1]
    for folder in gastown_socket_dirs():
        try:
            same = sorted(p.name for p in folder.iterdir() if p.name.endswith("-" + digest))
        except OSError:
            continue
        if same and _SOCKET_NAME_RE.match(same[0]):
            return same[0]
    return wanted


@dataclass(slots=True)
class _Asked:
    """What a live server said when asked last: no town, and when to ask again."""

    stamp: tuple[int, int]  # (inode, mtime_ns) of its socket: a new server makes a new one
    next_at: float
    every: float


class SocketScan:
    """Remembers the Gas Town-named sockets asked before, so that a search every 10 s forks no
    `tmux` for nothing new.

    A socket file whose server does not answer (tmux leaves it behind after `kill-server`) costs
    one connect(), never a fork. A live server that holds no town is asked again when its socket
    changes (a new server under that name) or after a back-off that doubles from `first` to
    `longest` seconds (a `GT_TOWN_ROOT` set later with `set-environment`).
    """

    def __init__(
        self,
        first: float = 10.0,
        longest: float = 160.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.first, self.longest, self.clock = first, longest, clock
        self._asked: dict[str, _Asked] = {}

    def should_ask(self, path: Path, stamp: tuple[int, int]) -> bool:
        asked = self._asked.get(str(path))
        return asked is None or asked.stamp != stamp or self.clock() >= asked.next_at

    def no_town(self, path: Path, stamp: tuple[int, int]) -> None:
        asked = self._asked.get(str(path))
        every = self.first if asked is None or asked.stamp != stamp else asked.every * 2
        every = min(every, self.longest)
        self._asked[str(path)] = _Asked(stamp, self.clock() + every, every)

    def forget(self, path: Path) -> None:
        self._asked.pop(str(path), None)


def towns_from_tmux_servers(
    timeout: float = 0.5, scan: SocketScan | None = None
) -> list[TownLocation]:
    """Towns whose Gas Town tmux servers run (sockets named `<name>-<hash6>` that hold a
    `GT_TOWN_ROOT` naming a town), most recently started server first.

    Only a socket whose server answers a connect() is asked (`tmux show-environment`); with a
    `scan`, a live server that held no town is asked again only as `SocketScan` says."""
    found: list[tuple[float, str, Path]] = []
    for folder in gastown_socket_dirs():
        try:
            entries = [p for p in folder.iterdir() if _SOCKET_NAME_RE.match(p.name)]
        except OSError:
            continue
        for path in entries:
            try:
                info = path.stat()
            except OSError:
                continue
            stamp = (info.st_ino, info.st_mtime_ns)
            if scan is not None and not scan.should_ask(path, stamp):
                continue
            if not socket_answers(path):
                if scan is not None:
                    scan.forget(path)  # stale: a connect() each time, and asked once it answers
                continue
            root = _town_of_server(path, timeout)
            if root is not None:
                found.append((info.st_mtime, path.name, root))
            elif scan is not None:
                scan.no_town(path, stamp)
    found.sort(key=lambda item: (-item[0], item[1]))
    towns: list[TownLocation] = []
    seen: set[str] = set()
    for _, socket, root in found:
        real = os.path.realpath(root)
        if real not in seen:
            seen.add(real)
            towns.append(TownLocation(root, f"tmux:{socket}"))
    return towns


def _town_of_server(path: Path, timeout: float) -> Path | None:
    """The town a live server's `GT_TOWN_ROOT` names, if any (one `tmux` call)."""
    out = run_tmux(["-S", str(path), "show-environment", "-g", "GT_TOWN_ROOT"], timeout=timeout)
    if out is None or out.returncode != 0:
        return None
    name, _, value = out.stdout.strip().partition("=")
    return Path(value) if name == "GT_TOWN_ROOT" and value and is_town_root(Path(value)) else None


def find_town(
    cwd: Path | None = None,
    environ: Mapping[str, str] | None = None,
    configured: str | None = None,
    ask_tmux: bool = True,
    scan: SocketScan | None = None,
) -> TownLocation | None:
    """Find the town: configured root, then above cwd, `GT_TOWN_ROOT`, `GT_ROOT` (each only when
    it names a town), the running Gas Town tmux servers (the newest; the rest are `others`;
    `scan` remembers what they said, for a caller that searches again and again), `~/gt`."""
    env = os.environ if environ is None else environ
    if configured:
        return TownLocation(Path(configured).expanduser(), "config")
    above = find_town_above(cwd or logical_cwd())
    if above is not None:
        return TownLocation(above, "cwd")
    for var in ("GT_TOWN_ROOT", "GT_ROOT"):
        # only a workspace counts: Gas City puts GT_ROOT=<city> in every city session
        value = env.get(var)
        if value and is_town_root(Path(value)):
            return TownLocation(Path(value), var)
    if ask_tmux:
        running = towns_from_tmux_servers(scan=scan)
        if running:
            return TownLocation(
                running[0].root, running[0].found_by, tuple(t.root for t in running[1:])
            )
    home_gt = Path(env.get("HOME") or Path.home()) / "gt"
    if is_town_root(home_gt):
        return TownLocation(home_gt, "~/gt")
    return None
