"""Live Gas Cities made by the real `gc` (../shared/gascity/bin/gc), for the real-city tests.

`GT_MCP_TEST_REAL_GC` names the binary (without it the shared copy beside the project is used when
present). Where the binary, its recipe or a C compiler for the stand-in agent is missing, the tests
say so loudly: in CI (CI=true) that is a failure, elsewhere a skip with the reason.

A city is built by `../shared/gascity/city-recipe.sh` in a fresh HOME (`<base>/home`, registry in
`<base>/gchome`): a supervisor serving the API on 127.0.0.1:<port>, named sessions `mayor` and
`deacon`, a rig `demorig` with its named `demorig--witness` and a `polecat` pool (one
`polecat-<bead>` session for the bead slung by the recipe), three beads, two mails (one to
`human`). gc ignores TMUX_TMPDIR: the city's tmux server is `/tmp/tmux-<uid>/<city name>`.

One city at a time, machine-wide: every supervisor also binds localhost:6060 (hard-coded debug
port), so a city holds an flock on `/tmp/gt-mcp-real-city.lock` for its whole life (safe across
pytest processes; a second city in the same process fails at once instead of waiting for
itself). `kill()` stops the city, its supervisor and its tmux server, kills whatever still runs
with the city's HOME, removes the socket, verifies that nothing is left, and releases the lock.

Facts about how the real city behaves are in docs/gascity-observed.md.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import socket as socketlib
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, TypeVar

import pytest

from tests.realkit import RealKit, tmux_on
from tests.realtown import processes_with_home

PROJECT = Path(__file__).resolve().parent.parent
SHARED_GC = PROJECT.parent / "shared" / "gascity"
REAL_GC_VARIABLE = "GT_MCP_TEST_REAL_GC"
LOCK_PATH = Path("/tmp/gt-mcp-real-city.lock")
LOCK_WAIT = 600.0  # another process's city: the longest we wait for it to end
UP_WAIT = 60.0  # the recipe's sessions (a city is up in ~5 s on an idle machine)
NAMED_SESSIONS = ("mayor", "deacon", "demorig--witness")
CRASHER = "crasher"
SUPERVISOR = ["gc", "supervisor", "run"]  # its command line, as the recipe starts it
# env the recipe and every gc command get, besides HOME/GC_HOME/PATH: nothing of the caller's
# GC_*, GT_*, TMUX*, XDG_*, BEADS_* leaks into the city (nor the test's fake HOME)
PASSED_THROUGH = ("LANG", "LC_ALL", "LC_CTYPE", "TZ", "USER", "LOGNAME", "TERM")

T = TypeVar("T")


KIT = RealKit("GAS CITY", REAL_GC_VARIABLE, SHARED_GC / "bin" / "gc")
missing = KIT.missing
real_gc_binary = KIT.binary


def kit() -> Path:
    """The folder of the recipe, `bin/gc` and `bin/bd` (the file-store `bd` shim)."""
    return real_gc_binary().resolve().parent.parent


def recipe() -> Path:
    path = kit() / "city-recipe.sh"
    if not path.is_file():
        missing(f"no city recipe at {path}")
    return path


def build_agent(cache: Path) -> Path:
    """The stand-in agent (../gastown/agent/gtagent.c beside the kit), compiled once per session."""
    source = kit().parent / "gastown" / "agent" / "gtagent.c"
    return KIT.compile_agent(source, cache / "gcagent")


def free_port() -> int:
    """A loopback port free right now (bound, then released)."""
    with socketlib.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def base_env() -> dict[str, str]:
    return {k: os.environ[k] for k in PASSED_THROUGH if k in os.environ} | {"PATH": "/usr/bin:/bin"}


def wait_for(
    predicate: Callable[[], T | None], timeout: float, *, every: float = 0.25, what: str = ""
) -> T:
    """Ask `predicate` until its answer is truthy; that answer. Errors a live city gives while it
    moves (refused connection, bad JSON, a tmux server not there yet) count as "not yet". After
    `timeout` seconds: AssertionError, with the last answer or error."""
    deadline = time.monotonic() + timeout
    last: object = None
    while True:
        try:
            value = predicate()
        except (OSError, ValueError, KeyError, subprocess.SubprocessError) as err:
            last = err
        else:
            if value:
                return value
            last = value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}: {last!r}")
        time.sleep(every)


# --- one city at a time ------------------------------------------------------------------------


class CityLock:
    """flock on LOCK_PATH, held for a city's life. flock is per open file, so a second city in
    this same process would wait for itself forever: that is refused at once instead."""

    held_by: str | None = None  # the city of this process that holds it

    def __init__(self, name: str) -> None:
        self.name = name
        self.file: IO[str] | None = None

    def acquire(self, timeout: float = LOCK_WAIT) -> None:
        if CityLock.held_by is not None:
            pytest.fail(
                f"one live city at a time: {CityLock.held_by} is still up in this process "
                f"(kill() it first; do not keep a city fixture alive across another one)",
                pytrace=False,
            )
        handle = LOCK_PATH.open("a+")
        with contextlib.suppress(OSError):
            LOCK_PATH.chmod(0o666)
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    handle.seek(0)
                    holder = handle.read().strip()
                    handle.close()
                    pytest.fail(
                        f"another live city held {LOCK_PATH} for {timeout:.0f}s ({holder})",
                        pytrace=False,
                    )
                time.sleep(0.5)
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} city {self.name}\n")
        handle.flush()
        self.file = handle
        CityLock.held_by = self.name

    def release(self) -> None:
        if self.file is None:
            return
        with contextlib.suppress(OSError):
            self.file.truncate(0)
            fcntl.flock(self.file, fcntl.LOCK_UN)
        self.file.close()
        self.file = None
        if CityLock.held_by == self.name:
            CityLock.held_by = None


# --- the city ------------------------------------------------------------------------------------


@dataclass
class RealCity:
    root: Path  # the city folder (city.toml, .gc/)
    name: str
    port: int
    base: Path  # what the recipe got as BASE: home/, gchome/, bin/, cities/, rigs/
    gc_binary: Path
    crasher: str | None = None  # the crash-looping named session, when asked for
    lock: CityLock | None = field(default=None, repr=False)

    # -- where things are
    @property
    def home(self) -> Path:
        return self.base / "home"

    @property
    def gc_home(self) -> Path:
        return self.base / "gchome"

    @property
    def bin_dir(self) -> Path:
        return self.base / "bin"

    @property
    def rig(self) -> Path:
        return self.base / "rigs" / "demorig"

    @property
    def events_path(self) -> Path:
        return self.root / ".gc" / "events.jsonl"

    @property
    def supervisor_log(self) -> Path:
        return self.base / "supervisor.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def socket(self) -> str:
        """The tmux socket's name: the city name, no hash ([session] socket is not set)."""
        return self.name

    @property
    def socket_path(self) -> str:
        return f"/tmp/tmux-{os.getuid()}/{self.socket}"

    # -- commands
    def env(self) -> dict[str, str]:
        """The environment the recipe gave gc: its HOME and GC_HOME, file beads, no Dolt, PATH
        with the city's bin (gc, bd, gcagent) first; nothing of the caller's GC_/GT_/TMUX."""
        return base_env() | {
            "HOME": str(self.home),
            "GC_HOME": str(self.gc_home),
            "GC_BEADS": "file",
            "GC_DOLT": "skip",
            "PATH": f"{self.bin_dir}:/usr/bin:/bin",
        }

    def gc(
        self, *args: str, cwd: Path | None = None, timeout: float = 60, check: bool = False
    ) -> subprocess.CompletedProcess[str]:
        """`gc ARGS` in the city folder (or `cwd`, e.g. `city.rig`)."""
        return subprocess.run(
            ["gc", *args],
            cwd=cwd or self.root,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=check,
        )

    def gc_bd(
        self, *args: str, cwd: Path | None = None, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        """`bd ARGS` (Gas City's file-store shim) in the city folder (or `cwd`), checked."""
        return subprocess.run(
            ["bd", *args],
            cwd=cwd or self.root,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=True,
        )

    def gc_json(self, *args: str, cwd: Path | None = None) -> Any:
        done = self.gc(*args, "--json", cwd=cwd, check=True)
        return json.loads(done.stdout)

    def api(self, path: str, timeout: float = 5) -> Any:
        """GET http://127.0.0.1:<port><path>, JSON. Raises OSError (URLError, HTTPError) when
        the supervisor is down or answers an error."""
        with urllib.request.urlopen(self.url + path, timeout=timeout) as answer:
            return json.load(answer)

    def city_api(self, path: str, timeout: float = 5) -> Any:
        """`api("/v0/city/<name>" + path)`."""
        return self.api(f"/v0/city/{self.name}{path}", timeout)

    def api_up(self) -> bool:
        try:
            self.api("/health", timeout=2)
        except (OSError, ValueError):
            return False
        return True

    def sessions(self) -> list[dict[str, Any]]:
        """The API's session list (`/v0/city/<name>/sessions` items)."""
        items: list[dict[str, Any]] = self.city_api("/sessions")["items"]
        return items

    def session(self, session_name: str) -> dict[str, Any] | None:
        """The API's entry for one tmux session name (mayor, demorig--witness, polecat-gc-7)."""
        return next((s for s in self.sessions() if s.get("session_name") == session_name), None)

    def events(self) -> list[dict[str, Any]]:
        """`.gc/events.jsonl`, every line (seq is not unique: see the notes)."""
        if not self.events_path.exists():
            return []
        lines = self.events_path.read_text().splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    def tmux(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """A command on the city's own tmux server."""
        return tmux_on(self.socket_path, self.env(), args, check)

    def tmux_sessions(self) -> list[str]:
        done = self.tmux("list-sessions", "-F", "#{session_name}", check=False)
        return done.stdout.split() if done.returncode == 0 else []

    def panes(self) -> dict[str, dict[str, str]]:
        """Every session's first pane: pid, dead (0/1), dead_status, command."""
        done = self.tmux(
            "list-panes",
            "-a",
            "-F",
            "#{session_name}\t#{pane_pid}\t#{pane_dead}\t#{pane_dead_status}\t"
            "#{pane_current_command}",
            check=False,
        )
        found: dict[str, dict[str, str]] = {}
        for line in done.stdout.splitlines():
            name, pid, dead, status, command = (line.split("\t") + [""] * 5)[:5]
            found.setdefault(name, {"pid": pid, "dead": dead, "status": status, "cmd": command})
        return found

    def session_env(self, session_name: str) -> dict[str, str]:
        """The tmux environment of one session (`show-environment`; removed `-VAR`s left out)."""
        done = self.tmux("show-environment", "-t", f"={session_name}")
        pairs = (line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)
        return {k: v for k, v in pairs if not k.startswith("-")}

    def kill_session(self, session_name: str) -> None:
        """The session vanishes behind gc's back (tmux kill-session), as if it crashed away."""
        self.tmux("kill-session", "-t", f"={session_name}")

    def supervisor_pids(self) -> list[int]:
        return [pid for pid in processes_with_home(self.home) if _cmdline(pid)[:3] == SUPERVISOR]

    def stop_supervisor(self, *, graceful: bool = True, timeout: float = 45) -> None:
        """Supervisor down, for "API refused" tests. graceful: `gc supervisor stop`, which also
        stops the city's agents (~15 s: pool sessions close, named ones stay as dead panes).
        Otherwise SIGKILL: the API goes, every agent and tmux session stays as it was."""
        if graceful:
            self.gc("supervisor", "stop", timeout=timeout)
        else:
            for pid in self.supervisor_pids():
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
        wait_for(
            lambda: not self.supervisor_pids() and not self.api_up(),
            timeout,
            what="the supervisor to be gone",
        )

    def start_supervisor(self, timeout: float = 30) -> None:
        """A supervisor again (as the recipe starts it): it serves the still-registered city."""
        # through sh and `&`: the supervisor is init's child, like the recipe's, not ours
        subprocess.run(
            ["sh", "-c", 'setsid gc supervisor run >>"$0" 2>&1 </dev/null &', self.supervisor_log],
            cwd=self.gc_home,
            env=self.env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=True,
            timeout=20,
        )
        wait_for(lambda: self.city_api("/sessions")["items"], timeout, what="the supervisor's API")

    def reload(self) -> None:
        """`gc supervisor reload`: the controller rereads city.toml."""
        self.gc("supervisor", "reload", check=True)

    # -- the end
    def leftovers(self) -> list[str]:
        """What of the city is still there: processes with its HOME, its socket file."""
        left = [f"pid {pid}: {' '.join(_cmdline(pid))}" for pid in processes_with_home(self.home)]
        if os.path.exists(self.socket_path):
            left.append(f"socket {self.socket_path}")
        return left

    def kill(self, *, graceful: bool = True) -> None:
        """Everything of the city gone, verified; the lock released. Idempotent.

        graceful: `gc stop` and `gc supervisor stop` first (~5 s), then SIGKILL for whatever
        still has the city's HOME (supervisor, controller, tmux server, agents)."""
        try:
            if graceful and self.supervisor_pids():
                with contextlib.suppress(subprocess.SubprocessError, OSError):
                    self.gc("stop", timeout=30)
                with contextlib.suppress(subprocess.SubprocessError, OSError):
                    self.gc("supervisor", "stop", timeout=30)
                with contextlib.suppress(AssertionError):
                    wait_for(lambda: not self.supervisor_pids(), 10, what="supervisor exit")
            subprocess.run(
                ["tmux", "-S", self.socket_path, "kill-server"],
                capture_output=True,
                check=False,
                timeout=20,
            )
            deadline = time.monotonic() + 15
            while True:
                pids = processes_with_home(self.home)
                for pid in pids:
                    with contextlib.suppress(OSError):
                        os.kill(pid, signal.SIGKILL)
                # tmux leaves its socket file behind when its server is killed
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(self.socket_path)
                left = self.leftovers()
                if not left:
                    break
                if time.monotonic() >= deadline:
                    raise AssertionError(f"city {self.name} left behind: {left}")
                time.sleep(0.2)
        finally:
            if self.lock is not None:
                self.lock.release()


def _cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def crasher_toml(bin_dir: Path, crash_after: float) -> str:
    """A named session (mode always) whose agent exits 3, at once or after `crash_after` s."""
    script = bin_dir / CRASHER
    lines = ["#!/bin/sh", 'echo "crasher: exiting 3"']
    if crash_after > 0:
        lines.append(f"sleep {crash_after:g}")
    script.write_text("\n".join([*lines, "exit 3", ""]))
    script.chmod(0o755)
    return (
        f'[[agent]]\nname = "{CRASHER}"\nstart_command = "{script}"\n'
        f'[[named_session]]\ntemplate = "{CRASHER}"\nmode = "always"\n'
    )


def city_is_up(city: RealCity) -> bool:
    """The recipe's sessions run on the city's server and the API has them all `active` and
    running (the polecat is `creating` for a second or so after its tmux session appears)."""
    listed = set(city.tmux_sessions())
    if not (set(NAMED_SESSIONS) <= listed and any(s.startswith("polecat-") for s in listed)):
        return False
    running = {s["session_name"] for s in city.sessions() if s.get("running")}
    return listed - {CRASHER} <= running


def make_real_city(
    base: Path,
    agent: Path,
    *,
    port: int,
    name: str | None = None,
    extra_toml: str | None = None,
    crasher: bool = False,
    crash_after: float = 0.0,
) -> RealCity:
    """A live city from the recipe, in `base` (empty or new). It is up when this returns: mayor,
    deacon, demorig--witness and one polecat-* on its tmux server, all running for the API.

    `extra_toml` is appended to the city's city.toml (then `gc supervisor reload`); `crasher`
    adds the named session `crasher` (mode always) whose agent exits 3 at once, or after
    `crash_after` seconds: the controller restarts it until it is quarantined (see the notes)."""
    gc = real_gc_binary()
    script = recipe()
    name = name or f"rc-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    base.mkdir(parents=True, exist_ok=True)
    lock = CityLock(name)
    lock.acquire()
    city = RealCity(base / "cities" / name, name, port, base, gc, lock=lock)
    try:
        env = base_env() | {
            "KIT": str(kit()),
            "AGENT": str(agent),
            "BASE": str(base),
            "PORT": str(port),
            "NAME": name,
        }
        # Not through pipes: the recipe's backgrounded supervisor keeps the recipe's stdout
        # and stderr open for its whole life, so a captured run would never end.
        out, err = base / "recipe.out", base / "recipe.err"
        with out.open("w") as stdout, err.open("w") as stderr:
            done = subprocess.run(
                ["bash", str(script)],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=stdout,
                stderr=stderr,
                timeout=240,
            )
        printed = out.read_text().strip().splitlines()
        if done.returncode != 0 or not printed or Path(printed[-1]) != city.root:
            pytest.fail(
                f"the city recipe failed ({done.returncode}): {out.read_text()[-1000:]} "
                f"{err.read_text()[-2000:]}",
                pytrace=False,
            )
        added = extra_toml or ""
        if crasher:
            added += crasher_toml(city.bin_dir, crash_after)
            city.crasher = CRASHER
        if added:
            with (city.root / "city.toml").open("a") as toml:
                toml.write("\n" + added)
            city.reload()
        wait_for(lambda: city_is_up(city), UP_WAIT, what=f"city {name} to be up")
    except BaseException:
        city.kill(graceful=False)
        raise
    return city


@contextlib.contextmanager
def running_city(base: Path, agent: Path, **options: Any) -> Iterator[RealCity]:
    """`make_real_city(base, agent, port=<free>, **options)`, killed (and verified gone) after."""
    options.setdefault("port", free_port())
    city = make_real_city(base, agent, **options)
    try:
        yield city
    finally:
        city.kill()


# --- fixtures (import them into a test module, or wrap running_city in fixtures of your own) ----


@pytest.fixture(scope="session")
def gc_agent(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The compiled stand-in agent, once per test session."""
    return build_agent(tmp_path_factory.mktemp("gcagent"))


@pytest.fixture
def live_city(tmp_path_factory: pytest.TempPathFactory, gc_agent: Path) -> Iterator[RealCity]:
    """A live city, up, killed after the test."""
    with running_city(tmp_path_factory.mktemp("city"), gc_agent) as city:
        yield city


@pytest.fixture
def crashing_city(tmp_path_factory: pytest.TempPathFactory, gc_agent: Path) -> Iterator[RealCity]:
    """A live city plus the named session `crasher` whose agent exits 3 at once: gc retries it
    (state `creating`) and quarantines it after 5 attempts, ~20-25 s after the city is up (use
    `wait_for_quarantine`)."""
    with running_city(tmp_path_factory.mktemp("city"), gc_agent, crasher=True) as city:
        yield city


def wait_for_quarantine(city: RealCity, timeout: float = 90) -> dict[str, Any]:
    """The crasher's API entry once gc has quarantined it (`reason` "quarantine")."""
    assert city.crasher, "not a crashing city"
    crasher = city.crasher

    def quarantined() -> dict[str, Any] | None:
        entry = city.session(crasher)
        return entry if entry and entry.get("reason") == "quarantine" else None

    return wait_for(quarantined, timeout, every=0.5, what=f"{crasher} to be quarantined")
