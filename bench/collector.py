"""The collector against a 200-agent stand-in town, each figure beside a baseline from the same run.

- process spawns per status redraw: our `#{@option}` bar vs a `#(...)` bar (baseline)
- collector RSS and CPU share over a window (default 60 s; BENCH_SECONDS to change)
- one collection cycle's own time (gt excluded) vs one bare `tmux` round trip
- latency from a town-file change (ESTOP) to the option changing, vs the 1 s files interval
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psutil

from bench.common import report, verdict
from gt_mcp_tmux.config import load_settings
from tests.townkit import big_status, install_standin_gt, make_town

PROJECT = Path(__file__).resolve().parent.parent
SECONDS = float(os.environ.get("BENCH_SECONDS", "60"))


def tmux(socket: str, *args: str) -> str:
    done = subprocess.run(
        ["tmux", "-L", socket, *args], capture_output=True, text=True, check=False
    )
    return done.stdout.strip()


def spawns_per_redraw(user: str, status_right: str, redraws: int = 10) -> float:
    """Children the tmux server starts while it redraws an attached client's bar `redraws` times.

    The server's children are sampled every few ms (our bar has no `#()`, so none should appear;
    the `#()` baseline counts its own runs instead, which no sampling can miss).
    """
    tmux(user, "set", "-g", "status-right", status_right)
    tmux(user, "set", "-g", "status-interval", "1")
    server = psutil.Process(int(tmux(user, "display-message", "-p", "#{pid}")))
    outer = f"{user}-screen-{uuid.uuid4().hex[:6]}"
    tmux(
        outer,
        "-f",
        "/dev/null",
        "new-session",
        "-d",
        "-x",
        "120",
        "-y",
        "20",
        f"env -u TMUX tmux -L {user} attach",
    )
    time.sleep(1.5)
    already = {child.pid for child in server.children(recursive=False)}  # the panes' shells
    seen: set[int] = set()
    deadline = time.monotonic() + redraws  # status-interval 1: one redraw a second
    while time.monotonic() < deadline:
        seen.update(child.pid for child in server.children(recursive=False))
        time.sleep(0.005)
    tmux(outer, "kill-server")
    return len(seen - already) / redraws


def main() -> dict[str, float]:
    figures: dict[str, str] = {}
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        town = make_town(tmp, "bigtown", {f"rig{r:02d}": f"r{r:02d}" for r in range(10)})
        status = big_status(town)
        town.set_status(status)
        gt = install_standin_gt(tmp / "bin")
        env_updates = {
            "GT_MCP_GT": str(gt),
            "STANDIN_GT_DATA": str(town.data),
            "GT_TOWN_ROOT": str(town.root),
            "XDG_RUNTIME_DIR": str(tmp / "run"),
            "AGENT_MAIL_URL": "http://127.0.0.1:9",
        }
        (tmp / "run").mkdir(mode=0o700)
        os.environ.update(env_updates)
        sessions = ["hq-mayor", "hq-deacon"] + [
            a["session"] for rig in status["rigs"] for a in rig["agents"]
        ]
        batch: list[str] = []
        for name in sessions[1:]:
            batch += [";", "new-session", "-d", "-s", name]
        tmux(town.socket, "-f", "/dev/null", "new-session", "-d", "-s", sessions[0], *batch)
        agents = len(sessions)
        user = f"gtmcp-bench-{uuid.uuid4().hex[:8]}"
        tmux(user, "-f", "/dev/null", "new-session", "-d", "-s", "main")
        tmux(user, "set", "-g", "@gtmcp-python", sys.executable)
        tmux(user, "set", "-g", "status-right", "#{gtmcp_status}")
        try:
            subprocess.run(
                ["tmux", "-L", user, "run-shell", str(PROJECT / "gastown-mcp.tmux")], check=True
            )
            socket_path = tmux(user, "display-message", "-p", "#{socket_path}")
            deadline = time.monotonic() + 30
            while (
                f"/{agents}" not in tmux(user, "show", "-gqv", "@gtmcp_gastown")
                and time.monotonic() < deadline
            ):
                time.sleep(0.2)
            collector = next(
                p
                for p in psutil.process_iter(["cmdline", "environ"])
                if "collector" in (p.info["cmdline"] or [])
                and socket_path in (p.info["environ"] or {}).get("TMUX", "")
            )

            ours = spawns_per_redraw(user, tmux(user, "show", "-gv", "status-right"))
            # the baseline counts its own runs: a `#()` job that appends a line each time
            counter = tmp / "job-runs"
            spawns_per_redraw(user, f"#(echo x >> {counter}; date +%s)")
            baseline = len(counter.read_text().splitlines()) / 10 if counter.exists() else 0.0
            figures["spawns per redraw"] = f"{ours:.2f} (a #() bar: {baseline:.2f}; goal 0)"
            results["spawns_per_redraw"] = ours
            tmux(user, "set", "-g", "status-right", "#{@gtmcp_status}")

            cpu_before = collector.cpu_times()
            time.sleep(SECONDS)
            cpu_after = collector.cpu_times()
            used = (cpu_after.user + cpu_after.system) - (cpu_before.user + cpu_before.system)
            share = 100 * used / SECONDS
            rss = collector.memory_info().rss / 2**20
            python_rss = _bare_python_rss()
            figures["collector CPU"] = (
                f"{share:.2f}% of a core over {SECONDS:g}s with {agents} agents (goal <= 1%)"
                f" {verdict(share, 1.0, '%')}"
            )
            figures["collector RSS"] = (
                f"{rss:.1f} MB (a bare python: {python_rss:.1f} MB, {rss / python_rss:.1f}x;"
                f" goal <= 25 MB) {verdict(rss, 25.0, ' MB')}"
            )
            results.update(cpu_percent=share, rss_mb=rss)

            cycle_ms, tmux_ms = _cycle_time(socket_path)
            figures["one cycle (no gt)"] = (
                f"{cycle_ms:.1f} ms median ({cycle_ms / tmux_ms:.1f}x one tmux round trip of {tmux_ms:.1f} ms)"
            )
            results["cycle_ms"] = cycle_ms

            latencies = []
            for _ in range(5):
                started = time.monotonic()
                town.estop(reason="bench")
                while "ESTOP" not in tmux(user, "show", "-gqv", "@gtmcp_gastown"):
                    time.sleep(0.02)
                latencies.append((time.monotonic() - started) * 1000)
                (town.root / "ESTOP").unlink()
                while "ESTOP" in tmux(user, "show", "-gqv", "@gtmcp_gastown"):
                    time.sleep(0.02)
            files_ms = load_settings()[0].files_interval * 1000
            latency = statistics.median(latencies)
            figures["ESTOP to bar"] = (
                f"{latency:.0f} ms median of 5 ({latency / files_ms:.2f}x the {files_ms:.0f} ms files interval; goal <= 2000 ms)"
            )
            results["latency_ms"] = latency
        finally:
            tmux(user, "kill-server")
            tmux(town.socket, "kill-server")
    report("collector (200-agent stand-in town)", figures)
    return results


def _bare_python_rss() -> float:
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(5)"])
    time.sleep(0.5)
    rss = psutil.Process(proc.pid).memory_info().rss / 2**20
    proc.kill()
    proc.wait()
    return rss


def _cycle_time(socket_path: str) -> tuple[float, float]:
    """Median ms of Collector.cycle() in-process (gt answers already in), and of one tmux call."""
    from gt_mcp_tmux.collector.loop import Collector

    collector = Collector(socket_path, None)
    collector._find_town(time.monotonic())
    collector.reader.refresh_status(fast=True)
    collector.reader.refresh_convoys()
    collector.cycle()
    cycles = []
    for _ in range(30):
        started = time.perf_counter()
        collector.cycle()
        cycles.append((time.perf_counter() - started) * 1000)
    trips = []
    for _ in range(30):
        started = time.perf_counter()
        subprocess.run(
            ["tmux", "-S", socket_path, "display-message", "-p", "x"],
            capture_output=True,
            check=False,
        )
        trips.append((time.perf_counter() - started) * 1000)
    return statistics.median(cycles), statistics.median(trips)


if __name__ == "__main__":
    main()
