"""Start and stop the whole demo: town + simulator, Agent Mail, the viewer tmux server.

`start_demo` records every process it starts in the state file as soon as it exists, so
`stop_demo` can end exactly those (and nothing of the user's) even after a half-finished start.
Processes are started detached (a short-lived middle process), so none is left a zombie of a
`gt-mcp` that has since become `tmux attach`.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from gt_mcp_tmux.demo import standin_gt
from gt_mcp_tmux.demo.city import CITY_SOCKET
from gt_mcp_tmux.demo.gastown_server import clean_environment
from gt_mcp_tmux.demo.state import (
    VIEWER_SOCKET,
    DemoPaths,
    DemoState,
    demo_base_parent,
    load_state,
    save_state,
    state_path,
)
from gt_mcp_tmux.demo.viewer import (
    PLUGIN_FILE,
    attach_command,
    start_viewer,
    terminal_name,
    viewer_config,
)
from gt_mcp_tmux.private_files import runtime_dir, server_key
from gt_mcp_tmux.sources.gastown.town import socket_name_for
from gt_mcp_tmux.sources.tmux.runner import run_tmux

READY_BUDGET = 20.0
COLLECTOR_BUDGET = 10.0
#: Printed on the middle process's stdout: the detached grandchild's pid.
_SPAWN = (
    "import subprocess, sys\n"
    "log = open(sys.argv[1], 'ab')\n"
    "p = subprocess.Popen(sys.argv[2:], stdin=subprocess.DEVNULL, stdout=log, stderr=log,"
    " start_new_session=True)\n"
    "print(p.pid)\n"
)


class DemoError(Exception):
    """The demo could not start; one line saying why."""


@dataclass(frozen=True, slots=True)
class DemoOptions:
    speed: float = 1.0
    seed: int = 7
    with_mail: bool = False
    mail_python: str | None = None
    no_mail: bool = False
    seed_mail: bool = False  # add the demo's projects to the user's own server (said first)
    alert_messages: bool = True  # tmux messages when alerts fire (the pictures turn them off)


def spawn_detached(argv: list[str], env: dict[str, str], log: Path, cwd: Path) -> int:
    """Start `argv` in its own session, not as our child; its pid."""
    done = subprocess.run(
        [sys.executable, "-c", _SPAWN, str(log), *argv],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    text = done.stdout.strip()
    if done.returncode != 0 or not text.isdigit():
        raise DemoError(f"could not start {Path(argv[0]).name}: {done.stderr.strip()[-200:]}")
    return int(text)


def process_alive(pid: int | None) -> bool:
    """A live process (a zombie counts as gone)."""
    if not pid:
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    return stat.rsplit(")", 1)[-1].split()[:1] != ["Z"]


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _wait_gone(pids: list[int], budget: float) -> list[int]:
    deadline = time.monotonic() + budget
    left = [p for p in pids if process_alive(p)]
    while left and time.monotonic() < deadline:
        time.sleep(0.05)
        left = [p for p in left if process_alive(p)]
    return left


def demo_running(state: DemoState) -> bool:
    return all(
        process_alive(pid)
        for pid in (state.simulator_pid, state.gastown_tmux_pid, state.viewer_tmux_pid)
    )


# --- start ------------------------------------------------------------------------------------


def _banner(state: DemoState, mail_line: str) -> str:
    bold, dim, reset = "\x1b[1m", "\x1b[2m", "\x1b[0m"
    return "\n".join(
        [
            "",
            f"  {bold}gastown-mcp demo{reset}: a simulated Gas Town lives on its own tmux server",
            f"  ({state.gt_socket}), answered by a stand-in `gt`, and a simulated Gas City beside it",
            "  (tmux -L gtmcp-demo-city). Your own town, city and tmux are untouched.",
            "",
            "  The status bar (bottom right): ⛽ the town, ▦ the city: running/total agents,",
            "  ⚠ needing attention, convoy beads done/total (the city's ✉N: its mail for you);",
            "  Agent Mail: ✉ unread, ⚿ reservations, ⚔ conflicts; ⇄ bridge; ⚑ what needs you.",
            f"  {dim}{mail_line}{reset}",
            "",
            f"  {bold}Prefix+g{reset}  quick status        {bold}Prefix+G{reset}  live dashboard",
            f"  {bold}Prefix+m{reset}  Agent Mail          {bold}Prefix+b{reset}  bridge and detection",
            f"  {bold}Prefix+a{reset}  jump to an agent    {bold}Prefix+S{reset}  sling a ready bead",
            f"  {bold}Prefix+N{reset}  go to what needs you first  {bold}Prefix+Q{reset}  the queue (⚑)",
            "  (the prefix here is Ctrl-b: this tmux reads no tmux.conf of yours)",
            "",
            "  In this shell: gt-mcp status · gt-mcp queue · gt-mcp peek AGENT · gt status --json",
            f"  Leave with Prefix+d (it keeps running: {attach_command()} comes back).",
            "  End it: gt-mcp demo --stop  (or close this shell).",
            "",
            "",
        ]
    )


def _mail(
    options: DemoOptions, state: DemoState, say: Callable[[str], None]
) -> tuple[str, str | None]:
    """Decide on Agent Mail: (one line for the banner, token to pass) and record the URL.

    The user's own server is written to only with `--seed-mail`, after saying what goes in;
    without a flag the demo leaves it alone (not even read: reading reservations over HTTP makes
    a server sweep them)."""
    from gt_mcp_tmux.demo import mail

    if options.no_mail:
        return "Agent Mail: off (--no-mail)", None
    try:
        if options.with_mail:
            _own_mail(options, state, say)
            token = None
        elif options.seed_mail:
            token = _users_mail(state, say)
        else:
            return _no_mail_line(), None
        assert state.mail_url is not None
        say(f"seeding Agent Mail at {state.mail_url}")
        summary = mail.seed_mail(state.mail_url, token, state.paths.root)
    except (mail.MailSetupError, OSError) as err:
        text = " ".join(str(err).split())
        raise DemoError(text if text.startswith("Agent Mail") else f"Agent Mail: {text}") from None
    state.mail_seeded = True
    save_state(state)
    whose = "the demo's own" if state.mail_pid else "yours: these stay after --stop"
    return f"Agent Mail at {state.mail_url} ({whose}): {summary}", token


def _own_mail(options: DemoOptions, state: DemoState, say: Callable[[str], None]) -> None:
    from gt_mcp_tmux.demo import mail

    python = options.mail_python or ""
    say(f"starting Agent Mail ({python} -m mcp_agent_mail.cli serve-http)")
    started = mail.start_mail_server(python, state.paths.mail_run)
    state.mail_pid, state.mail_url = started.pid, started.url
    save_state(state)
    if not mail.wait_alive(started.url, pid=started.pid):
        raise DemoError("Agent Mail did not come up: " + _tail(state.paths.mail_run / "server.log"))


def _users_mail(state: DemoState, say: Callable[[str], None]) -> str | None:
    """`--seed-mail`: the user's server at `agent_mail_url`, told what will be added to it."""
    from gt_mcp_tmux.demo import mail
    from gt_mcp_tmux.sources.agent_mail.reader import resolve_token

    url = _users_mail_url()
    if url is None:
        raise DemoError("--seed-mail: no Agent Mail server answers at " + _configured_url())
    state.mail_url = url
    save_state(state)
    say(f"--seed-mail: adding to your Agent Mail at {url} ({mail.seed_summary(state.paths.root)}):")
    for line in mail.seed_plan(state.paths.root):
        say(f"  {line}")
    say("  they stay after --stop (Agent Mail has no tool to delete a project)")
    return resolve_token(url)


