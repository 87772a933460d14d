"""The demo's simulated Gas City: a city folder, its tmux server and a stand-in supervisor API.

It is shaped as the real gc 0.15.1 shapes it (../shared/reference/real-gc): `city.toml` with
`[workspace] name` and `[session] socket`, a registry and `supervisor.toml` in its own GC_HOME,
session names and `GC_*` variables as gc sets them, `.gc/events.jsonl` lines
`{seq, type, ts, actor, subject}`, and the API's JSON (`{"items": [...]}`) served on loopback by
a thread of the simulator. Its story: a mayor, a deacon and a rig's witness that stay; polecats
of a pool that take ready beads and finish them; a reviewer that crash-loops (woken again and
again, no crash event, as in 0.15.1) until it is quarantined, then recovers; mail for `human`.
"""

from __future__ import annotations

import json
import random
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from gt_mcp_tmux.demo import pane_text
from gt_mcp_tmux.sources.gascity.city import DEMO_MARK
from gt_mcp_tmux.sources.tmux.runner import run_tmux

CITY_NAME = "demo-city"
CITY_SOCKET = "gtmcp-demo-city"
RIG = "webapp"
#: Beats between two crashes of the reviewer while it loops, and how long it stays quarantined.
CRASH_EVERY = 2
QUARANTINE_BEATS = 25
LOOP_EVERY = 60
_BEADS = [
    "Add dark mode to settings",
    "Fix login redirect loop",
    "Cache the avatar thumbnails",
    "Write the 1.2 release notes",
    "Split the billing module",
    "Retry webhooks with backoff",
    "Trim the docker image",
]


def _ts(moment: float) -> str:
    return (
        time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(moment)) + f".{int(moment % 1 * 1e6):06d}Z"
    )


@dataclass
class CitySession:
    id: str
    template: str
    alias: str
    session_name: str
    rig: str | None = None
    state: str = "active"
    running: bool = True
    bead: str | None = None
    ends_at: int = 0

    def environment(self, root: Path, gc_home: Path) -> dict[str, str]:
        env = {
            "GC_AGENT": self.alias,
            "GC_ALIAS": self.alias,
            "GC_CITY": str(root),
            "GC_CITY_PATH": str(root),
            "GC_HOME": str(gc_home),
            "GC_SESSION_ID": self.id,
            "GC_SESSION_NAME": self.session_name,
            "GC_SESSION_ORIGIN": "ephemeral" if "polecat" in self.template else "named",
            "GC_TEMPLATE": self.template,
            "GT_ROOT": str(root),  # as gc sets it: a town watcher must not take it for a town
            "BEADS_ACTOR": self.session_name,
            DEMO_MARK.split("=", 1)[0]: DEMO_MARK.split("=", 1)[1],  # never the user's city
        }
        if self.rig:
            env["GC_RIG"] = self.rig
        return env

    def api_item(self) -> dict[str, Any]:
        item: dict[str, Any] = {
            "id": self.id,
            "template": self.template,
            "state": self.state,
            "title": self.template.rsplit("/", 1)[-1],
            "alias": self.alias,
            "session_name": self.session_name,
            "attached": False,
            "running": self.running,
        }
        if self.rig:
            item["rig"] = self.rig
        return item


@dataclass
class CityBeat:
    started: list[CitySession] = field(default_factory=list)
    killed: list[CitySession] = field(default_factory=list)
    lines: dict[str, list[str]] = field(default_factory=dict)


