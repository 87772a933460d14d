"""One poller of `gt` per town, whatever the number of tmux servers that loaded the plugin.

Gas Town's own tmux server loads the user's `~/.tmux.conf`, so the plugin (and a collector) runs
there as well as in the user's own server, and a user may run several servers. Every collector
watching the same town tries one lock, keyed by the town's real path: the one that holds it runs
`gt status` and `gt convoy list` and publishes what it got in a private file beside the cache;
the others read that file instead of running gt. When the owner exits, the lock is free and the
next collector to refresh takes it over.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import threading
from pathlib import Path
from typing import Any

from gt_mcp_tmux.private_files import open_regular, runtime_dir, sha256_hex, write_private

#: A published answer older than this is not used (its owner is stuck or gone).
MAX_AGE = 600.0


def town_key(root: Path) -> str:
    return sha256_hex(os.path.realpath(root).encode("utf-8", "surrogateescape"))[:16]


class TownShare:
    """The poll lock and the published answers of one town."""

    def __init__(self, root: Path) -> None:
        key = town_key(root)
        self.lock_path = runtime_dir() / f"town-{key}.lock"
        self.data_path = runtime_dir() / f"town-{key}.json"
        self._fd: int | None = None
        self._read_stamp: tuple[int, int] | None = None
        # the collector's threads ask at once: one open file (flock is per open file)
        self._guard = threading.Lock()

    def owned(self) -> bool:
        """True when this process polls gt for the town (takes the lock when it is free)."""
        with self._guard:
            return self._take()

    def _take(self) -> bool:
        if self._fd is not None:
            return True
        try:
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError:
            return True  # no shared folder: poll ourselves rather than see nothing
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def release(self, remove: bool = False) -> None:
        """Let go of the lock; `remove`: also remove the files (the poller is going away, and
        what it published would only go stale)."""
        with self._guard:
            if self._fd is None:
                return
            if remove:
                for path in (self.data_path, self.lock_path):
                    with contextlib.suppress(OSError):
                        path.unlink()
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None

    def publish(self, data: dict[str, Any]) -> None:
        with contextlib.suppress(OSError):
            write_private(self.data_path, json.dumps(data))

    def read_new(self, now: float) -> dict[str, Any] | None:
        """The owner's latest answers when they changed since the last read (and are recent)."""
        try:
            with open_regular(self.data_path) as fh:
                st = os.fstat(fh.fileno())
                stamp = (st.st_mtime_ns, st.st_size)
                if stamp == self._read_stamp or now - st.st_mtime > MAX_AGE:
                    return None
                data = json.loads(fh.read(16 * 1024 * 1024))
        except (OSError, ValueError, RecursionError):
            return None
        self._read_stamp = stamp
        return data if isinstance(data, dict) else None