def _configured_url() -> str:
    from gt_mcp_tmux.config import load_settings

    return load_settings(strict=False)[0].agent_mail_url


def _users_mail_url() -> str | None:
    """The user's Agent Mail URL when a server answers there, else None."""
    from gt_mcp_tmux.sources.agent_mail.liveness import check_liveness

    url = _configured_url()
    return url if check_liveness(url, timeout=1.0).up else None


def _no_mail_line() -> str:
    url = _users_mail_url()
    if url is None:
        return "Agent Mail: off (--with-mail starts a server of the demo's own)"
    return (
        f"Agent Mail: yours at {url} is left alone (--with-mail starts the demo's own,"
        " --seed-mail adds the demo's projects to yours)"
    )


def _wait_ready(paths: DemoPaths, simulator_pid: int) -> tuple[int, int | None]:
    """(the town's tmux server pid, the simulated city's)."""
    deadline = time.monotonic() + READY_BUDGET
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError, ValueError):
            ready = json.loads(paths.ready.read_text())
            pid, city = ready.get("gastown_tmux_pid"), ready.get("city_tmux_pid")
            if isinstance(pid, int):
                return pid, city if isinstance(city, int) else None
            raise DemoError("the town's tmux server did not start: " + _tail(paths.log))
        if not process_alive(simulator_pid):
            raise DemoError("the simulator stopped: " + _tail(paths.log))
        time.sleep(0.05)
    raise DemoError(f"the town was not up within {READY_BUDGET:g} s: " + _tail(paths.log))


def _tail(log: Path) -> str:
    """The last lines of a log, on one line (the demo folder, log included, is removed after)."""
    try:
        lines = log.read_text(errors="replace").strip().splitlines()[-3:]
    except OSError:
        return "no log"
    return " | ".join(line.strip() for line in lines) or "no output"


