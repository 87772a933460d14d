"""Find the SQLite file a local Agent Mail server keeps, to read it directly (the fast path).

For a loopback URL: the process listening on that port (from /proc, no psutil: the collector
stays small), then its `DATABASE_URL` (Python servers; relative to the server's working
directory, `./storage.sqlite3` by default) or `$STORAGE_ROOT/storage.sqlite3` (Rust), from its
environment or the `.env` file in its working directory, then the Rust port's default place.
Only a file that has Agent Mail's tables counts. Linux only; elsewhere, and for remote servers, None.
"""

from __future__ import annotations

import os
import urllib.parse
from pathlib import Path

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
DB_NAME = "storage.sqlite3"


def listening_inodes(port: int, proc: Path = Path("/proc")) -> set[str]:
    """Socket inodes listening on `port` (TCP, IPv4 and IPv6)."""
    inodes: set[str] = set()
    for table in ("net/tcp", "net/tcp6"):
        try:
            lines = (proc / table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if (
                len(fields) > 9
                and fields[3] == "0A"
                and int(fields[1].rsplit(":", 1)[1], 16) == port
            ):
                inodes.add(fields[9])
    return inodes


def process_with_socket(inodes: set[str], proc: Path = Path("/proc")) -> int | None:
    """The pid (of ours) holding one of these sockets."""
    wanted = {f"socket:[{inode}]" for inode in inodes}
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            for fd in (entry / "fd").iterdir():
                if os.readlink(fd) in wanted:
                    return int(entry.name)
        except OSError:
            continue
    return None


def dotenv(path: Path) -> dict[str, str]:
    """`KEY=value` lines of a `.env` file (the Python servers read the one in their working
    directory); `export`, quotes and comments as python-decouple takes them. Missing: empty."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")[:65536]
    except OSError:
        return {}
    found = {}
    for line in text.splitlines():
        line = line.strip().removeprefix("export ").strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        found[key.strip()] = value.strip().strip("'\"")
    return found


def candidate_paths(environ: dict[str, str], cwd: Path) -> list[Path]:
    """Where a server with this environment and working directory keeps its database: its
    environment first, then its `.env` (what the environment lacks), then the defaults: the
    working directory, the Rust port's `${XDG_DATA_HOME:-~/.local/share}/mcp-agent-mail/
    git_mailbox_repo` and `~/.mcp_agent_mail_git_mailbox_repo`."""
    environ = {**dotenv(cwd / ".env"), **environ}
    found: list[Path] = []
    database_url = environ.get("DATABASE_URL", "")
    if database_url.startswith("sqlite"):
        path = database_url.split(":///", 1)[-1].split("?", 1)[0]
        if path and path != database_url:
            found.append(Path(path) if os.path.isabs(path) else cwd / path)
    if environ.get("STORAGE_ROOT"):
        found.append(Path(environ["STORAGE_ROOT"]).expanduser() / DB_NAME)
    found.append(cwd / DB_NAME)
    home = environ.get("HOME")
    if home:
        data = environ.get("XDG_DATA_HOME") or os.path.join(home, ".local", "share")
        found.append(Path(data) / "mcp-agent-mail" / "git_mailbox_repo" / DB_NAME)
        found.append(Path(home) / ".mcp_agent_mail_git_mailbox_repo" / DB_NAME)
    return found


def looks_like_agent_mail(path: Path) -> bool:
    """A SQLite file with Agent Mail's tables (opened read-only, never created)."""
    import sqlite3  # only when there is a candidate: the collector stays small otherwise

    if not path.is_file():
        return False
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=0.5) as conn:
            names = {
                row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
    except sqlite3.Error:
        return False
    return {"projects", "agents", "messages", "file_reservations"} <= names


def find_database(url: str, proc: Path = Path("/proc")) -> str | None:
    """The database of the Agent Mail server at `url`, when it runs here as this user."""
    parts = urllib.parse.urlsplit(url)
    if parts.hostname not in LOOPBACK:
        return None
    inodes = listening_inodes(parts.port or 80, proc)
    pid = process_with_socket(inodes, proc) if inodes else None
    if pid is None:
        return None
    try:
        raw = (proc / str(pid) / "environ").read_bytes()
        cwd = Path(os.readlink(proc / str(pid) / "cwd"))
    except OSError:
        return None
    environ = dict(
        item.split("=", 1) for item in raw.decode("utf-8", "replace").split("\0") if "=" in item
    )
    for path in candidate_paths(environ, cwd):
        if looks_like_agent_mail(path):
            return str(path)
    return None
