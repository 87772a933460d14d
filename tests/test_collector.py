"""The collector, as a user meets it: started by the plugin, one per server, the bar follows the town."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import pytest

from gt_mcp_tmux.collector.cache import frames_dir, read_snapshot, snapshot_path
from gt_mcp_tmux.collector.control import collector_status, state_path
from tests.harness import PROJECT, Screen, TmuxServer
from tests.townkit import StandinTown, standin_gt_processes
from tests.waiting import retry_until

pytestmark = pytest.mark.integration


def collectors_for(socket_path: str) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["cmdline", "environ"]):
        try:
            cmd = proc.info["cmdline"] or []
            env = proc.info["environ"] or {}
        except (psutil.Error, OSError):
            continue
        if (
            "collector" in cmd
            and "run" in cmd
            and socket_path in (env.get("TMUX", "") + env.get("GT_MCP_COLLECTOR_SOCKET", ""))
        ):
            found.append(proc)
    return found


@pytest.fixture
def gas_town_server(town: StandinTown) -> Iterator[TmuxServer]:
    """Gas Town's own tmux server for the stand-in town, with the example's agent sessions."""
    server = TmuxServer(town.socket)
    server.run("-f", "/dev/null", "new-session", "-d", "-s", "hq-mayor")
    for name in ("hq-deacon", "gt-witness", "gt-refinery", "gt-furiosa", "gt-crew-max"):
        server.run("new-session", "-d", "-s", name)
    yield server
    server.kill()


@contextlib.contextmanager
def plugin_server(town: StandinTown, monkeypatch: pytest.MonkeyPatch) -> Iterator[TmuxServer]:
    """A user's tmux server started with the town in its environment, the plugin loaded."""
    monkeypatch.setenv("GT_TOWN_ROOT", str(town.root))
    server = TmuxServer(f"gtmcp-user-{uuid.uuid4().hex[:10]}")
    server.run("-f", "/dev/null", "new-session", "-d", "-s", "main")
    server.run("set", "-g", "@gtmcp-python", sys.executable)
    server.run("set", "-g", "status-right", "#{gtmcp_status}")
    server.load_plugin()
    path = socket_path(server)
    try:
        yield server
    finally:
        server.kill()
        for proc in collectors_for(path):
            proc.kill()


@pytest.fixture
def user_tmux(
    town: StandinTown, gas_town_server: TmuxServer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TmuxServer]:
    with plugin_server(town, monkeypatch) as server:
        yield server


def restart_collector(server: TmuxServer) -> None:
    """Kill the server's collector as a crash would, reload the plugin (which starts another),
    and let the new one run a few cycles."""
    first = server.option("@_gtmcp-collector-pid")
    psutil.Process(int(first)).kill()
    with contextlib.suppress(psutil.NoSuchProcess):
        psutil.Process(int(first)).wait(timeout=10)
    server.load_plugin()
    option_when(server, "@_gtmcp-collector-pid", lambda v: v.isdigit() and v != first)
    time.sleep(4)  # a few cycles of the new collector


def socket_path(server: TmuxServer) -> str:
    return server.out("display-message", "-p", "#{socket_path}")


def option_when(
    server: TmuxServer, name: str, wanted: Callable[[str], bool], timeout: float = 15.0
) -> str:
    retry_until(lambda: wanted(server.option(name)), timeout)
    return server.option(name)


def test_the_bar_shows_the_fleet(user_tmux: TmuxServer) -> None:
    shown = option_when(user_tmux, "@gtmcp_gastown", lambda v: "6/7" in v and "3/5" in v)
    assert "⛽ 6/7" in shown and "⚠" in shown and "3/5" in shown  # nux is stuck; convoy 3 of 5
    text = user_tmux.out("display-message", "-p", "#{T:status-right}")
    assert "⛽ 6/7" in text and "⌛" not in text


def test_one_collector_however_often_the_plugin_loads(user_tmux: TmuxServer) -> None:
    path = socket_path(user_tmux)
    retry_until(lambda: collectors_for(path))
    for _ in range(6):
        user_tmux.load_plugin()
    time.sleep(2)
    assert len(collectors_for(path)) == 1
    status = collector_status(path)
    assert status.running and status.pid == collectors_for(path)[0].pid


