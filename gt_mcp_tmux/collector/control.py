"""Start, stop and inspect the collector of a tmux server (its lock, pid file and state)."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from gt_mcp_tmux import PLUGIN_DIR
from gt_mcp_tmux.collector.cache import frames_dir, read_snapshot, snapshot_path
from gt_mcp_tmux.model import CollectorStatus
from gt_mcp_tmux.private_files import current_server_socket, runtime_dir, server_key
from gt_mcp_tmux.sources.tmux.runner import run_tmux


def lock_path(socket_path: str) -> Path:
    return runtime_dir() / f"collector-{server_key(socket_path)}.lock"


def state_path(socket_path: str) -> Path:
    return runtime_dir() / f"collector-{server_key(socket_path)}.json"


def log_path(socket_path: str) -> Path:
    return runtime_dir() / f"collector-{server_key(socket_path)}.log"


def forget_server(socket_path: str) -> None:
    """Remove what was kept for a tmux server that is gone: snapshot, acks, state, log, lock,
    the popups' frames."""
    from gt_mcp_tmux.collector.alerts import acks_path, tracker_path

    for path in (
        snapshot_path(socket_path),
        acks_path(socket_path),
        tracker_path(socket_path),
        state_path(socket_path),
        log_path(socket_path),
        log_path(socket_path).with_suffix(".log.1"),
        lock_path(socket_path),
    ):
        with contextlib.suppress(OSError):
            path.unlink()
    shutil.rmtree(frames_dir(snapshot_path(socket_path)), ignore_errors=True)


def take_lock(socket_path: str, patience: float = 0.0, create: bool = True) -> int | None:
    """The collector's singleton lock for this server: an fd to keep open, or None if taken.

    `patience` retries for that long, so a status probe holding the lock for an instant does not
    make a starting collector give up.
    """
    flags = os.O_RDWR | (os.O_CREAT if create else 0)
    try:
        fd = os.open(lock_path(socket_path), flags, 0o600)
    except FileNotFoundError:
        return -1  # no lock file: nobody holds it (and a mere look creates none)
    deadline = time.monotonic() + patience
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            if _still_the_lock_file(fd, socket_path):
                return fd
            os.close(fd)  # a gone server's collector removed it meanwhile: the new file's
            fd = os.open(lock_path(socket_path), flags, 0o600)
            continue
        except OSError:
            if time.monotonic() >= deadline:
                os.close(fd)
                return None
            time.sleep(0.05)


def _still_the_lock_file(fd: int, socket_path: str) -> bool:
    try:
        return os.fstat(fd).st_ino == os.stat(lock_path(socket_path)).st_ino
    except OSError:
        return False


#: How long a collector of a server that is gone has to let go of the lock once told to stop.
STALE_PATIENCE = 5.0


def take_over_stale(socket_path: str, server_pid: int | None) -> int | None:
    """The lock, from a collector whose tmux server is gone: a tmux restarted on the same socket
    while the old server's collector still waits on a `gt` call (its loop exits only after).
    It is told to stop (SIGTERM), and killed if it has not let go within STALE_PATIENCE s.
    None when the holder serves this server (or a live one), or is no collector of ours."""
    state = read_state(socket_path)
    holder, served = state.get("pid"), state.get("server_pid")
    if (
        server_pid is None
        or not isinstance(holder, int)
        or not isinstance(served, int)
        or served == server_pid  # one server on a socket: another pid is a gone one's (it
        # may still be exiting)
        or not _is_collector(holder)
    ):
        return None
    for signum, patience in ((signal.SIGTERM, STALE_PATIENCE), (signal.SIGKILL, 2.0)):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(holder, signum)
        fd = take_lock(socket_path, patience=patience)
        if fd is not None:
            return fd
    return None


def _is_collector(pid: object) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        try:
            os.kill(pid, 0)
        except (ProcessLookupError, PermissionError):
            return False
        return True
    return b"gt_mcp_tmux" in cmdline and b"collector" in cmdline


