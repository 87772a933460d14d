"""Build stand-in Gas Towns on disk: the real layout plus the JSON the stand-in `gt` answers with."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gt_mcp_tmux.demo import standin_gt
from gt_mcp_tmux.demo.town_layout import (
    agent_record,
    append_event,
    iso,
    write_answer,
    write_heartbeat,
    write_town,
)
from gt_mcp_tmux.sources.gastown.town import socket_name_for

#: The stand-in's path the tests run (a shim of gt_mcp_tmux/demo/standin_gt.py); tests find
#: stand-in processes by it.
STANDIN_SCRIPT = Path(__file__).parent / "standin" / "gt.py"
agent = agent_record


def install_standin_gt(bin_dir: Path) -> Path:
    """An executable `gt` in `bin_dir` that runs the stand-in with this interpreter."""
    return standin_gt.install(bin_dir, [sys.executable, str(STANDIN_SCRIPT)])


@dataclass
class StandinTown:
    root: Path
    data: Path
    rigs: dict[str, str]

    @property
    def socket(self) -> str:
        return socket_name_for(self.root)

    def answer(self, key: str, payload: Any, *, exit_code: int | None = None) -> None:
        """What the stand-in prints for a command key (`status`, `status-fast`, `convoy_list`, ...)."""
        write_answer(self.data, key, payload, exit_code=exit_code)

    def hang(self, key: str, seconds: float) -> None:
        (self.data / f"{key}.sleep").write_text(str(seconds))

    def set_status(self, status: dict[str, Any]) -> None:
        """The full answer as given; the fast one as the real gt makes it from the same town."""
        self.answer("status", status)
        self.answer("status-fast", fast_answer(status))

    def heartbeat(self, session: str, state: str = "working", age: float = 0.0) -> None:
        write_heartbeat(self.root, session, state, age)

    def event(
        self, type_: str, actor: str = "mayor", payload: dict[str, Any] | None = None
    ) -> None:
        append_event(self.root, type_, actor, payload)

    def estop(self, rig: str | None = None, reason: str = "overseer pressed stop") -> Path:
        path = self.root / (f"ESTOP.{rig}" if rig else "ESTOP")
        path.write_text(f"manual\t{iso()}\t{reason}\n")
        return path


def fast_answer(status: dict[str, Any]) -> dict[str, Any]:
    """What `gt status --fast --json` says of the same town (real-gt/50 vs 51): no per-rig
    `hooks` list, no merge queue, no mail (counts 0, no first subject); every agent's hook and
    state stay."""
    if not isinstance(status, dict) or "rigs" not in status:
        return status
    fast = copy.deepcopy(status)
    if isinstance(fast.get("overseer"), dict):
        fast["overseer"]["unread_mail"] = 0
    listed = fast.get("rigs")
    rigs: list[Any] = listed if isinstance(listed, list) else []
    agents = list(fast.get("agents") or [])
    for rig in rigs:
        if isinstance(rig, dict):
            rig.pop("hooks", None)
            rig.pop("mq", None)
            agents += list(rig.get("agents") or [])
    for entry in agents:
        if isinstance(entry, dict) and "unread_mail" in entry:
            entry["unread_mail"] = 0
            entry.pop("first_subject", None)
    return fast


def make_town(base: Path, name: str = "gt", rigs: dict[str, str] | None = None) -> StandinTown:
    """A town folder at `base/name` with `mayor/town.json`, `mayor/rigs.json` and rig folders."""
    rigs = {"gastown": "gt"} if rigs is None else rigs
    root = base / name
    write_town(root, rigs, name=name)
    data = base / f".standin-{name}"
    data.mkdir(parents=True, exist_ok=True)
    town = StandinTown(root, data, rigs)
    town.set_status(example_status(town))
    town.answer("convoy_list", example_convoys())
    return town


def example_status(town: StandinTown) -> dict[str, Any]:
    """The reference's example `gt status --json`, for this town's path and socket."""
    return {
        "name": town.root.name,
        "location": str(town.root),
        "overseer": {"name": "Jane Doe", "source": "git-config", "unread_mail": 2},
        "daemon": {"running": True, "pid": 4242},
        "tmux": {
            "socket": town.socket,
            "socket_path": f"/tmp/tmux-{os.getuid()}/{town.socket}",
            "running": True,
            "pid": 4100,
            "session_count": 6,
        },
        "agents": [
            agent(
                "mayor",
                "mayor/",
                "hq-mayor",
                "coordinator",
                unread_mail=1,
                first_subject="Convoy complete: Deploy v2.0",
                agent_info="claude/opus",
            ),
            agent(
                "deacon",
                "deacon/",
                "hq-deacon",
                "health-check",
                has_work=True,
                work_title="mol-deacon-patrol",
                hook_bead="hq-wisp-abc12",
            ),
        ],
        "rigs": [
            {
                "name": "gastown",
                "polecats": ["furiosa", "nux"],
                "polecat_count": 2,
                "crews": ["max"],
                "crew_count": 1,
                "has_witness": True,
                "has_refinery": True,
                "agents": [
                    agent("witness", "gastown/witness", "gt-witness", "witness"),
                    agent("refinery", "gastown/refinery", "gt-refinery", "refinery"),
                    agent(
                        "furiosa",
                        "gastown/furiosa",
                        "gt-furiosa",
                        "polecat",
                        has_work=True,
                        hook_bead="gt-abc12",
                        work_title="Fix flaky test",
                        agent_info="claude",
                    ),
                    agent(
                        "nux",
                        "gastown/nux",
                        "gt-nux",
                        "polecat",
                        running=False,
                        has_work=True,
                        hook_bead="gt-def34",
                        state="stuck",
                    ),
                    agent("max", "gastown/crew/max", "gt-crew-max", "crew"),
                ],
                "mq": {
                    "pending": 2,
                    "in_flight": 1,
                    "blocked": 0,
                    "state": "processing",
                    "health": "healthy",
                },
            }
        ],
        "summary": {
            "rig_count": 1,
            "polecat_count": 2,
            "crew_count": 1,
            "witness_count": 1,
            "refinery_count": 1,
            "active_hooks": 2,
        },
    }


def example_convoys() -> list[dict[str, Any]]:
    return [
        {
            "id": "hq-cv-a1b2c",
            "title": "Deploy v2.0",
            "status": "open",
            "created_at": iso(7200),
            "tracked": [],
            "completed": 3,
            "total": 5,
        },
        {
            "id": "hq-cv-d3e4f",
            "title": "Docs sweep",
            "status": "closed",
            "created_at": iso(9000),
            "tracked": [],
            "completed": 4,
            "total": 4,
        },
    ]


def big_status(town: StandinTown, rigs: int = 10, polecats_per_rig: int = 18) -> dict[str, Any]:
    """A huge town: `rigs` rigs with witness, refinery and many polecats each."""
    status = example_status(town)
    status["rigs"] = []
    for r in range(rigs):
        rig, prefix = f"rig{r:02d}", f"r{r:02d}"
        agents = [
            agent("witness", f"{rig}/witness", f"{prefix}-witness", "witness"),
            agent("refinery", f"{rig}/refinery", f"{prefix}-refinery", "refinery"),
        ]
        for p in range(polecats_per_rig):
            agents.append(
                agent(
                    f"cat{p:02d}",
                    f"{rig}/cat{p:02d}",
                    f"{prefix}-cat{p:02d}",
                    "polecat",
                    has_work=p % 3 == 0,
                    hook_bead=f"{prefix}-b{p:04d}",
                    work_title=f"Task {p} of {rig}",
                )
            )
        status["rigs"].append(
            {
                "name": rig,
                "polecats": [a["name"] for a in agents[2:]],
                "polecat_count": polecats_per_rig,
                "crews": [],
                "crew_count": 0,
                "has_witness": True,
                "has_refinery": True,
                "agents": agents,
            }
        )
    return status


def make_big_town(base: Path, rigs: int = 10, polecats_per_rig: int = 18) -> StandinTown:
    """A town whose rigs.json matches `big_status` (rig `rigNN`, prefix `rNN`), answers set."""
    town = make_town(base, rigs={f"rig{r:02d}": f"r{r:02d}" for r in range(rigs)})
    town.set_status(big_status(town, rigs, polecats_per_rig))
    return town


def status_sessions(status: dict[str, Any]) -> list[str]:
    """Every session name a `gt status --json` answer mentions, top-level agents first."""
    agents = [
        *status.get("agents", []),
        *(a for r in status.get("rigs", []) for a in r.get("agents", [])),
    ]
    return [a["session"] for a in agents if a.get("session")]


class GasTownServer:
    """Gas Town's own tmux server for a stand-in town (`tmux -L <town socket>`); tests kill it."""

    def __init__(self, socket: str) -> None:
        self.socket = socket

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["tmux", "-u", "-L", self.socket, "-f", "/dev/null", *args],
            capture_output=True,
            text=True,
            check=check,
            timeout=60,
        )

    def start(
        self,
        sessions: Mapping[str, Mapping[str, str]] | list[str],
        command: str = "sleep 86400",
    ) -> None:
        """Start detached sessions (name -> GT_* environment) in ONE tmux call."""
        envs = dict(sessions) if isinstance(sessions, Mapping) else {name: {} for name in sessions}
        args: list[str] = []
        for name, env in envs.items():
            args += ["new-session", "-d", "-s", name, "-x", "80", "-y", "24"]
            for key, value in env.items():
                args += ["-e", f"{key}={value}"]
            args += [command, ";"]
        self.run(*args[:-1])

    def names(self) -> list[str]:
        done = self.run("list-sessions", "-F", "#{session_name}", check=False)
        return done.stdout.splitlines() if done.returncode == 0 else []

    def kill_session(self, name: str) -> None:
        self.run("kill-session", "-t", f"={name}")

    def kill(self) -> None:
        self.run("kill-server", check=False)


def standin_gt_processes(town: StandinTown) -> list[int]:
    """PIDs of live stand-in `gt` processes answering for this town (its data dir in their env)."""
    marker = f"STANDIN_GT_DATA={town.data}".encode()
    found: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if str(STANDIN_SCRIPT).encode() not in (entry / "cmdline").read_bytes():
                continue
            if marker in (entry / "environ").read_bytes().split(b"\0"):
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def zombie_children() -> list[int]:
    """PIDs of this process's children that exited and were never reaped."""
    me = os.getpid()
    found: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat_line = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat_line.rsplit(")", 1)[-1].split()
        if len(fields) > 1 and fields[0] == "Z" and int(fields[1]) == me:
            found.append(int(entry.name))
    return found