def test_town_file_changes_reach_the_bar(
    user_tmux: TmuxServer, town: StandinTown, gas_town_server: TmuxServer
) -> None:
    option_when(user_tmux, "@gtmcp_gastown", lambda v: "6/7" in v)
    estop = town.estop(reason="halt everything")
    assert "ESTOP" in option_when(user_tmux, "@gtmcp_gastown", lambda v: "ESTOP" in v)
    estop.unlink()
    assert "ESTOP" not in option_when(user_tmux, "@gtmcp_gastown", lambda v: "ESTOP" not in v)
    gas_town_server.run("kill-session", "-t", "=gt-furiosa:")
    shown = option_when(user_tmux, "@gtmcp_gastown", lambda v: "5/7" in v)
    assert "5/7" in shown


def test_killed_tmux_server_leaves_no_process(user_tmux: TmuxServer) -> None:
    path = socket_path(user_tmux)
    procs = retry_until(lambda: collectors_for(path))
    assert procs
    user_tmux.kill()
    _gone, alive = psutil.wait_procs(procs, timeout=15)
    assert not alive


def both(town: StandinTown, payload: object, exit_code: int | None = None) -> None:
    """The same answer from `gt status --json` and `gt status --fast --json`."""
    town.answer("status", payload, exit_code=exit_code)
    town.answer("status-fast", payload, exit_code=exit_code)


@pytest.mark.parametrize(
    ("setup", "marker"),
    [
        (lambda town, mp: mp.setenv("GT_MCP_GT", "/nonexistent/gt"), "!no gt"),
        (lambda town, mp: both(town, "panic: runtime error {{{"), "!gt garbled"),
        (lambda town, mp: both(town, {"name": "gt", "agents": [], "rigs": []}, exit_code=3), None),
    ],
    ids=["missing", "garbage", "nonzero-with-json"],
)
def test_gt_failures_show_a_mark_never_block(
    town: StandinTown,
    gas_town_server: TmuxServer,
    monkeypatch: pytest.MonkeyPatch,
    setup: Callable[..., None],
    marker: str | None,
) -> None:
    setup(town, monkeypatch)
    with plugin_server(town, monkeypatch) as server:
        if marker:
            assert marker in option_when(server, "@gtmcp_gastown", lambda v: marker in v)
        else:
            shown = option_when(server, "@gtmcp_gastown", lambda v: "/" in v)
            assert "!" not in shown  # valid JSON with a non-zero exit is accepted
        # the sessions still count: the cheap source does not need gt
        assert "/7" in server.option("@gtmcp_gastown") or "/6" in server.option("@gtmcp_gastown")


