"""Start, stop and inspect the collector of a tmux server (its lock, pid file and state)."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from gt_mcp_tmux.cache import (
    current_server_socket,
    read_snapshot,
    runtime_dir,
    server_key,
    snapshot_path,
)
from gt_mcp_tmux.model import SourceHealth


@dataclass(frozen=True, slots=True)
class CollectorStatus:
    running: bool
    pid: int | None
    socket: str
    version: str | None = None
    started: float | None = None
    last_refresh: float | None = None
    last_error: str | None = None
    sources: list[SourceHealth] = field(default_factory=list)


def lock_path(socket_path: str) -> Path:
    return runtime_dir() / f"collector-{server_key(socket_path)}.lock"


def state_path(socket_path: str) -> Path:
    return runtime_dir() / f"collector-{server_key(socket_path)}.json"


def log_path(socket_path: str) -> Path:
    return runtime_dir() / f"collector-{server_key(socket_path)}.log"


def take_lock(socket_path: str, patience: float = 0.0) -> int | None:
    """The collector's singleton lock for this server: an fd to keep open, or None if taken.

    `patience` retries for that long, so a status probe holding the lock for an instant does not
    make a starting collector give up.
    """
    fd = os.open(lock_path(socket_path), os.O_RDWR | os.O_CREAT, 0o600)
    deadline = time.monotonic() + patience
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except OSError:
            if time.monotonic() >= deadline:
                os.close(fd)
                return None
            time.sleep(0.05)


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
    fd = take_lock(socket_path)
    if fd is None:
        return True
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
    return CollectorStatus(
        running=running,
        pid=pid if isinstance(pid, int) else None,
        socket=socket,
        version=version if isinstance(version, str) else None,
        started=float(started) if isinstance(started, int | float) else None,
        last_refresh=snapshot.collected_at if snapshot else None,
        last_error=error if isinstance(error, str) else None,
        sources=snapshot.sources if snapshot else [],
    )


def start_collector(socket_path: str | None = None, python: str | None = None) -> CollectorStatus:
    """Start a detached collector for the server unless one runs; wait briefly for it to be up."""
    socket = socket_path or current_server_socket()
    if not lock_is_held(socket):
        env = dict(os.environ)
        env["GT_MCP_COLLECTOR_SOCKET"] = socket
        subprocess.Popen(
            [python or sys.executable, "-m", "gt_mcp_tmux", "collector", "run"],
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
