"""Single keys from the terminal, for the popups and the live dashboard.

`KeyReader` puts stdin into cbreak mode (keys arrive at once, unechoed; Ctrl-C still interrupts)
and always restores it on the way out, also on errors and on SIGTERM/SIGHUP. Keys come back as
names: `q`, `r`, `esc`, `enter`, `tab`, `shift-tab`, `up`, `down`, `left`, `right`, `pgup`,
`pgdn`, `home`, `end`, or the character typed. A terminal resize is reported as `resize`.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import termios
import time
import tty
from collections import deque
from collections.abc import Iterator
from types import FrameType, TracebackType
from typing import Any

SEQUENCES = {
    "\x1b[A": "up", "\x1b[B": "down", "\x1b[C": "right", "\x1b[D": "left",
    "\x1bOA": "up", "\x1bOB": "down", "\x1bOC": "right", "\x1bOD": "left",
    "\x1b[Z": "shift-tab", "\x1b[5~": "pgup", "\x1b[6~": "pgdn",
    "\x1b[H": "home", "\x1b[F": "end", "\x1b[1~": "home", "\x1b[4~": "end",
    "\x1bOH": "home", "\x1bOF": "end",
}  # fmt: skip
SINGLE = {"\r": "enter", "\n": "enter", "\t": "tab", "\x1b": "esc", "\x7f": "backspace"}
#: How long to wait for the rest of an escape sequence before taking a lone Esc.
ESC_WAIT = 0.05


def split_keys(data: str) -> list[str]:
    """Key names from the bytes of one read (several keys may arrive together)."""
    keys: list[str] = []
    i = 0
    while i < len(data):
        if data[i] == "\x1b" and i + 1 < len(data):
            for length in (4, 3):
                name = SEQUENCES.get(data[i : i + length])
                if name:
                    keys.append(name)
                    i += length
                    break
            else:
                if data[i + 1] in "[O":  # an unknown sequence: skip to its final byte
                    j = i + 2
                    while j < len(data) and not ("@" <= data[j] <= "~"):
                        j += 1
                    i = j + 1
                else:
                    keys.append("esc")
                    i += 1
            continue
        keys.append(SINGLE.get(data[i], data[i]))
        i += 1
    return keys


class KeyReader:
    """A context manager: cbreak on entry, terminal restored on exit. `read(timeout)` -> key name."""

    def __init__(self, fd: int = 0) -> None:
        self.fd = fd
        self._saved: list[Any] | None = None
        self._pending: deque[str] = deque()
        self._wake_r, self._wake_w = -1, -1
        self._old_handlers: dict[int, Any] = {}

    def __enter__(self) -> KeyReader:
        self._saved = termios.tcgetattr(self.fd)
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_w, False)
        for sig, handler in (
            (signal.SIGWINCH, self._on_resize),
            (signal.SIGTERM, self._on_stop),
            (signal.SIGHUP, self._on_stop),
        ):
            self._old_handlers[sig] = signal.signal(sig, handler)
        tty.setcbreak(self.fd, termios.TCSANOW)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.restore()

    def restore(self) -> None:
        if self._saved is not None:
            with contextlib.suppress(termios.error, OSError):
                termios.tcsetattr(self.fd, termios.TCSADRAIN, self._saved)
            self._saved = None
        for sig, handler in self._old_handlers.items():
            signal.signal(sig, handler)
        self._old_handlers.clear()
        for fd in (self._wake_r, self._wake_w):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._wake_r = self._wake_w = -1

    @contextlib.contextmanager
    def cooked(self) -> Iterator[None]:
        """The terminal as it was (echo, line editing) for a typed answer, then cbreak again."""
        if self._saved is None:
            yield
            return
        with contextlib.suppress(termios.error, OSError):
            termios.tcsetattr(self.fd, termios.TCSADRAIN, self._saved)
        try:
            yield
        finally:
            with contextlib.suppress(termios.error, OSError):
                tty.setcbreak(self.fd, termios.TCSANOW)

    def _on_resize(self, signum: int, frame: FrameType | None) -> None:
        with contextlib.suppress(OSError):
            os.write(self._wake_w, b"r")

    def _on_stop(self, signum: int, frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    def read(self, timeout: float | None) -> str | None:
        """The next key, `resize`, or None when `timeout` seconds pass without either."""
        if self._pending:
            return self._pending.popleft()
        ready, _, _ = select.select([self.fd, self._wake_r], [], [], timeout)
        if self._wake_r in ready:
            with contextlib.suppress(OSError):
                os.read(self._wake_r, 64)
            return "resize"
        if self.fd not in ready:
            return None
        data = os.read(self.fd, 256)
        if not data:
            raise EOFError("the terminal went away")
        if data == b"\x1b":  # a lone Esc, or the start of a sequence still arriving
            deadline = time.monotonic() + ESC_WAIT
            while time.monotonic() < deadline:
                more, _, _ = select.select([self.fd], [], [], max(deadline - time.monotonic(), 0))
                if not more:
                    break
                data += os.read(self.fd, 256)
        self._pending.extend(split_keys(data.decode("utf-8", "replace")))
        return self._pending.popleft() if self._pending else None
