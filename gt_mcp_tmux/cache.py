"""The snapshot cache: one JSON file per tmux server, private to the user, replaced atomically.

Popups, the dashboard and `gt-mcp status` read it to paint at once; only the collector writes it.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import threading
from pathlib import Path

from gt_mcp_tmux.model import Snapshot, snapshot_from_json, to_json
from gt_mcp_tmux.town import sha256_hex


def runtime_dir() -> Path:
    """`$XDG_RUNTIME_DIR/gastown-mcp`, else `/tmp/gastown-mcp-<uid>`; created 0700 and checked ours."""
    base = os.environ.get("XDG_RUNTIME_DIR")
    folder = Path(base) / "gastown-mcp" if base else Path(f"/tmp/gastown-mcp-{os.getuid()}")
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = folder.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
        raise PermissionError(f"{folder} is not a directory of ours: remove it")
    if info.st_mode & 0o077:
        folder.chmod(0o700)
    return folder


def current_server_socket() -> str:
    """The socket path of the tmux server we run under ($TMUX), else the default server's."""
    tmux_env = os.environ.get("TMUX", "")
    if tmux_env:
        return tmux_env.split(",")[0]
    base = os.environ.get("TMUX_TMPDIR") or "/tmp"
    return os.path.join(base, f"tmux-{os.getuid()}", "default")


def server_key(socket_path: str) -> str:
    """A short, file-name-safe key for a tmux server (by its socket path)."""
    return sha256_hex(os.path.realpath(socket_path).encode())[:12]


def snapshot_path(socket_path: str | None = None) -> Path:
    return runtime_dir() / f"snapshot-{server_key(socket_path or current_server_socket())}.json"


def write_private(path: Path, text: str) -> None:
    """Write `text` to `path` atomically with mode 0600 (readers never see half a file)."""
    tmp = f"{path}.{os.getpid()}.{threading.get_ident()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_snapshot(snapshot: Snapshot, path: Path | None = None) -> Path:
    target = path or snapshot_path()
    write_private(target, json.dumps(to_json(snapshot), ensure_ascii=False, separators=(",", ":")))
    return target


def read_snapshot(path: Path | None = None) -> Snapshot | None:
    """The cached snapshot, or None when there is none or it cannot be read."""
    try:
        data = json.loads((path or snapshot_path()).read_text(encoding="utf-8"))
        return snapshot_from_json(data)
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None