def test_hung_gt_is_killed_and_marked(
    town: StandinTown, gas_town_server: TmuxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    town.hang("status-fast", 60)
    town.hang("convoy_list", 60)
    monkeypatch.setenv("GT_MCP_GT_TIMEOUT", "1")
    with plugin_server(town, monkeypatch) as server:
        # the first status is a full one (not hung): the hung convoy list is what the bar names
        shown = option_when(server, "@gtmcp_gastown", lambda v: "slow" in v)
        assert "!convoys slow" in shown
        assert "6/" in server.option("@gtmcp_gastown")  # sessions still counted meanwhile
        time.sleep(0.5)
        hung = [  # this town's: another test's may still be hanging
            p
            for p in map(psutil.Process, standin_gt_processes(town))
            if p.status() != psutil.STATUS_ZOMBIE
        ]
        # each hung gt lives at most gt_timeout (1 s) before its process group is killed
        _gone, alive = psutil.wait_procs(hung, timeout=3)
        assert not alive


def test_cache_is_private_and_readable(user_tmux: TmuxServer) -> None:
    path = snapshot_path(socket_path(user_tmux))
    retry_until(lambda: path.exists())
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700
    snapshot = retry_until(lambda: (s := read_snapshot(path)) and s.gastown.agents and s)
    assert snapshot and {a.address for a in snapshot.gastown.agents} >= {
        "mayor/",
        "gastown/furiosa",
    }


def test_collector_commands(user_tmux: TmuxServer) -> None:
    path = socket_path(user_tmux)
    retry_until(lambda: state_path(path).exists())
    gt_mcp = str(Path(sys.executable).parent / "gt-mcp")
    env = {**os.environ, "TMUX": f"{path},0,0"}
    status = json.loads(
        subprocess.run(
            [gt_mcp, "collector", "status", "--json"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    assert status["running"] is True and status["pid"] == collectors_for(path)[0].pid
    assert retry_until(
        lambda: json.loads(
            subprocess.run(
                [gt_mcp, "collector", "status", "--json"], env=env, capture_output=True, text=True
            ).stdout
        )["sources"]
    )
    stopped = subprocess.run(
        [gt_mcp, "collector", "stop", "--json"], env=env, capture_output=True, text=True
    )
    assert stopped.returncode == 0 and json.loads(stopped.stdout)["running"] is False
    assert not collectors_for(path) and not state_path(path).exists()
    human = subprocess.run([gt_mcp, "collector", "status"], env=env, capture_output=True, text=True)
    assert human.returncode == 1 and "not running" in human.stdout
    started = subprocess.run(
        [gt_mcp, "collector", "start", "--json"], env=env, capture_output=True, text=True
    )
    assert json.loads(started.stdout)["running"] is True
    # a stopped collector's last values stay, and tmux itself marks them stale after stale_after
    subprocess.run([gt_mcp, "collector", "stop"], env=env, capture_output=True, check=True)
    user_tmux.run("set", "-g", "@_gtmcp_heartbeat", str(int(time.time()) - 120))
    assert "⌛" in user_tmux.out("display-message", "-p", "#{T:status-right}")


def test_collector_restarts_itself_when_the_plugin_is_updated(
    tmp_path: Path, tmux: TmuxServer
) -> None:
    copy = tmp_path / "plugin"
    shutil.copytree(PROJECT / "gt_mcp_tmux", copy / "gt_mcp_tmux")
    path = socket_path(tmux)
    env = {**os.environ, "PYTHONPATH": str(copy), "GT_MCP_COLLECTOR_SOCKET": path}
    proc = subprocess.Popen(
        [sys.executable, "-m", "gt_mcp_tmux", "collector", "run"],
        env=env,
        cwd=tmp_path,
        start_new_session=True,
    )
    try:
        assert retry_until(
            lambda: (
                json.loads(state_path(path).read_text()).get("version")
                if state_path(path).exists()
                else None
            )
        )
        init = copy / "gt_mcp_tmux" / "__init__.py"
        init.write_text(init.read_text().replace('__version__ = "', '__version__ = "9.9.'))

        def new_version() -> bool:
            try:
                return bool(json.loads(state_path(path).read_text())["version"].startswith("9.9."))
            except (OSError, ValueError, KeyError):
                return False

        assert retry_until(new_version, 20)
        assert proc.poll() is None  # the same process, re-executed with the new code
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)


def test_steady_loop_imports_nothing_heavy(
    town: StandinTown, tmux: TmuxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GT_TOWN_ROOT", str(town.root))
    code = (
        "import sys, time\n"
        "from gt_mcp_tmux.collector.loop import Collector\n"
        f"c = Collector({socket_path(tmux)!r}, None)\n"
        "c.started = time.time()\n"
        "for _ in range(3):\n"
        "    c.cycle()\n"
        "c._gt_status_job(); c._convoy_job(); c._mail_job(); c.cycle()\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'rich', 'libtmux', 'psutil'}))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "[]", done.stderr


def test_a_reload_restarts_a_collector_that_died(user_tmux: TmuxServer) -> None:
    path = socket_path(user_tmux)
    first = option_when(user_tmux, "@_gtmcp-collector-pid", lambda v: v.isdigit())
    assert [p.pid for p in collectors_for(path)] == [int(first)]
    user_tmux.load_plugin()  # alive: nothing new is started
    time.sleep(1)
    assert [p.pid for p in collectors_for(path)] == [int(first)]
    psutil.Process(int(first)).kill()
    with contextlib.suppress(psutil.NoSuchProcess):
        psutil.Process(int(first)).wait(timeout=10)
    user_tmux.load_plugin()
    second = option_when(user_tmux, "@_gtmcp-collector-pid", lambda v: v.isdigit() and v != first)
    assert second != first and [p.pid for p in collectors_for(path)] == [int(second)]


def test_a_reload_with_a_live_collector_starts_no_python(
    town: StandinTown, gas_town_server: TmuxServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Every start of the plugin's Python is counted (a wrapper logs each exec): the first load
    starts the collector, reloads while it lives start none (not even one that finds the lock
    taken and exits)."""
    log = tmp_path / "python-execs"
    wrapper = tmp_path / "python"
    wrapper.write_text(f'#!/bin/sh\necho "$*" >> {log}\nexec {sys.executable} "$@"\n')
    wrapper.chmod(0o755)
    with plugin_server(town, monkeypatch) as server:
        server.run("set", "-g", "@gtmcp-python", str(wrapper))
        server.load_plugin()
        option_when(server, "@_gtmcp-collector-pid", lambda v: v.isdigit())
        started = log.read_text().splitlines()
        for _ in range(3):
            server.load_plugin()
        time.sleep(1)  # collector.sh runs in the background: give a stray start its time
        assert log.read_text().splitlines() == started
        assert len(collectors_for(socket_path(server))) == 1


def test_a_frozen_collector_never_blocks_a_reload(user_tmux: TmuxServer) -> None:
    """A collector stopped in its tracks (SIGSTOP, a hung disk) still holds its lock: a reload
    returns at once all the same (TmuxServer.run would time out), and starts no second one."""
    path = socket_path(user_tmux)
    pid = int(option_when(user_tmux, "@_gtmcp-collector-pid", lambda v: v.isdigit()))
    os.kill(pid, signal.SIGSTOP)
    try:
        for _ in range(3):
            user_tmux.load_plugin()
        time.sleep(1)
        assert [p.pid for p in collectors_for(path)] == [pid]
    finally:
        os.kill(pid, signal.SIGCONT)


def test_an_event_line_becomes_an_alert_on_the_bar_a_message_and_the_hook(
    town: StandinTown, gas_town_server: TmuxServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    got = tmp_path / "hook.jsonl"
    hook = tmp_path / "hook.py"
    hook.write_text(f"import sys\nopen({str(got)!r}, 'a').write(sys.stdin.read() + '\\n')\n")
    monkeypatch.setenv("GT_MCP_ALERT_COMMAND", f"{sys.executable} {hook}")
    with plugin_server(town, monkeypatch) as server:
        view = Screen(server)
        try:
            option_when(server, "@gtmcp_status", lambda v: "6/7" in v)
            time.sleep(4)  # past the collector's quiet start: from now on alerts are announced
            reason = "conflict in #(touch ~/P) #[fg=red]x %H"
            town.event(
                "merge_failed",
                "gastown/refinery",
                {"mr": "gt-mr9", "worker": "gastown/furiosa", "reason": reason},
            )
            assert "⚑" in option_when(
                server, "@gtmcp_status", lambda v: "⚑" in v and "merge" not in v
            )
            text = view.wait_for(lambda t: "merge failed gt-mr9" in t)
            assert (
                "gastown-mcp: merge failed gt-mr9 (gastown/furiosa): conflict in #(touch ~/P)"
                in text
            )
            lines = retry_until(lambda: got.exists() and got.read_text().strip().splitlines())
            alert = json.loads(lines[-1])  # type: ignore[index]
            assert alert["kind"] == "merge_failed" and reason in alert["message"]
            assert not (Path(os.environ["HOME"]) / "P").exists()
        finally:
            view.close()


def test_an_urgent_alert_rings_the_bell_of_a_real_client(
    town: StandinTown, gas_town_server: TmuxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The whole way: an ESTOP in the town, the collector's message on the client's bar and the
    bell at the client's terminal (its outer pane's window gets the bell flag)."""
    with plugin_server(town, monkeypatch) as server:
        view = Screen(server)
        try:
            option_when(server, "@gtmcp_status", lambda v: "6/7" in v)
            time.sleep(4)  # past the collector's quiet start
            assert not view.bell_flag()
            town.estop(reason="halt")
            view.wait_for(lambda t: "gastown-mcp: ESTOP in force" in t, timeout=20)
            assert retry_until(view.bell_flag, 10)
        finally:
            view.close()


def test_looking_at_an_agent_acknowledges_its_alerts(
    town: StandinTown, gas_town_server: TmuxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A client attached to the stuck agent's session on Gas Town's server (a jump, another
    terminal) is someone looking at it: its alert goes, as after `gt-mcp alerts --ack`."""
    gas_town_server.run("new-session", "-d", "-s", "gt-nux")
    with plugin_server(town, monkeypatch) as server:
        # nux is stuck, and the overseer has 2 unread (the queue counts both)
        assert "⚑2" in option_when(server, "@gtmcp_status", lambda v: "⚑2" in v)
        env = {**os.environ, "TMUX": f"{socket_path(server)},1,0"}
        gt_mcp = str(Path(sys.executable).parent / "gt-mcp")

        def open_ids() -> list[str]:
            done = subprocess.run(
                [gt_mcp, "alerts", "--json"], env=env, capture_output=True, text=True, check=True
            )
            return [a["id"] for a in json.loads(done.stdout)["alerts"]]

        assert "stuck:gastown/nux" in open_ids()
        time.sleep(2)
        assert "⚑2" in server.option("@gtmcp_status")  # nobody looks: it stays
        looking = Screen(gas_town_server, session="gt-nux")
        try:
            looking.wait_for(lambda t: bool(t.strip()))
            assert "⚑1" in option_when(server, "@gtmcp_status", lambda v: "⚑1" in v)
            assert "stuck:gastown/nux" not in open_ids()
        finally:
            looking.close()
        time.sleep(2)
        assert "⚑1" in server.option("@gtmcp_status")  # acknowledged, not only hidden


def test_an_acknowledged_alert_stays_acknowledged_across_a_collector_restart(
    town: StandinTown, gas_town_server: TmuxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Restarting the collector (an update, a crash, a reload) forgets no alert and no ack."""
    with plugin_server(town, monkeypatch) as server:
        option_when(server, "@gtmcp_status", lambda v: "6/7" in v)
        town.estop(reason="halt")
        # ESTOP, the stuck nux and the overseer's unread mail
        option_when(server, "@gtmcp_status", lambda v: "⚑3" in v)
        env = {**os.environ, "TMUX": f"{socket_path(server)},1,0"}
        gt_mcp = str(Path(sys.executable).parent / "gt-mcp")
        subprocess.run([gt_mcp, "alerts", "--ack", "estop"], env=env, check=True, timeout=30)
        option_when(server, "@gtmcp_status", lambda v: "⚑2" in v)
        restart_collector(server)
        assert "⚑2" in server.option("@gtmcp_status")  # ESTOP still acknowledged, nux still open
        alerts = json.loads(
            subprocess.run(
                [gt_mcp, "alerts", "--json"], env=env, capture_output=True, text=True, check=True
            ).stdout
        )["alerts"]
        assert [a["id"] for a in alerts] == ["stuck:gastown/nux"]


def test_a_status_line_too_short_for_the_bar_is_said_once(
    town: StandinTown, gas_town_server: TmuxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first load of a new user: tmux's status-right-length would cut the segment. The
    message's advice is whole on a 100-column client (tmux cuts a message at its width)."""
    with plugin_server(town, monkeypatch) as server:
        server.run("set", "-g", "status-right-length", "8")
        view = Screen(server, width=100)
        try:
            text = view.wait_for(lambda t: "gastown-mcp: " in t, timeout=20)
            line = next(row for row in text.splitlines() if "gastown-mcp: " in row)
            assert re.search(r"set -g status-right-length [1-9][0-9]*0 \(8 cuts", line), line
        finally:
            view.close()
        told = server.option("@_gtmcp-told-length")
        assert "(8 cuts a busy bar" in told  # said once: a restart does not say it again


def test_gt_calls_in_flight_end_with_the_collector(
    town: StandinTown, gas_town_server: TmuxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A hung gt (default 20 s timeout) must not outlive a collector whose tmux server dies."""
    from tests.townkit import standin_gt_processes

    for key in ("status", "status-fast", "convoy_list"):
        town.hang(key, 120)
    with plugin_server(town, monkeypatch) as server:
        path = socket_path(server)
        assert retry_until(lambda: standin_gt_processes(town))  # gt calls are hanging now
        procs = collectors_for(path)
        server.kill()
        _gone, alive = psutil.wait_procs(procs, timeout=15)
        assert not alive
    assert retry_until(lambda: not standin_gt_processes(town), 5), standin_gt_processes(town)


def test_collector_finds_the_town_set_in_tmuxs_environment_later(
    town: StandinTown, gas_town_server: TmuxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`tmux set-environment -g GT_TOWN_ROOT` is enough: no restart, no shell variable needed."""
    monkeypatch.delenv("GT_TOWN_ROOT", raising=False)
    server = TmuxServer(f"gtmcp-user-{uuid.uuid4().hex[:10]}")
    server.run("-f", "/dev/null", "new-session", "-d", "-s", "main")
    try:
        path = socket_path(server)
        gt_mcp = str(Path(sys.executable).parent / "gt-mcp")
        env = {**os.environ, "TMUX": f"{path},0,0"}
        started = subprocess.run(
            [gt_mcp, "collector", "start", "--json"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        assert json.loads(started.stdout)["running"] is True
        assert "no town" in option_when(server, "@gtmcp_gastown", lambda v: "no town" in v)
        server.run("set-environment", "-g", "GT_TOWN_ROOT", str(town.root))
        assert "6/7" in option_when(server, "@gtmcp_gastown", lambda v: "6/7" in v, timeout=45)
    finally:
        server.kill()
        for proc in collectors_for(path):
            proc.kill()


def test_stop_all_and_a_dead_servers_files_are_removed(
    town: StandinTown, gas_town_server: TmuxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gt_mcp_tmux.private_files import runtime_dir

    with plugin_server(town, monkeypatch) as first, plugin_server(town, monkeypatch) as second:
        paths = [socket_path(first), socket_path(second)]
        assert retry_until(lambda: all(collectors_for(p) for p in paths))
        assert retry_until(lambda: all(snapshot_path(p).exists() for p in paths))
        gt_mcp = str(Path(sys.executable).parent / "gt-mcp")
        subprocess.run([gt_mcp, "collector", "stop", "--all"], check=True, capture_output=True)
        assert not any(collectors_for(p) for p in paths)
        first.load_plugin()  # a new one for the first server only
        assert retry_until(lambda: collectors_for(paths[0]))
        frames = frames_dir(snapshot_path(paths[0]))
        frames.mkdir(mode=0o700, exist_ok=True)
        (frames / "quick-80x24.ansi").write_text("a frame")
        first.kill()  # its collector exits and removes what it kept for that server
        assert retry_until(lambda: not snapshot_path(paths[0]).exists())
        assert retry_until(lambda: not frames.exists()), "its popups' frames are left"
    leftovers = [
        p.name for p in runtime_dir().iterdir() if "collector" in p.name or "snapshot" in p.name
    ]
    assert all(server_key_of(paths[0]) not in name for name in leftovers)


def server_key_of(path: str) -> str:
    from gt_mcp_tmux.private_files import server_key

    return server_key(path)


def test_a_tmux_restarted_while_gt_hangs_gets_a_collector_at_once(
    town: StandinTown, gas_town_server: TmuxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The old server's collector, still waiting on a hung `gt` when its server dies, holds the
    socket's lock: the new server's collector takes it over (the old one is told to stop) and
    the bar shows the fleet, instead of staying blank with no collector."""
    town.hang("status", 60)
    town.hang("status-fast", 60)
    town.hang("convoy_list", 60)
    with plugin_server(town, monkeypatch) as server:
        old = option_when(server, "@_gtmcp-collector-pid", str.isdigit)
        option_when(server, "@gtmcp_gastown", lambda v: "/" in v)
        time.sleep(1)  # its gt calls are under way, hung
        server.kill()

        def restarted() -> bool:  # the old server may still be going for a moment
            made = server.run("-f", "/dev/null", "new-session", "-d", "-s", "main", check=False)
            return made.returncode == 0

        assert retry_until(restarted, 10)
        server.run("set", "-g", "@gtmcp-python", sys.executable)
        server.run("set", "-g", "status-right", "#{gtmcp_status}")
        server.load_plugin()
        new = option_when(server, "@_gtmcp-collector-pid", lambda v: v.isdigit() and v != old)
        assert new.isdigit() and new != old, "the new server got no collector"
        shown = option_when(server, "@gtmcp_gastown", lambda v: "/" in v)
        assert shown
        assert not psutil.pid_exists(int(old)) or psutil.Process(int(old)).status() == "zombie"
        assert collector_status(socket_path(server)).pid == int(new)
    for pid in standin_gt_processes(town):  # the new collector's own hung calls
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
