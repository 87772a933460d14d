"""One persistent tmux control-mode client per server: the collector's tmux calls without a fork.

The collector asks Gas Town's server what runs every second and pushes its options into the
user's server on every change; a `tmux` process each time is ~72 forks a minute. Instead it
keeps one `tmux -C attach -f ignore-size,no-output` per server and writes its command lines to
it: the answers come back between `%begin` and `%end` (or `%error`) lines.

- `ignore-size`: the client never counts for a window's size; `no-output`: no pane output is
  sent to it. Such a client looks at nothing: `client_counts` leaves it out of who is attached.
- Never blocking: every answer is read with a deadline; a late one closes the client (the call
  falls back to a fork, bounded as ever).
- The server gone or restarted, the client detached or its session killed: the client ends
  (`%exit`, end of file) and the next call connects again, at most once every RETRY_AFTER
  seconds; meanwhile every call forks as before.
- Only processes that asked for it (`enable`, the collector) hold clients: a view or a command
  never leaves one behind. A client whose owner dies reads the end of its input and exits.
"""

from __future__ import annotations

import contextlib
import os
import select
import subprocess
import threading
import time
from collections.abc import Callable

from gt_mcp_tmux.proc import Finished

#: How long after a failed connect (no session yet, no server) the next try waits.
RETRY_AFTER = 10.0
#: The flags that make a client see no output and count for no size.
ATTACH_FLAGS = "ignore-size,no-output"
_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_@=:./,%+")


OLDEST_FORMAT = "#{session_created} #{session_id}"


def _session_row(row: list[str]) -> bool:
    return len(row) == 2 and row[0].isdigit() and row[1][:1] == "$" and row[1][1:].isdigit()


class _Broken(Exception):
    """The client cannot answer (ended, late, garbled): it is closed, the call forks."""


def quote(arg: str) -> str:
    """One argument in tmux's command syntax: double quotes, with `\\`, `"` and `$` escaped and
    every control character as an octal escape (a command line ends at a newline)."""
    if arg and all(ch in _SAFE for ch in arg):
        return arg
    out = ['"']
    for ch in arg:
        if ch in '\\"$':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\{ord(ch):03o}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def command_line(args: list[str]) -> tuple[str, int]:
    """tmux argv (commands separated by `;` arguments, as on a command line) as one control
    line and how many commands it holds. An argument ending in `;` ends its command, one ending
    in `\\;` keeps a literal `;`: as tmux reads its own argv."""
    words: list[str] = []
    commands = 0
    pending = False  # a command has words not yet ended
    for arg in args:
        end = False
        if arg.endswith(";"):
            arg = arg[:-1]
            if arg.endswith("\\"):
                arg = arg[:-1] + ";"
            else:
                end = True
        if arg or not end:
            words.append(quote(arg))
            pending = True
        if end and pending:
            words.append(";")
            commands += 1
            pending = False
    if pending:
        commands += 1
    elif words and words[-1] == ";":
        words.pop()
    return " ".join(words), commands


