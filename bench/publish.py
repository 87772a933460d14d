"""The collector's publish step at 10, 200 and 1,000 agents: finding whether the cache must be
rewritten, beside the way it was found before (serialising the town, the city and Agent Mail to
JSON every second), measured in the same run on the same snapshots. Both compare a snapshot with
an equal one rebuilt from scratch, as the readers rebuild theirs every cycle: the worst case, as
nothing differs until the last field.
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from bench.common import report
from bench.fleet import fleet
from gt_mcp_tmux.collector.cache import cache_content
from gt_mcp_tmux.collector.loop import Collector
from gt_mcp_tmux.model import Snapshot, to_json
from tests.harness import TmuxServer

RUNS = 30


def serialised(snapshot: Snapshot) -> str:
    """The change check as it was: the snapshot's parts to JSON, every cycle."""
    return (
        json.dumps(to_json(snapshot.gastown), sort_keys=True)
        + json.dumps(to_json(snapshot.gascity), sort_keys=True)
        + json.dumps(to_json(snapshot.agent_mail), sort_keys=True)
        + ",".join(a.id for a in snapshot.alerts)
    )


def median_ms(action: Callable[[], object]) -> float:
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> dict[str, float]:
    figures: dict[str, str] = {}
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        runtime = Path(tmp) / "run"
        runtime.mkdir(mode=0o700)
        saved = {name: os.environ.get(name) for name in ("XDG_RUNTIME_DIR", "TMUX_TMPDIR")}
        os.environ.update(XDG_RUNTIME_DIR=str(runtime), TMUX_TMPDIR=tmp)  # its cache: not yours
        try:
            _measure(figures, results)
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
    report(f"collector publish (median of {RUNS}, in-process)", figures)
    return results


def _measure(figures: dict[str, str], results: dict[str, float]) -> None:
    server = TmuxServer(f"gtmcp-bench-publish-{uuid.uuid4().hex[:8]}")
    server.run("-f", "/dev/null", "new-session", "-d", "-s", "main")
    try:
        collector = Collector(server.out("display-message", "-p", "#{socket_path}"), None)
        for agents in (10, 200, 1000):
            old, new = fleet(agents), fleet(agents)
            before = serialised(old)
            was = median_ms(lambda: serialised(new) != before)  # noqa: B023
            kept = cache_content(old)
            now_ms = median_ms(lambda: cache_content(new) != kept)  # noqa: B023
            now = time.time()
            collector.publish(old, now)
            whole = median_ms(lambda: collector.publish(new, now + 1))  # noqa: B023
            figures[f"{agents} agents"] = (
                f"change check {now_ms:.2f} ms (serialising, as before: {was:.2f} ms, "
                f"{was / now_ms:.0f}x); whole publish, nothing changed: {whole:.2f} ms"
            )
            results[f"check_ms_{agents}"] = now_ms
            results[f"serialise_ms_{agents}"] = was
            results[f"publish_ms_{agents}"] = whole
    finally:
        server.kill()


if __name__ == "__main__":
    main()
