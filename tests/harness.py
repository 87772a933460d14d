"""Real tmux for the tests and the benchmarks: a server of one's own, and what a person sees of
it (a client attached inside a second tmux, read with capture-pane, typed into with send-keys)."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from tests.waiting import retry_until

PROJECT = Path(__file__).resolve().parent.parent


class TmuxServer:
    """A tmux server of the test's own (`tmux -L <unique>`), killed at the end; nothing else is."""

    def __init__(self, socket: str) -> None:
        self.socket = socket

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["tmux", "-L", self.socket, *args],
            capture_output=True,
            text=True,
            check=check,
            timeout=20,
        )

    def out(self, *args: str) -> str:
        return self.run(*args).stdout.rstrip("\n")

    def option(self, name: str) -> str:
        return self.out("show-options", "-gqv", name)

    def load_plugin(self) -> None:
        self.run("run-shell", str(PROJECT / "gastown-mcp.tmux"))

    def kill(self) -> None:
        self.run("kill-server", check=False)


class Screen:
    """What a person sees of a tmux server: a real client attached inside an outer tmux pane.

    The outer server (its own socket) runs `tmux -L <inner> attach`; capturing the outer pane shows
    the inner server's status line and popups exactly as drawn. `keys` types into that client.
    """

    def __init__(
        self,
        inner: TmuxServer,
        width: int = 120,
        height: int = 30,
        session: str = "main",
        term: str | None = None,
        name: str = "screen",
    ) -> None:
        """`term`: the TERM the client believes it runs in (the outer pane's, by default);
        `name`: the outer server's suffix, for several clients at once."""
        self.inner = inner
        self.outer = TmuxServer(f"{inner.socket}-{name}")
        env = f"TERM={term} " if term else ""
        attach = f"env -u TMUX {env}tmux -L {inner.socket} attach -t ={session}:"
        self.outer.run(
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-s",
            "screen",
            "-x",
            str(width),
            "-y",
            str(height),
            attach,
        )
        self.outer.run("set", "-g", "status", "off")

    def text(self) -> str:
        return self.outer.out("capture-pane", "-p", "-t", "screen")

    def bell_flag(self) -> bool:
        """Whether the client's terminal got a bell: the outer pane's window has the bell flag
        (no client is attached to the outer server, so tmux keeps the flag)."""
        return self.outer.out("display-message", "-p", "-t", "screen", "#{window_bell_flag}") == "1"

    def record_bytes(self, path: Path) -> None:
        """Append every byte the client writes to its terminal to `path` from now on."""
        self.outer.run("pipe-pane", "-o", "-t", "screen", f"cat >> '{path}'")

    def keys(self, *keys: str) -> None:
        self.outer.run("send-keys", "-t", "screen", *keys)

    def wait_for(self, predicate: Callable[[str], bool], timeout: float = 10.0) -> str:
        """Poll the screen until `predicate(text)` holds; the last text either way."""
        shown: list[str] = []

        def look() -> bool:
            shown[:] = [self.text()]
            return predicate(shown[0])

        retry_until(look, timeout, every=0.05)
        return shown[0]

    def shown_at(
        self, present: str | None, absent: str | None = None, timeout: float = 20.0
    ) -> float:
        """When (perf_counter) the screen shows `present` and not `absent`: for benchmarks,
        polled every 2 ms; TimeoutError past `timeout`."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            text = self.text()
            if (present is None or present in text) and (absent is None or absent not in text):
                return time.perf_counter()
            time.sleep(0.002)
        raise TimeoutError(f"screen never showed {present!r} / lost {absent!r}")

    def close(self) -> None:
        self.outer.kill()
