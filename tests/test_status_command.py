"""`gt-mcp status`: the human view (fleet, Agent Mail tables, bridge) and the JSON snapshot."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from gt_mcp_tmux.collector.cache import write_snapshot
from gt_mcp_tmux.model import snapshot_from_json
from tests.harness import TmuxServer
from tests.townkit import StandinTown, standin_gt_processes
from tests.viewkit import busy_town

GT_MCP = str(Path(sys.executable).parent / "gt-mcp")


def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [GT_MCP, *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "COLUMNS": "110", **env},
    )


def test_human_status_shows_fleet_mail_tables_and_bridge(tmp_path: Path) -> None:
    saved = tmp_path / "snapshot.json"
    write_snapshot(busy_town(), saved)
    done = run("status", GT_MCP_SNAPSHOT=str(saved))
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "gastown/nux" in out and "Deploy v2.0" in out
    assert "GreenCastle" in out and "Who owns src/api.py?" in out  # mail project tables
    assert "1 linked, 1 outside the town" in out and "gastown/furiosa" in out  # bridge links


def test_status_json_is_the_snapshot_collected_once(town: StandinTown) -> None:
    """No collector, no cache: status collects once itself, from the stand-in town."""
    done = run("status", "--json", GT_TOWN_ROOT=str(town.root))
    assert done.returncode == 0, done.stderr
    snapshot = snapshot_from_json(json.loads(done.stdout))
    gas = snapshot.gastown
    assert gas.root == str(town.root) and gas.socket == town.socket
    assert {a.address for a in gas.agents} >= {"mayor/", "gastown/furiosa", "gastown/nux"}
    assert [c.id for c in gas.convoys] == ["hq-cv-a1b2c"]
    assert snapshot.agent_mail is not None and snapshot.agent_mail.state == "down"
    assert "token" not in done.stdout.lower()


def test_status_never_hangs_on_a_hung_gt_and_leaves_no_gt_behind(town: StandinTown) -> None:
    for key in ("version", "status", "status-fast", "convoy_list"):  # even `gt version` hangs
        town.hang(key, 60)
    done = run("status", "--json", GT_TOWN_ROOT=str(town.root))  # default gt_timeout: 20 s
    assert done.returncode == 0
    errors = json.loads(done.stdout)["gastown"]["errors"]
    # a one-off collection asks for a full status (a fast one has no mail counts)
    assert {e["source"] for e in errors if e["kind"] == "timeout"} >= {"gt_status", "convoys"}
    assert standin_gt_processes(town) == []


HEAVY = (
    "gt_mcp_tmux.model",
    "gt_mcp_tmux.collector.once",
    "gt_mcp_tmux.sources.gastown",
    "gt_mcp_tmux.sources.gascity",
    "gt_mcp_tmux.sources.agent_mail",
    "gt_mcp_tmux.render",
    "rich",
    "libtmux",
    "psutil",
)
#: `gt-mcp status --json` in a Python that says, on stderr, which modules it loaded.
STATUS_JSON_LOADING = (
    "import sys\n"
    "from gt_mcp_tmux.cli import main\n"
    "code = main(['status', '--json'])\n"
    "sys.stderr.write(' '.join(sorted(sys.modules)))\n"
    "sys.exit(code)\n"
)


def status_json_and_modules() -> tuple[str, set[str]]:
    done = subprocess.run(
        [sys.executable, "-c", STATUS_JSON_LOADING],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout, set(done.stderr.split())


def test_status_json_from_a_fresh_cache_loads_no_collection_stack(tmp_path: Path) -> None:
    """The collector's fresh cache is printed as the model would print it, without the model,
    the sources or rich: `status --json` costs little more than starting Python."""
    import dataclasses
    import time

    from gt_mcp_tmux import __version__

    fresh = dataclasses.replace(busy_town(), collected_at=time.time(), version=__version__)
    cache = write_snapshot(fresh)  # this (test's) tmux server's cache
    text, loaded = status_json_and_modules()
    assert not sorted(m for m in loaded if m.startswith(HEAVY))
    # nor argparse, json, re or pathlib: the cache's bytes go out before the CLI loads
    assert not sorted(loaded & {"argparse", "json", "re", "pathlib", "gt_mcp_tmux.cli.parser"})
    through_the_model = run("status", "--json", GT_MCP_SNAPSHOT=str(cache))
    assert through_the_model.returncode == 0, through_the_model.stderr
    assert text == through_the_model.stdout  # byte for byte
    assert snapshot_from_json(json.loads(text)) == fresh


def test_status_json_from_another_versions_cache_goes_through_the_model() -> None:
    import dataclasses
    import time

    older = dataclasses.replace(busy_town(), collected_at=time.time(), version="0.0.1")
    write_snapshot(older)
    text, loaded = status_json_and_modules()
    assert "gt_mcp_tmux.model" in loaded and "gt_mcp_tmux.collector.once" not in loaded
    assert snapshot_from_json(json.loads(text)) == older


def test_status_json_from_a_stale_cache_collects_again() -> None:
    """A cache the collector wrote a minute ago is not printed as it is: it is collected anew."""
    import dataclasses
    import time

    from gt_mcp_tmux import __version__

    stale = dataclasses.replace(busy_town(), collected_at=time.time() - 60, version=__version__)
    write_snapshot(stale)
    text, loaded = status_json_and_modules()
    assert "gt_mcp_tmux.collector.once" in loaded
    assert json.loads(text)["collected_at"] > stale.collected_at


def test_status_json_from_a_fresh_cache_inside_tmux_starts_no_process(tmux: TmuxServer) -> None:
    """Inside tmux the options are read with a `tmux` call: a fresh cache needs none of them."""
    import dataclasses
    import time

    from gt_mcp_tmux import __version__
    from gt_mcp_tmux.collector.cache import snapshot_path

    socket = tmux.out("display-message", "-p", "#{socket_path}")
    pid = tmux.out("display-message", "-p", "#{pid}")
    fresh = dataclasses.replace(busy_town(), collected_at=time.time(), version=__version__)
    write_snapshot(fresh, snapshot_path(socket))
    code = (
        "import sys\n"
        "started = []\n"
        "sys.addaudithook(lambda e, a: started.append(a[1]) if e == 'subprocess.Popen' else None)\n"
        "from gt_mcp_tmux.cli import main\n"
        "code = main(['status', '--json'])\n"
        "sys.stderr.write(repr(started))\n"
        "sys.exit(code)\n"
    )
    env = {**os.environ, "TMUX": f"{socket},{pid},0"}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env
    )
    assert done.returncode == 0 and done.stderr == "[]"
    assert snapshot_from_json(json.loads(done.stdout)) == fresh
