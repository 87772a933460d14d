"""Live Gas Towns made by the real `gt` (../shared/gastown/bin/gt), for the real-town tests.

`GT_MCP_TEST_REAL_GT` names the binary (`.ci/run` points it at ../shared/gastown/bin/gt; without
it the shared copy beside the project is used when present). Where the binary or a C compiler
for its stand-in agent is missing, the tests say so loudly: in CI (CI=true) that is a failure,
elsewhere a skip with the reason.

A town is built by `../shared/gastown/town-recipe.sh` in a fresh HOME: mayor, deacon, an adopted
rig `demorig` (prefix `dr`) with its witness and refinery, crew `max`, polecats `obsidian` (with a
session) and `quartz` (without). gt ignores TMUX_TMPDIR: its server's socket is always under
/tmp/tmux-<uid>/, and it loads that HOME's ~/.tmux.conf. `kill()` ends the server, the daemon and
the detached `gt nudge-poller` processes (found by the HOME in their environment).
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.realkit import RealKit, tmux_on

PROJECT = Path(__file__).resolve().parent.parent
SHARED_GT = PROJECT.parent / "shared" / "gastown"
REAL_GT_VARIABLE = "GT_MCP_TEST_REAL_GT"


KIT = RealKit("GAS TOWN", REAL_GT_VARIABLE, SHARED_GT / "bin" / "gt")
missing = KIT.missing
real_gt_binary = KIT.binary


def recipe() -> Path:
    path = real_gt_binary().resolve().parent.parent / "town-recipe.sh"
    if not path.is_file():
        missing(f"no town recipe at {path}")
    return path


def build_agent(cache: Path) -> Path:
    """The stand-in agent (gtagent.c), compiled once per test session."""
    source = real_gt_binary().resolve().parent.parent / "agent" / "gtagent.c"
    return KIT.compile_agent(source, cache / "gtagent")


@dataclass
class RealTown:
    root: Path
    base: Path
    gt_binary: Path

    @property
    def home(self) -> Path:
        return self.base / "home"

    def env(self) -> dict[str, str]:
        """The environment the recipe gave gt: its HOME, its PATH, no tmux variables."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TMUX", "GT_"))}
        env.update(HOME=str(self.home), PATH=f"{self.base / 'bin'}:/usr/bin:/bin")
        return env

    def gt(
        self, *args: str, timeout: float = 60, check: bool = False
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["gt", *args],
            cwd=self.root,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=check,
        )

    def status(self, fast: bool = True) -> dict[str, Any]:
        done = self.gt("status", *(["--fast"] if fast else []), "--json")
        data: dict[str, Any] = json.loads(done.stdout)
        return data

    @functools.cached_property
    def socket(self) -> str:
        return str(self.status()["tmux"]["socket"])

    @property
    def socket_path(self) -> str:
        return f"/tmp/tmux-{os.getuid()}/{self.socket}"

    def tmux(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """A command on Gas Town's own server."""
        return tmux_on(self.socket_path, self.env(), args, check)

    def pane_pid(self, session: str) -> int:
        return int(self.tmux("display-message", "-p", "-t", f"={session}:", "#{pane_pid}").stdout)

    def kill(self) -> None:
        subprocess.run(
            ["tmux", "-S", self.socket_path, "kill-server"], capture_output=True, check=False
        )
        for pid in processes_with_home(self.home):
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)


def processes_with_home(home: Path) -> list[int]:
    """Processes (gt's nudge pollers, its daemon, the agents) whose HOME is the town's."""
    marker = f"HOME={home}".encode()
    found: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if marker in (entry / "environ").read_bytes().split(b"\0"):
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def make_real_town(base: Path, agent: Path, tmux_conf: str | None = None) -> RealTown:
    """A live town from the recipe, in `base` (a fresh HOME inside it). `tmux_conf` becomes that
    HOME's ~/.tmux.conf, which gt's own tmux server loads."""
    gt = real_gt_binary()
    base.mkdir(parents=True, exist_ok=True)
    if tmux_conf is not None:
        (base / "home").mkdir(exist_ok=True)
        (base / "home" / ".tmux.conf").write_text(tmux_conf)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TMUX", "GT_"))}
    env.update(GT=str(gt), AGENT=str(agent), BASE=str(base))
    started = time.monotonic()
    done = subprocess.run(
        ["bash", str(recipe())], env=env, capture_output=True, text=True, timeout=240
    )
    if done.returncode != 0 or not done.stdout.strip():
        pytest.fail(f"the town recipe failed ({done.returncode}): {done.stderr[-2000:]}")
    town = RealTown(Path(done.stdout.strip().splitlines()[-1]), base, gt)
    # every agent the recipe starts has a session before we look
    wanted = {"hq-mayor", "hq-deacon", "dr-witness", "dr-refinery", "dr-crew-max", "dr-obsidian"}
    while time.monotonic() - started < 60:
        listed = town.tmux("list-sessions", "-F", "#{session_name}", check=False).stdout.split()
        if wanted <= set(listed):
            break
        time.sleep(0.2)
    return town