class DemoCity:
    """The city's story, one beat at a time, and the API's answers for it."""

    def __init__(self, base: Path, seed: int = 7) -> None:
        self.base = base
        self.root = base / "city" / CITY_NAME
        self.gc_home = base / "gchome"
        self.rig_path = base / "city" / "rigs" / RIG
        self.rng = random.Random(seed + 1)
        self.number = 0
        self.seq = 0
        self.next_id = 10
        self.polecats = 0
        self.unread = 1
        self.lock = threading.Lock()
        self.ready = [(f"gc-{i + 1}", title) for i, title in enumerate(_BEADS)]
        self.closed = 0
        self.convoy_total = len(self.ready)
        self.sessions = [
            CitySession("gc-1", "mayor", "mayor", "mayor"),
            CitySession("gc-2", "deacon", "deacon", "deacon"),
            CitySession("gc-5", f"{RIG}/witness", f"{RIG}/witness", f"{RIG}--witness", RIG),
            CitySession("gc-6", f"{RIG}/reviewer", f"{RIG}/reviewer", f"{RIG}--reviewer", RIG),
        ]
        self.loop_from: int | None = None

    # --- files ------------------------------------------------------------------------------
    def create(self, port: int) -> None:
        for folder in (self.root / ".gc", self.gc_home, self.rig_path):
            folder.mkdir(parents=True, exist_ok=True)
        (self.root / "city.toml").write_text(
            f'[workspace]\nname = "{CITY_NAME}"\n\n[session]\nsocket = "{CITY_SOCKET}"\n',
            encoding="utf-8",
        )
        (self.gc_home / "cities.toml").write_text(
            f'[[cities]]\n  path = "{self.root}"\n  name = "{CITY_NAME}"\n', encoding="utf-8"
        )
        (self.gc_home / "supervisor.toml").write_text(
            f'[supervisor]\nport = {port}\nbind = "127.0.0.1"\n', encoding="utf-8"
        )
        self.events_path.touch()

    @property
    def events_path(self) -> Path:
        return self.root / ".gc" / "events.jsonl"

    def pane_log(self, session: CitySession) -> Path:
        return self.base / "panes" / f"city-{session.session_name}.log"

    def event(self, type_: str, subject: str, actor: str = "gc", **payload: Any) -> None:
        self.seq += 1
        line: dict[str, Any] = {
            "seq": self.seq,
            "type": type_,
            "ts": _ts(time.time()),
            "actor": actor,
            "subject": subject,
        }
        if payload:
            line["payload"] = payload
        with self.events_path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(line) + "\n")

    # --- the story --------------------------------------------------------------------------
    def live(self) -> list[CitySession]:
        return [s for s in self.sessions if s.running]

    def step(self) -> CityBeat:
        with self.lock:
            self.number += 1
            beat = CityBeat()
            self._reviewer(beat)
            self._polecats(beat)
            if self.number % 25 == 0:
                self.unread += 1
                self.event(
                    "mail.sent",
                    "human",
                    actor=f"{RIG}/witness",
                    message={"from": f"{RIG}/witness", "to": "human", "subject": "Review needed"},
                )
            return beat

    def _reviewer(self, beat: CityBeat) -> None:
        """Every LOOP_EVERY beats the reviewer starts crashing: restarted (woken) again and again,
        then quarantined for a while, then woken for good."""
        reviewer = self.sessions[3]
        if self.loop_from is None and self.number % LOOP_EVERY == 8:
            self.loop_from = self.number
        if self.loop_from is None:
            return
        age = self.number - self.loop_from
        if age < 4 * CRASH_EVERY:
            if age % CRASH_EVERY == 0 and reviewer.running:
                reviewer.running = False  # its agent exits: gc writes nothing for a crash
                beat.killed.append(reviewer)
            elif age % CRASH_EVERY == 1 and not reviewer.running:
                reviewer.running = True
                beat.started.append(reviewer)
                self.event("session.woke", reviewer.alias)
        elif age == 4 * CRASH_EVERY:
            if reviewer.running:
                beat.killed.append(reviewer)
            reviewer.running, reviewer.state = False, "quarantined"
        elif age >= 4 * CRASH_EVERY + QUARANTINE_BEATS:
            reviewer.running, reviewer.state = True, "active"
            beat.started.append(reviewer)
            self.event("session.woke", reviewer.alias)
            self.loop_from = None

    def _polecats(self, beat: CityBeat) -> None:
        for session in [s for s in self.sessions if s.bead and s.ends_at <= self.number]:
            self.sessions.remove(session)
            beat.killed.append(session)
            self.closed += 1
            self.event("session.stopped", session.alias)
        working = sum(1 for s in self.sessions if s.bead)
        if self.ready and working < 2 and self.rng.random() < 0.5:
            bead, title = self.ready.pop(0)
            self.next_id += 1
            self.polecats += 1
            ident = f"gc-{self.next_id}"
            session = CitySession(
                ident,
                f"{RIG}/polecat",
                f"{RIG}/polecat-{(self.polecats - 1) % 2 + 1}",
                f"polecat-{ident}",
                RIG,
                bead=bead,
                ends_at=self.number + self.rng.randint(8, 16),
            )
            self.sessions.append(session)
            beat.started.append(session)
            beat.lines[session.session_name] = pane_text.hooked(bead, title)
            self.event("session.woke", session.alias)
        for session in self.live():
            if session.bead:
                beat.lines.setdefault(session.session_name, []).extend(
                    pane_text.working(self.rng, None)[:2]
                )

    # --- the supervisor's answers -----------------------------------------------------------
    def answer(self, path: str) -> tuple[int, Any]:
        city = f"/v0/city/{CITY_NAME}/"
        with self.lock:
            if path == "/health":
                return 200, {"status": "ok", "cities_running": 1, "cities_total": 1}
            if path == "/v0/cities":
                item = {"name": CITY_NAME, "path": str(self.root), "running": True}
                return 200, {"items": [item], "total": 1}
            if not path.startswith(city):
                return 404, None
            route = path[len(city) :]
            if route == "sessions":
                items = [s.api_item() for s in self.sessions]
                return 200, {"items": items, "total": len(items)}
            if route.startswith("mail/count"):
                return 200, {"total": self.unread + 2, "unread": self.unread}
            if route == "rigs":
                rig = {"name": RIG, "path": str(self.rig_path), "suspended": False}
                return 200, {"items": [rig], "total": 1}
            if route == "convoys":
                status = "open" if self.closed < self.convoy_total else "closed"
                convoy = {"id": "gc-3", "title": "release-1.2", "status": status}
                return 200, {"items": [convoy], "total": 1}
            if route.startswith("beads/ready"):
                items = [
                    {"id": b, "title": t, "status": "open", "issue_type": "task"}
                    for b, t in self.ready
                ]
                return 200, {"items": items, "total": len(items)}
            return 404, None


