"""CPU of an open live dashboard at 10, 200 and 1,000 agents: with an unchanged cache, and with
a cache rewritten every second (an agent's activity and the collection time move).

Each case runs two dashboards side by side in panes of one real tmux server (140x45, the same
cache file, the same machine load): `gt-mcp dashboard` as shipped, and the baseline, the old
loop kept only here (`python -m bench.dashboard old`: it built and painted every second,
whatever changed). CPU is the user + system time of each pane's processes (and of the children
they forked) over the window (psutil); the paints are counted in what each pane wrote (tmux
pipe-pane), never timed.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import psutil

from bench.common import report
from bench.fleet import fleet
from tests.harness import TmuxServer

GT_MCP = str(Path(sys.executable).parent / "gt-mcp")
ROOT = Path(__file__).resolve().parent.parent
KEY_LINE = b"q quit \xc2\xb7 r refresh"  # once in every paint
SIZES = (10, 200, 1000)
OLD_EVERY = 1.0  # the old loop's REFRESH_EVERY


def old_loop() -> None:
    """The dashboard's loop as it was: refresh and repaint every second, changed or not."""
    from rich.live import Live

    from gt_mcp_tmux.output import console
    from gt_mcp_tmux.render.dashboard_view import live_frame
    from gt_mcp_tmux.render.icons import plain_glyphs
    from gt_mcp_tmux.ui.dashboard import Dashboard
    from gt_mcp_tmux.ui.keys import KeyReader

    screen = console()
    board = Dashboard()
    board.refresh()
    ascii_only = plain_glyphs(screen, screen.options)
    with KeyReader() as keys, Live(console=screen, screen=True, auto_refresh=False) as live:
        next_refresh = time.monotonic() + OLD_EVERY
        while True:
            width, height = screen.size
            live.update(
                live_frame(board.view(time.time(), keys=True), width, height, ascii_only),
                refresh=True,
            )
            key = keys.read(max(next_refresh - time.monotonic(), 0.0))
            if key is None:
                board.refresh()
                next_refresh = time.monotonic() + OLD_EVERY
            elif key != "resize" and not board.handle(key):
                return


def tree_cpu(pid: int) -> float:
    """User + system seconds of a process and its descendants so far, the children they waited
    for included (the `tmux list-sessions` and `list-panes` each dashboard forks)."""
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0.0
    total = 0.0
    for proc in procs:
        try:
            times = proc.cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system + times.children_user + times.children_system
    return total


def rewriting(cache: Path, agents: int, stop: threading.Event) -> None:
    """The collector with moving data: the cache written again every second."""
    from gt_mcp_tmux.collector.cache import write_snapshot

    base = fleet(agents)
    town = base.gastown
    while not stop.wait(1.0):
        now = time.time()
        first = dataclasses.replace(town.agents[0], last_activity=now)
        moved = dataclasses.replace(town, agents=[first, *town.agents[1:]])
        write_snapshot(dataclasses.replace(base, gastown=moved, collected_at=now), cache)


def one_case(agents: int, rewritten: bool, seconds: float, tmp: Path) -> dict[str, float]:
    from gt_mcp_tmux.collector.cache import write_snapshot

    cache = tmp / f"snapshot-{agents}-{int(rewritten)}.json"
    # an unchanged cache from the future: no stale line appears while it is measured
    write_snapshot(dataclasses.replace(fleet(agents), collected_at=time.time() + 3600), cache)
    server = TmuxServer(f"gtmcp-bench-dash-{uuid.uuid4().hex[:8]}")
    env = f"env GT_MCP_SNAPSHOT={cache} PYTHONPATH={ROOT}"
    commands = {
        "new": f"{env} {GT_MCP} dashboard",
        "old": f"{env} {sys.executable} -m bench.dashboard old",
    }
    stop = threading.Event()
    writer = threading.Thread(target=rewriting, args=(cache, agents, stop), daemon=True)
    try:
        first = True
        for name, command in commands.items():
            server.run(
                *(["-f", "/dev/null", "new-session"] if first else ["new-session"]),
                "-d",
                "-s",
                name,
                "-x",
                "140",
                "-y",
                "45",
                "-c",
                str(ROOT),
                command,
            )
            first = False
        deadline = time.monotonic() + 60
        for name in commands:  # both painted their first screen
            while "q quit" not in server.out("capture-pane", "-p", "-t", name):
                if time.monotonic() > deadline:
                    raise TimeoutError(f"the {name} dashboard never painted")
                time.sleep(0.1)
        pids = {
            name: int(server.out("display", "-p", "-t", name, "#{pane_pid}")) for name in commands
        }
        logs = {name: tmp / f"paints-{name}-{agents}-{int(rewritten)}.log" for name in commands}
        for name in commands:
            server.run("pipe-pane", "-o", "-t", name, f"cat >> '{logs[name]}'")
        if rewritten:
            writer.start()
        before = {name: tree_cpu(pid) for name, pid in pids.items()}
        started = time.monotonic()
        time.sleep(seconds)
        spent = {name: tree_cpu(pid) - before[name] for name, pid in pids.items()}
        elapsed = time.monotonic() - started
    finally:
        stop.set()
        if writer.is_alive():
            writer.join()
        server.kill()
    figures: dict[str, float] = {}
    for name in commands:
        figures[f"{name} cpu"] = spent[name] / elapsed * 100
        figures[f"{name} paints"] = float(logs[name].read_bytes().count(KEY_LINE))
    figures["seconds"] = elapsed
    return figures


def paints(count: float) -> str:
    return f"{count:.0f} paint" + ("" if round(count) == 1 else "s")


def main() -> dict[str, float]:
    seconds = 8.0 if os.environ.get("BENCH_QUICK") else 20.0
    results: dict[str, float] = {}
    lines: dict[str, str] = {}
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        for agents in SIZES:
            for rewritten in (False, True):
                f = one_case(agents, rewritten, seconds, Path(tmp))
                case = (
                    f"{agents} agents, cache {'rewritten every 1 s' if rewritten else 'unchanged'}"
                )
                ratio = f["old cpu"] / f["new cpu"] if f["new cpu"] else float("inf")
                lines[case] = (
                    f"{f['new cpu']:.1f}% of a core, {paints(f['new paints'])}; "
                    f"old loop {f['old cpu']:.1f}%, {paints(f['old paints'])}: "
                    f"{ratio:.1f}x less"
                )
                key = f"{agents}_{'rewritten' if rewritten else 'unchanged'}"
                results.update({f"{key} {name}": value for name, value in f.items()})
    load = os.getloadavg()
    lines["load average (1 min) before / after"] = f"{load_before[0]:.2f} / {load[0]:.2f}"
    report(
        f"dashboard CPU, open {seconds:.0f} s (140x45; beside the old every-second loop in the "
        f"same run)",
        lines,
    )
    return results


if __name__ == "__main__":
    if sys.argv[1:] == ["old"]:
        old_loop()
    else:
        main()