def _viewer_socket_path() -> str | None:
    done = run_tmux(["display-message", "-p", "#{socket_path}"], VIEWER_SOCKET)
    return done.stdout.strip() if done is not None and done.returncode == 0 else None


def _wait_collector(socket_path: str) -> int | None:
    from gt_mcp_tmux.collector.control import read_state

    deadline = time.monotonic() + COLLECTOR_BUDGET
    while time.monotonic() < deadline:
        pid = read_state(socket_path).get("pid")
        if isinstance(pid, int) and process_alive(pid):
            return pid
        time.sleep(0.1)
    return None


def start_demo(options: DemoOptions, say: Callable[[str], None]) -> DemoState:
    """Start everything (see the module docstring); the recorded state."""
    existing = load_state()
    if existing is not None:
        if demo_running(existing):
            say("the demo is already running")
            if options.with_mail or options.seed_mail or options.no_mail:
                say(
                    "its Agent Mail stays as it started (see below); for another choice: "
                    "gt-mcp demo --stop, then start it again with yours"
                )
            return existing
        stop_demo()
    if options.with_mail:
        from gt_mcp_tmux.demo.mail import find_mail_python

        python = find_mail_python(options.mail_python)
        if python is None:
            raise DemoError(
                "--with-mail: no Python with mcp_agent_mail found "
                "(install it: pip install mcp-agent-mail, or pass --mail-python PATH)"
            )
        options = replace(options, mail_python=python)
    if not PLUGIN_FILE.is_file():
        raise DemoError(f"the plugin file is missing ({PLUGIN_FILE}): reinstall gastown-mcp")
    if shutil.which("tmux") is None:
        raise DemoError("tmux is not installed")
    if _viewer_socket_path():
        raise DemoError(
            f"a tmux server already runs on -L {VIEWER_SOCKET} that no demo recorded: "
            f"end it with `tmux -L {VIEWER_SOCKET} kill-server`, then try again"
        )
    base = Path(tempfile.mkdtemp(prefix="gtmcp-demo-", dir=demo_base_parent()))
    paths = DemoPaths(base)
    state = DemoState(
        base=str(base),
        gt_socket=socket_name_for(paths.root, environ={}),
        speed=options.speed,
        seed=options.seed,
    )
    save_state(state)
    try:
        return _start(options, state, say)
    except BaseException:
        stop_demo()
        raise


def _start(options: DemoOptions, state: DemoState, say: Callable[[str], None]) -> DemoState:
    paths = state.paths
    gt = standin_gt.install(
        paths.bin, [sys.executable, standin_gt.__file__], {"STANDIN_GT_DATA": str(paths.answers)}
    )
    gt_mcp = paths.bin / "gt-mcp"
    gt_mcp.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m gt_mcp_tmux "$@"\n')
    gt_mcp.chmod(0o755)
    env = clean_environment()
    say(f"creating the town in {paths.root}")
    state.simulator_pid = spawn_detached(
        [
            sys.executable,
            "-m",
            "gt_mcp_tmux.demo.simulator",
            str(paths.base),
            state.gt_socket,
            str(options.speed),
            str(options.seed),
        ],
        env,
        paths.log,
        paths.base,
    )
    save_state(state)
    state.gastown_tmux_pid, state.city_tmux_pid = _wait_ready(paths, state.simulator_pid)
    save_state(state)
    mail_line, token = _mail(options, state, say)
    state.mail_note = mail_line
    viewer_env = clean_environment(
        {
            "GT_TOWN_ROOT": str(paths.root),
            "GT_MCP_GT": str(gt),
            "GC_HOME": str(paths.gc_home),  # the simulated city's registry and supervisor
            "PATH": f"{paths.bin}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
        }
    )
    if state.mail_url:
        viewer_env["AGENT_MAIL_URL"] = state.mail_url
    if token and state.mail_pid is None:
        viewer_env["AGENT_MAIL_TOKEN"] = token
    paths.viewer_conf.write_text(
        viewer_config(
            sys.executable,
            paths.root,
            state.mail_url,
            state.mail_url is not None,
            city_root=paths.city_root,
            terminal=terminal_name(),
            alert_messages=options.alert_messages,
        )
    )
    paths.banner.write_text(_banner(state, mail_line))
    say(f"starting the viewer tmux server (-L {VIEWER_SOCKET}) with the plugin loaded")
    state.viewer_tmux_pid = start_viewer(paths, viewer_env)
    save_state(state)
    if state.viewer_tmux_pid is None:
        raise DemoError("the viewer tmux server did not start")
    socket_path = _viewer_socket_path()
    state.viewer_socket = VIEWER_SOCKET
    if socket_path:
        state.collector_pid = _wait_collector(socket_path)
        state.viewer_socket_path = socket_path
    save_state(state)
    return state