class ControlClient:
    """A `tmux -C` client on one server, connected on first use and again after it ended."""

    def __init__(
        self,
        socket_path: str,
        retry_after: float = RETRY_AFTER,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """`clock`: when a connect may be tried again (a test's own)."""
        self.socket_path = socket_path
        self.retry_after = retry_after
        self.clock = clock
        self.connects = 0  # tmux processes started (forks), for tests and the bench
        self.calls = 0  # command lines answered over the client
        self._proc: subprocess.Popen[bytes] | None = None
        self._buffer = b""
        self._next_try = 0.0
        self._lock = threading.Lock()

    @property
    def connected(self) -> bool:
        return self._proc is not None

    def run(self, args: list[str], timeout: float = 2.0) -> Finished | None:
        """The answer as a forked `tmux` would give it; None when the client cannot (fork)."""
        line, commands = command_line(args)
        if commands == 0:
            return None
        with self._lock:
            if self._proc is None and not self._connect(timeout):
                return None
            try:
                done = self._exchange(line, commands, time.monotonic() + timeout)
            except _Broken:
                self._close()
                return None
            self.calls += 1
            return done

    def close(self) -> None:
        with self._lock:
            self._close()

    # --- inside the lock ----------------------------------------------------------------
    def _connect(self, timeout: float) -> bool:
        if self.clock() < self._next_try or not os.path.exists(self.socket_path):
            return False
        env = {k: v for k, v in os.environ.items() if k != "TMUX"}  # not a nested client
        argv = ["tmux", "-u", "-C", "-S", self.socket_path, "attach-session", "-f", ATTACH_FLAGS]
        try:
            self._proc = subprocess.Popen(
                argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env=env,
                start_new_session=True,
            )
        except OSError:
            self._proc = None
            return False
        self.connects += 1
        self._buffer = b""
        assert self._proc.stdin is not None
        os.set_blocking(self._proc.stdin.fileno(), False)
        deadline = time.monotonic() + timeout
        try:
            ok, _ = self._block(deadline)  # the attach's own answer
            if ok:
                self._settle(deadline)
        except _Broken:
            ok = False
        if not ok:
            self._close()
            return False
        return True

    def _settle(self, deadline: float) -> None:
        """On the oldest session (Gas Town's mayor, the user's first): tmux attaches to the
        newest, a polecat that may be gone in minutes, and its end detaches the client."""
        listed = self._exchange(f"list-sessions -F {quote(OLDEST_FORMAT)}", 1, deadline)
        rows = [line.split() for line in listed.stdout.splitlines()]
        ids = sorted((float(r[0]), int(r[1][1:]), r[1]) for r in rows if _session_row(r))
        if len(ids) > 1:
            self._exchange(f"switch-client -t {quote(ids[0][2])}", 1, deadline)

    def _close(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        self._next_try = self.clock() + self.retry_after  # ended or failed: not every call
        for stream in (proc.stdin, proc.stdout):
            with contextlib.suppress(OSError):
                if stream is not None:
                    stream.close()
        with contextlib.suppress(OSError):
            proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired, OSError):
            proc.wait(timeout=1)

    def _exchange(self, line: str, commands: int, deadline: float) -> Finished:
        assert self._proc is not None and self._proc.stdin is not None
        data = line.encode("utf-8", "surrogateescape") + b"\n"
        try:
            while data:
                select.select([], [self._proc.stdin], [], max(deadline - time.monotonic(), 0))
                written = os.write(self._proc.stdin.fileno(), data)
                data = data[written:]
                if data and time.monotonic() >= deadline:
                    raise _Broken
        except (BlockingIOError, BrokenPipeError, OSError) as err:
            raise _Broken from err
        out: list[str] = []
        for _ in range(commands):
            ok, text = self._block(deadline)
            if not ok:  # tmux skips the rest of a line after a failing command, as on argv
                return Finished(1, "".join(out), "".join(text))
            out += text
        return Finished(0, "".join(out), "")

    def _line(self, deadline: float) -> bytes:
        assert self._proc is not None and self._proc.stdout is not None
        fd = self._proc.stdout.fileno()
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise _Broken  # late: never wait longer than the call may take
            chunk = os.read(fd, 65536)
            if not chunk:
                raise _Broken  # the client ended (server gone, detached)
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line

    def _block(self, deadline: float) -> tuple[bool, list[str]]:
        """The next answer: (True, its lines) at `%end`, (False, lines) at `%error`. Lines
        outside a block are notifications: skipped (`%exit`: the client has ended)."""
        while True:
            line = self._line(deadline)
            if line.startswith(b"%exit"):
                raise _Broken
            if line.startswith(b"%begin "):
                break
        tail = line[len(b"%begin ") :]
        end, error = b"%end " + tail, b"%error " + tail
        lines: list[str] = []
        while True:
            line = self._line(deadline)
            if line in (end, error):
                return line == end, lines
            lines.append(line.decode("utf-8", "replace") + "\n")


_enabled = threading.Event()
_clients: dict[str, ControlClient] = {}
_clients_lock = threading.Lock()


def enable(*socket_paths: str) -> None:
    """This process keeps control clients (the collector): for these servers' `run_tmux` calls
    now, and for the servers `controlled` is asked about with `create`."""
    _enabled.set()
    with _clients_lock:
        for path in socket_paths:
            _clients.setdefault(path, ControlClient(path))


def client_for(socket_path: str, create: bool = False) -> ControlClient | None:
    if not _enabled.is_set():
        return None
    with _clients_lock:
        client = _clients.get(socket_path)
        if client is None and create:
            client = _clients[socket_path] = ControlClient(socket_path)
        return client


def run_controlled(
    socket_path: str, args: list[str], timeout: float, create: bool = False
) -> Finished | None:
    """`args` on that server through its control client; None: fork instead."""
    client = client_for(socket_path, create)
    return client.run(args, timeout) if client is not None else None


def close_all() -> None:
    with _clients_lock:
        clients = list(_clients.values())
        _clients.clear()
    _enabled.clear()
    for client in clients:
        client.close()


def counts() -> tuple[int, int]:
    """(tmux processes started for control clients, command lines they answered)."""
    with _clients_lock:
        clients = list(_clients.values())
    return sum(c.connects for c in clients), sum(c.calls for c in clients)