def serve(city: DemoCity) -> ThreadingHTTPServer:
    """The stand-in supervisor on a free loopback port, answering from a daemon thread."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, data = city.answer(self.path)
            body = json.dumps(data).encode() if data is not None else b"404 page not found\n"
            self.send_response(status)
            kind = "application/json" if data is not None else "text/plain"
            self.send_header("Content-Type", f"{kind}; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True, name="supervisor").start()
    return server


class CityServer:
    """The city's tmux server (`tmux -L gtmcp-demo-city`): a session per running session."""

    def __init__(self, city: DemoCity) -> None:
        self.city = city

    def start(self, sessions: list[CitySession]) -> bool:
        if not sessions:
            return True
        args: list[str] = []
        for session in sessions:
            log = self.city.pane_log(session)
            log.parent.mkdir(parents=True, exist_ok=True)
            if not log.exists():
                log.write_text(
                    "\n".join(
                        pane_text.banner(session.template, session.alias, str(self.city.root))
                    )
                    + "\n",
                    encoding="utf-8",
                )
            args += ["new-session", "-d", "-s", session.session_name, "-x", "120", "-y", "35"]
            args += ["-c", str(self.city.root)]
            for key, value in session.environment(self.city.root, self.city.gc_home).items():
                args += ["-e", f"{key}={value}"]
            args += ["tail", "-n", "+1", "-F", str(log), ";"]
        args += ["set-option", "-g", "status-right", " gastown-mcp demo city · Prefix+d: back "]
        done = run_tmux(["-f", "/dev/null", *args], CITY_SOCKET, timeout=10)
        return done is not None and done.returncode == 0

    def kill(self, sessions: list[CitySession]) -> None:
        args: list[str] = []
        for session in sessions:
            args += ["kill-session", "-t", f"={session.session_name}", ";"]
        if args:
            run_tmux(args[:-1], CITY_SOCKET, timeout=5)

    def append(self, lines: dict[str, list[str]]) -> None:
        for session in self.city.live():
            extra = lines.get(session.session_name)
            if extra:
                with self.city.pane_log(session).open("a", encoding="utf-8") as fh:
                    fh.write("".join(line + "\n" for line in extra))

    def pid(self) -> int | None:
        done = run_tmux(["display-message", "-p", "#{pid}"], CITY_SOCKET)
        text = done.stdout.strip() if done is not None and done.returncode == 0 else ""
        return int(text) if text.isdigit() else None


class CitySimulation:
    """The simulated city inside the simulator process: its files, server and API."""

    def __init__(self, base: Path, seed: int = 7) -> None:
        self.city = DemoCity(base, seed)
        self.server = CityServer(self.city)
        self.http: ThreadingHTTPServer | None = None

    def setup(self) -> tuple[int | None, int]:
        """(the city's tmux server pid, the supervisor's port)."""
        self.http = serve(self.city)
        port = int(self.http.server_address[1])
        self.city.create(port)
        for session in self.city.live():
            self.city.event("session.woke", session.alias)
        ok = self.server.start(self.city.live())
        return (self.server.pid() if ok else None), port

    def advance(self) -> None:
        beat = self.city.step()
        self.server.kill(beat.killed)
        self.server.start(beat.started)
        self.server.append(beat.lines)

    def stop(self) -> None:
        if self.http is not None:
            self.http.shutdown()
        run_tmux(["kill-server"], CITY_SOCKET, timeout=5)