# --- stop -------------------------------------------------------------------------------------


def _signal_group_or_pid(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        if os.getpgid(pid) == pid:
            os.killpg(pid, sig)
        else:
            os.kill(pid, sig)


def _end(pid: int | None, marker: bytes, budget: float) -> None:
    """SIGTERM `pid` (its group when it leads one) if it is still the process we started."""
    if not pid or pid == os.getpid() or not process_alive(pid) or marker not in _cmdline(pid):
        return
    _signal_group_or_pid(pid, signal.SIGTERM)
    if _wait_gone([pid], budget):
        _signal_group_or_pid(pid, signal.SIGKILL)
        _wait_gone([pid], 2.0)


def _server_is(socket: str, pid: int | None) -> bool:
    """Whether the tmux server on `socket` is the one recorded (not a later one of that name)."""
    if not pid or not process_alive(pid):
        return False
    done = run_tmux(["display-message", "-p", "#{pid}"], socket)
    return done is not None and done.returncode == 0 and done.stdout.strip() == str(pid)


def _viewer_of(state: DemoState) -> int | None:
    """The pid of this demo's viewer server: the recorded one, or (not recorded yet) the server
    on the viewer socket whose GT_TOWN_ROOT is this demo's town."""
    if state.viewer_tmux_pid:
        ours = _server_is(state.viewer_socket, state.viewer_tmux_pid)
        return state.viewer_tmux_pid if ours else None
    done = run_tmux(["show-environment", "-g", "GT_TOWN_ROOT"], state.viewer_socket)
    if done is None or done.stdout.strip() != f"GT_TOWN_ROOT={state.paths.root}":
        return None
    found = run_tmux(["display-message", "-p", "#{pid}"], state.viewer_socket)
    text = found.stdout.strip() if found is not None else ""
    return int(text) if text.isdigit() else None


def _remove_dead_sockets(names: tuple[str, ...]) -> None:
    """The socket files of the demo's ended servers (tmux leaves them behind, and the town's
    name changes each run): removed when nothing answers on them any more."""
    from gt_mcp_tmux.sources.gastown.town import gastown_socket_dirs, socket_answers

    for folder in gastown_socket_dirs():
        for name in names:
            path = folder / name
            with contextlib.suppress(OSError):
                if stat.S_ISSOCK(path.lstat().st_mode) and not socket_answers(path):
                    path.unlink()


def stop_demo() -> list[str] | None:
    """Stop the demo the state file lists; what could not be stopped (None: no demo recorded)."""
    state = load_state()
    if state is None:
        return None
    return stop_state(state)


def stop_state(state: DemoState, own_state_file: bool = True) -> list[str]:
    """End what `state` lists and remove its files; what could not be stopped.

    Servers are ended only while they are still the recorded ones. `own_state_file` False leaves
    the state file alone (the simulator cleaning up after its state file was removed).
    """
    _end(state.simulator_pid, b"gt_mcp_tmux.demo.simulator", 5.0)
    viewer_pid = _viewer_of(state)
    socket_path = state.viewer_socket_path or (_viewer_socket_path() if viewer_pid else None)
    if socket_path and viewer_pid:
        from gt_mcp_tmux.collector.control import stop_collector

        stop_collector(socket_path)
    _end(state.collector_pid, b"collector", 5.0)
    town_pid, city_pid = state.gastown_tmux_pid, state.city_tmux_pid
    for socket, pid in (
        (state.viewer_socket, viewer_pid),
        (state.gt_socket, town_pid if _server_is(state.gt_socket, town_pid) else None),
        (CITY_SOCKET, city_pid if _server_is(CITY_SOCKET, city_pid) else None),
    ):
        if pid:
            run_tmux(["kill-server"], socket, timeout=5)
            _wait_gone([pid], 5.0)
    _end(state.mail_pid, b"mcp_agent_mail", 15.0)
    if socket_path:
        from gt_mcp_tmux.collector.cache import frames_dir, snapshot_path

        for leftover in runtime_dir().glob(f"*-{server_key(socket_path)}*"):
            with contextlib.suppress(OSError):
                leftover.unlink()
        shutil.rmtree(frames_dir(snapshot_path(socket_path)), ignore_errors=True)
    _remove_dead_sockets((state.viewer_socket, state.gt_socket, CITY_SOCKET))
    shutil.rmtree(state.base, ignore_errors=True)
    problems = [
        f"{name} (pid {pid}) is still running"
        for name, pid in state.pids().items()
        if pid != os.getpid() and process_alive(pid)
    ]
    if Path(state.base).exists():
        problems.append(f"could not remove {state.base}")
    if own_state_file:
        with contextlib.suppress(FileNotFoundError):
            state_path().unlink()
    return problems
