"""Small files in the town folder, re-read only when they change: heartbeats, ESTOP, rigs.json.

Every reader here is cheap enough to run every second for a 200-agent town: one `scandir` per
folder and a `stat` per file; a file is parsed again only when its mtime or size moved.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from gt_mcp_tmux.model import SourceError
from gt_mcp_tmux.private_files import open_regular

#: Gas Town calls an agent heartbeat stale after 3 minutes.
HEARTBEAT_FRESH_SECONDS = 180.0
_MAX_SMALL_FILE = 64 * 1024
_FRACTION_RE = re.compile(r"(\.\d{1,6})\d*")


def parse_rfc3339(value: Any) -> float | None:
    """Epoch seconds from an RFC3339 string (Go's nanoseconds and `Z` included); None if not one."""
    if not isinstance(value, str) or not value:
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    text = _FRACTION_RE.sub(r"\1", text, count=1)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def _read_small(path: Path) -> str:
    with open_regular(path) as fh:
        return fh.read(_MAX_SMALL_FILE).decode("utf-8", "replace")


def lock_held(path: Path, locks_file: str = "/proc/locks") -> bool:
    """Whether some process holds a lock (flock, POSIX or OFD) on `path`, found in /proc/locks
    without taking the lock ourselves (taking it, even briefly, would make gt degrade)."""
    try:
        st = path.stat()
        with open(locks_file, encoding="ascii", errors="replace") as fh:
            text = fh.read(1 << 20)
    except OSError:
        return False
    wanted = (os.major(st.st_dev), os.minor(st.st_dev), st.st_ino)
    for line in text.splitlines():
        for word in line.split():
            parts = word.split(":")
            if len(parts) != 3:
                continue
            try:
                found = (int(parts[0], 16), int(parts[1], 16), int(parts[2]))
            except ValueError:
                continue
            if found == wanted:
                return True
    return False


def _stamp(st: os.stat_result) -> tuple[int, int, int]:
    return (st.st_mtime_ns, st.st_size, st.st_ino)


# --- heartbeats -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Heartbeat:
    """`<town>/.runtime/heartbeats/<session>.json`: what an agent last said about itself."""

    session: str
    timestamp: float | None
    state: str  # working|idle|exiting|stuck; Gas Town writes "" for working
    bead: str | None = None
    context: str | None = None

    def fresh(self, now: float) -> bool:
        return self.timestamp is not None and now - self.timestamp < HEARTBEAT_FRESH_SECONDS


def parse_heartbeat(session: str, text: str) -> Heartbeat | None:
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    state = data.get("state")
    bead = data.get("bead")
    context = data.get("context")
    return Heartbeat(
        session=session,
        timestamp=parse_rfc3339(data.get("timestamp")),
        state=(state if isinstance(state, str) else "").strip().lower() or "working",
        bead=bead if isinstance(bead, str) and bead else None,
        context=context if isinstance(context, str) and context else None,
    )


class HeartbeatFolder:
    """The heartbeat files of one town, keyed by session name; unchanged files are not re-read."""

    def __init__(self, root: Path) -> None:
        self.folder = root / ".runtime" / "heartbeats"
        self._cache: dict[str, tuple[tuple[int, int, int], Heartbeat | None]] = {}

    def read(self) -> tuple[dict[str, Heartbeat], SourceError | None]:
        """(heartbeats by session, error). A missing folder is no error: no agent wrote one yet."""
        seen: dict[str, tuple[tuple[int, int, int], Heartbeat | None]] = {}
        bad: list[str] = []
        try:
            entries = list(os.scandir(self.folder))
        except FileNotFoundError:
            self._cache = {}
            return {}, None
        except OSError as err:
            return self.current(), SourceError("heartbeats", "error", f"{self.folder}: {err}")
        for entry in entries:
            if not entry.name.endswith(".json"):
                continue
            session = entry.name[: -len(".json")]
            try:
                if not entry.is_file(follow_symlinks=True):
                    bad.append(entry.name)  # a FIFO or socket is never opened
                    continue
            except OSError:
                continue
            try:
                stamp = _stamp(entry.stat())
                cached = self._cache.get(session)
                if cached is not None and cached[0] == stamp:
                    seen[session] = cached
                    continue
                beat = parse_heartbeat(session, _read_small(Path(entry.path)))
            except OSError:
                continue  # removed between scandir and read
            if beat is None:
                bad.append(entry.name)
            seen[session] = (stamp, beat)
        self._cache = seen
        error = None
        if bad:
            error = SourceError(
                "heartbeats",
                "bad_output",
                f"{len(bad)} unreadable heartbeat file(s), e.g. {bad[0]}",
            )
        return self.current(), error

    def current(self) -> dict[str, Heartbeat]:
        return {name: beat for name, (_, beat) in self._cache.items() if beat is not None}


# --- ESTOP ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EstopState:
    """Emergency stops in force: the town's `ESTOP` file and each `ESTOP.<rig>`."""

    town: bool = False
    rigs: list[str] = field(default_factory=list)
    reason: str | None = None  # the town file's reason, else the first rig file's
    reasons: dict[str, str] = field(default_factory=dict)  # rig -> reason


def estop_reason(text: str) -> str | None:
    """The reason in `trigger<TAB>RFC3339<TAB>reason`; the whole text when it has another shape."""
    line = text.strip("\r\n")
    parts = line.split("\t", 2)
    reason = parts[2] if len(parts) == 3 else line
    reason = reason.strip()
    return reason or None


def read_estop(root: Path) -> tuple[EstopState, SourceError | None]:
    """One scandir of the town root. An unreadable ESTOP file still counts as a stop in force."""
    town = False
    town_reason: str | None = None
    reasons: dict[str, str] = {}
    rigs: list[str] = []
    try:
        entries = [e for e in os.scandir(root) if e.name.startswith("ESTOP")]
    except OSError as err:
        return EstopState(), SourceError("estop", "error", f"{root}: {err.strerror or err}")
    for entry in entries:
        if entry.name != "ESTOP" and not entry.name.startswith("ESTOP."):
            continue
        try:
            if entry.is_dir():
                continue
            # an ESTOP of any other kind still counts (Gas Town looks only at its existence),
            # but only a regular file is read for its reason
            reason = estop_reason(_read_small(Path(entry.path))) if entry.is_file() else None
        except OSError:
            reason = None
        if entry.name == "ESTOP":
            town, town_reason = True, reason
        else:
            rig = entry.name[len("ESTOP.") :]
            if rig:
                rigs.append(rig)
                if reason:
                    reasons[rig] = reason
    rigs.sort()
    first_rig_reason = next((reasons[r] for r in rigs if r in reasons), None)
    return (
        EstopState(
            town=town,
            rigs=rigs,
            reason=town_reason if town else first_rig_reason,
            reasons=reasons,
        ),
        None,
    )


# --- files read whole when their mtime changes -------------------------------------------------


class ChangedFile:
    """A small JSON file parsed again only when its mtime, size or inode changes."""

    def __init__(self, path: Path, source: str) -> None:
        self.path = path
        self.source = source
        self._stamp: tuple[int, int, int] | None = None
        self.data: Any = None
        self.exists = False
        self.error: SourceError | None = None  # the last parse's verdict, kept until it changes

    def poll(self) -> bool:
        """True when the file changed since the last poll (a vanished file reads `data = None`)."""
        try:
            stamp = _stamp(self.path.stat())
        except FileNotFoundError:
            changed = self.exists
            self._stamp, self.data, self.exists, self.error = None, None, False, None
            return changed
        except OSError as err:
            self.error = SourceError(self.source, "error", f"{self.path}: {err.strerror or err}")
            return False
        if stamp == self._stamp:
            return False
        try:
            text = _read_small(self.path)
        except OSError as err:
            self.error = SourceError(self.source, "error", f"{self.path}: {err.strerror or err}")
            return False
        self._stamp, self.exists = stamp, True
        try:
            self.data, self.error = json.loads(text), None
        except ValueError:
            self.data = None
            self.error = SourceError(self.source, "bad_output", f"{self.path} is not valid JSON")
        return True


@dataclass(frozen=True, slots=True)
class RigEntry:
    """One rig of `mayor/rigs.json`."""

    name: str
    prefix: str | None
    path: str
    repo: str | None


def parse_rigs_json(root: Path, data: Any) -> list[RigEntry] | None:
    """Rigs in file order; None when the JSON does not have the `{"rigs": {...}}` shape."""
    if not isinstance(data, dict):
        return None
    rigs = data.get("rigs")
    if rigs is None:
        return []
    if not isinstance(rigs, dict):
        return None
    found: list[RigEntry] = []
    for name, entry in rigs.items():
        if not isinstance(name, str) or not name:
            continue
        entry = entry if isinstance(entry, dict) else {}
        beads = entry.get("beads")
        prefix = beads.get("prefix") if isinstance(beads, dict) else None
        repo = entry.get("git_url") or entry.get("local_repo")
        found.append(
            RigEntry(
                name=name,
                # a rig without a beads prefix gets Gas Town's default (registry.go)
                prefix=prefix if isinstance(prefix, str) and prefix else "gt",
                path=str(root / name),
                repo=repo if isinstance(repo, str) and repo else None,
            )
        )
    return found


@dataclass(frozen=True, slots=True)
class DeaconHeartbeat:
    """`<town>/deacon/heartbeat.json`: the watchdog's last patrol."""

    timestamp: float | None
    cycle: int | None = None
    last_action: str | None = None


def parse_deacon_heartbeat(data: Any) -> DeaconHeartbeat | None:
    if not isinstance(data, dict):
        return None
    cycle = data.get("cycle")
    action = data.get("last_action")
    return DeaconHeartbeat(
        timestamp=parse_rfc3339(data.get("timestamp")),
        cycle=cycle if isinstance(cycle, int) and not isinstance(cycle, bool) else None,
        last_action=action if isinstance(action, str) and action else None,
    )


def read_town_name(root: Path) -> str | None:
    """`name` from `mayor/town.json`, or None."""
    try:
        data = json.loads(_read_small(root / "mayor" / "town.json"))
    except (OSError, ValueError):
        return None
    name = data.get("name") if isinstance(data, dict) else None
    return name if isinstance(name, str) and name else None
