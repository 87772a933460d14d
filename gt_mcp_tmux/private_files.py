"""Files, safely: the user's private runtime folder (0700), atomic 0600 writes, and opening a
file for reading that refuses a FIFO or device instead of blocking on it; where each tmux
server's snapshot cache is, and its text while fresh.

The cache, the collector's state and lock, alert acknowledgements and the town poll share all
live here. At load this module imports only `os`, `stat`, `io`, `errno`, `math` and `time` (the
rest lazily): `gt-mcp status --json` from a fresh cache is this module and a `write`, so it
costs little more than the interpreter's own start (issue 16's 3x goal). The collector writes
the cache as `status --json` prints it (`collector/cache_text.py`): its fresh text is printed as
it is, unparsed.
"""

from __future__ import annotations

import errno
import io
import math
import os
import stat
import time

TYPE_CHECKING = False  # not typing's: importing typing would cost the fast path a third
if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

#: A cache younger than this serves the commands; an older one means one collection. Above the
#: longest pause between the collector's cycles (10 s, collector/budget.py) and its rewrite of
#: an unchanged cache (`REWRITE_EVERY`), so a big fleet's cache still counts as fresh.
FRESH_WITHIN = 20.0
#: The collector rewrites a cache whose content did not change this often (its time fresh).
REWRITE_EVERY = 10.0
#: How a cache written as printed begins: these two keys, in this order, first.
_HEAD = '{\n  "collected_at": '
_VERSION = ',\n  "version": '
#: The most of a cache read at once (a 1,000-agent fleet with Agent Mail is under 4 MB).
_MAX_BYTES = 64 * 1024 * 1024


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


def runtime_folder() -> str:
    """`$XDG_RUNTIME_DIR/gastown-mcp`, else `/tmp/gastown-mcp-<uid>` (not created here)."""
    base = os.environ.get("XDG_RUNTIME_DIR")
    return os.path.join(base, "gastown-mcp") if base else f"/tmp/gastown-mcp-{os.getuid()}"


def cache_file(socket_path: str | None = None) -> str:
    """The snapshot cache of the server at `socket_path` (default: the one we run under)."""
    key = server_key(socket_path or current_server_socket())
    return os.path.join(runtime_folder(), f"snapshot-{key}.json")


def fresh_text(version: str, path: str | None = None, within: float = FRESH_WITHIN) -> str | None:
    """The cache's text when it is written as printed, by `version`, under `within` seconds ago,
    in a private folder of ours; else None (the caller goes the long way, which says why)."""
    path = path or cache_file()
    try:
        folder = os.lstat(os.path.dirname(path))
        if not stat.S_ISDIR(folder.st_mode) or folder.st_uid != os.getuid():
            return None
        if folder.st_mode & 0o077:
            return None
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC)
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return None
            with os.fdopen(fd, "rb", closefd=False) as fh:
                raw = fh.read(_MAX_BYTES + 1)
        finally:
            os.close(fd)
        text = raw.decode("utf-8")
    except (OSError, ValueError):
        return None
    written = written_at(text, version)
    if written is None or len(raw) > _MAX_BYTES or not text.endswith("}\n"):
        return None
    return text if time.time() - written <= within else None


def written_at(text: str, version: str) -> float | None:
    """When the collector wrote `text`, if its head is the printed one and names `version`."""
    if not text.startswith(_HEAD):
        return None
    end = text.find(_VERSION, len(_HEAD), len(_HEAD) + 40)
    if end < 0:
        return None
    named = f'"{version}",\n'
    if not text.startswith(named, end + len(_VERSION)):
        return None
    try:
        written = float(text[len(_HEAD) : end])
    except ValueError:
        return None
    return written if math.isfinite(written) else None


def runtime_dir() -> Path:
    """`$XDG_RUNTIME_DIR/gastown-mcp`, else `/tmp/gastown-mcp-<uid>`; created 0700 and checked ours."""
    from pathlib import Path

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
    import threading

    tmp = f"{path}.{os.getpid()}.{threading.get_ident()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            for chunk in [text] if isinstance(text, str) else _chunks(text):
                fh.write(chunk.encode("utf-8"))
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        import contextlib

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


def open_regular(path: Path | str) -> io.BufferedReader:
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
