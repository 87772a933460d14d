"""The collector's town search with no town found, over one minute (a search every 10 s), with 20
stale Gas Town sockets (servers killed: tmux leaves the files) and one live server that holds no
town: the tmux calls it makes, beside the same minute asking every socket every time, as it did
before (measured in the same run, the connect() check and the memory switched off)."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from unittest import mock

from bench.common import report
from gt_mcp_tmux.collector.loop import Collector
from gt_mcp_tmux.sources.gastown import town
from tests.counting import counting
from tests.harness import TmuxServer
from tests.waiting import retry_until

STALE = 20


def one_minute(collector: Collector, started: float) -> tuple[int, float]:
    """tmux calls in 61 one-second cycles, and the wall time the searches took (ms)."""
    clock = [started]
    collector.town_scan.clock = lambda: clock[0]
    spent = 0.0
    with counting() as counts:
        for _ in range(61):
            began = time.perf_counter()
            collector._find_town(clock[0])
            collector._find_city(clock[0])
            spent += time.perf_counter() - began
            clock[0] += 1
    return len(counts.tmux_calls()), spent * 1000


def main() -> dict[str, float]:
    with tempfile.TemporaryDirectory(dir="/tmp") as tmp:
        saved = {name: os.environ.get(name) for name in ("TMUX_TMPDIR", "GT_MCP_GT_SOCKET_DIR")}
        os.environ.update(
            TMUX_TMPDIR=tmp, GT_MCP_GT_SOCKET_DIR=str(Path(tmp) / f"tmux-{os.getuid()}")
        )
        user = TmuxServer("user")
        other = TmuxServer("notatown-abcdef")
        try:
            user.run("-f", "/dev/null", "new-session", "-d")
            other.run("-f", "/dev/null", "new-session", "-d")
            for n in range(STALE):
                stale = TmuxServer(f"stale{n:02d}-{n:06x}")
                stale.run("-f", "/dev/null", "new-session", "-d")
                path = stale.out("display-message", "-p", "#{socket_path}")
                stale.kill()
                retry_until(lambda: not town.socket_answers(path))  # noqa: B023
            socket = user.out("display-message", "-p", "#{socket_path}")
            ours, ours_ms = one_minute(Collector(socket, None), 1000.0)
            before = Collector(socket, None)
            with (
                mock.patch.object(town, "socket_answers", lambda path: True),
                mock.patch.object(before.town_scan, "should_ask", lambda path, stamp: True),
            ):
                was, was_ms = one_minute(before, 1000.0)
        finally:
            user.kill()
            other.kill()
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
    report(
        f"town search, no town, {STALE} stale sockets and 1 live non-town server (one minute)",
        {
            "tmux calls a minute": f"{ours} (asking every socket each time, as before: {was})",
            "time in the searches": f"{ours_ms:.0f} ms a minute (as before: {was_ms:.0f} ms)",
        },
    )
    return {"tmux_calls": ours, "tmux_calls_before": was}


if __name__ == "__main__":
    main()