def lock_is_held(socket_path: str) -> bool:
    """Whether a collector runs for this server: its recorded pid first, the lock as a fallback."""
    if _is_collector(read_state(socket_path).get("pid")):
        return True
    fd = take_lock(socket_path, create=False)
    if fd is None:
        return True
    if fd >= 0:
        os.close(fd)
    return False


def read_state(socket_path: str) -> dict[str, object]:
    try:
        data = json.loads(state_path(socket_path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def collector_status(socket_path: str | None = None) -> CollectorStatus:
    socket = socket_path or current_server_socket()
    state = read_state(socket)
    running = lock_is_held(socket)
    pid = state.get("pid") if running else None
    snapshot = read_snapshot(snapshot_path(socket))
    version = state.get("version")
    started = state.get("started")
    error = state.get("last_error")
    every = state.get("cycle_every")
    return CollectorStatus(
        running=running,
        pid=pid if isinstance(pid, int) else None,
        socket=socket,
        version=version if isinstance(version, str) else None,
        started=float(started) if isinstance(started, int | float) else None,
        last_refresh=snapshot.collected_at if snapshot else None,
        last_error=error if isinstance(error, str) else None,
        sources=snapshot.sources if snapshot else [],
        cycle_every=float(every) if running and isinstance(every, int | float) else None,
    )


LAUNCHER = Path(PLUGIN_DIR) / "scripts" / "collector.sh"


def start_collector(socket_path: str | None = None, python: str | None = None) -> CollectorStatus:
    """Start a detached collector for the server unless one runs; wait briefly for it to be up.

    It is started by the tmux server itself (`run-shell`, as the plugin does), so it gets the
    server's global environment (GT_TOWN_ROOT, GT_MCP_GT, ...) rather than this shell's.
    """
    socket = socket_path or current_server_socket()
    if not lock_is_held(socket):
        interpreter = python or sys.executable
        if LAUNCHER.exists():
            command = f"{shlex.quote(str(LAUNCHER))} {shlex.quote(interpreter)} >/dev/null 2>&1 &"
            run_tmux(["-S", socket, "run-shell", "-b", command], timeout=5)
        else:  # installed without the plugin's scripts: start it from here
            env = {**os.environ, "GT_MCP_COLLECTOR_SOCKET": socket}
            subprocess.Popen(
                [interpreter, "-m", "gt_mcp_tmux", "collector", "run"],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
                env=env,
            )
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not read_state(socket).get("pid"):
            time.sleep(0.05)
    return collector_status(socket)


def running_collector_sockets() -> list[str]:
    """The tmux servers (socket paths) whose collectors run now, from their state files."""
    found = []
    for state in sorted(runtime_dir().glob("collector-*.json")):
        try:
            data = json.loads(state.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        socket = data.get("socket") if isinstance(data, dict) else None
        if isinstance(socket, str) and _is_collector(data.get("pid")):
            found.append(socket)
    return found


def stop_all_collectors(timeout: float = 5.0) -> int:
    """Stop every collector of this user (all tmux servers): for uninstalling. How many ran."""
    pids = []
    for state in runtime_dir().glob("collector-*.json"):
        try:
            pid = json.loads(state.read_text(encoding="utf-8")).get("pid")
        except (OSError, ValueError, AttributeError):
            continue
        if _is_collector(pid):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGTERM)
                pids.append(pid)
    deadline = time.monotonic() + timeout
    while pids and time.monotonic() < deadline:
        pids = [pid for pid in pids if _is_collector(pid)]
        time.sleep(0.05)
    return len(pids)


def stop_collector(socket_path: str | None = None, timeout: float = 5.0) -> bool:
    """SIGTERM the server's collector and wait for its lock to be free; True when none runs now."""
    socket = socket_path or current_server_socket()
    status = collector_status(socket)
    if not status.running:
        return True
    if status.pid:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(status.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not lock_is_held(socket):
            return True
        time.sleep(0.05)
    return False
