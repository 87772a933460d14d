"""Files, safely: the user's private runtime folder (0700), atomic 0600 writes, and opening a
file for reading that refuses a FIFO or device instead of blocking on it.

The cache, the collector's state and lock, alert acknowledgements and the town poll share all
live here.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from gt_mcp_tmux.cache_file import runtime_folder


def runtime_dir() -> Path:
    """`$XDG_RUNTIME_DIR/gastown-mcp`, else `/tmp/gastown-mcp-<uid>`; created 0700 and checked ours."""
    folder = Path(runtime_folder())
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = folder.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
        raise PermissionError(f"{folder} is not a directory of ours: remove it")
    if info.st_mode & 0o077:
        folder.chmod(0o700)
    return folder


def write_private(path: Path, text: str | list[str]) -> None:
    """Write `text` (or its pieces, in order) to `path` atomically with mode 0600 (readers
    never see half a file)."""
    tmp = f"{path}.{os.getpid()}.{threading.get_ident()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            for chunk in [text] if isinstance(text, str) else _chunks(text):
                fh.write(chunk.encode("utf-8"))
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


#: Pieces are joined into chunks of about this many characters before they are written: few
#: writes, and never a copy of the whole text (the cache is megabytes at 1,000 agents).
CHUNK = 256 * 1024


def _chunks(pieces: list[str]) -> Iterator[str]:
    batch: list[str] = []
    size = 0
    for piece in pieces:
        batch.append(piece)
        size += len(piece)
        if size >= CHUNK:
            yield "".join(batch)
            batch, size = [], 0
    yield "".join(batch)


class NotRegular(OSError):
    """A FIFO, socket, device or folder where a file was expected: refused, never read."""


def open_regular(path: Path | str) -> BinaryIO:
    """Open a file for reading, refusing anything but a regular file without blocking on it
    (opening a FIFO for reading would wait for a writer: here it returns at once)."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise NotRegular(errno.EINVAL, "not a regular file", str(path))
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
