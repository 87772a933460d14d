"""The demo's simulator: one detached process that lives the fleet's story on disk and in tmux.

    python -m gt_mcp_tmux.demo.simulator BASE SOCKET SPEED SEED

Beat by beat (`BEAT_SECONDS / SPEED` apart) it steps the fleet, kills and starts agent sessions on
the town's tmux server, appends to the agents' pane logs and to `.events.jsonl`, refreshes the
heartbeats, and rewrites what the stand-in `gt` answers. SIGTERM (from `gt-mcp demo --stop`)
ends it. When the viewer's tmux server dies (the user closed it), the town's server dies, or the
state file is removed by someone else, it ends the rest of the demo itself, as `--stop` would, so
nothing is left running without a record.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import threading
from dataclasses import replace
from pathlib import Path

from gt_mcp_tmux.demo.city import CitySimulation
from gt_mcp_tmux.demo.fleet import RIGS, Beat, Fleet
from gt_mcp_tmux.demo.gastown_server import GasTownServer, pane_log
from gt_mcp_tmux.demo.standin_gt import NUDGES_FILE
from gt_mcp_tmux.demo.state import DemoPaths, DemoState, load_state
from gt_mcp_tmux.demo.town_layout import (
    heartbeat_path,
    write_answer,
    write_atomic,
    write_heartbeat,
    write_town,
)

#: Seconds between beats at speed 1.
BEAT_SECONDS = 3.0
SLING_ANSWER = (
    "🎯 Slung (demo town: nothing real runs here; the simulator decides who works next)\n"
)


class TownWriter:
    """Writes a fleet's state into the demo folder: town files, answers, heartbeats, pane logs."""

    def __init__(self, paths: DemoPaths, fleet: Fleet) -> None:
        self.paths = paths
        self.fleet = fleet

    def create(self) -> None:
        root = self.paths.root
        write_town(root, RIGS, owner="overseer@demo.invalid")
        for folder in (root / ".runtime" / "heartbeats", root / "deacon", self.paths.answers):
            folder.mkdir(parents=True, exist_ok=True)
        self.paths.panes.mkdir(parents=True, exist_ok=True)
        (root / ".events.jsonl").touch()
        write_answer(self.paths.answers, "sling", SLING_ANSWER)
        write_answer(self.paths.answers, "version", "gt version 1.0.1 (demo: main@0000000)\n")
        for agent in self.fleet.agents:
            if agent.alive:
                self.append_pane(agent.session, _first_lines(self.fleet, agent.name, agent.rig))
        self.write_state()

    def write_state(self) -> None:
        """Heartbeats and every answer, from the fleet as it is now."""
        answers = self.paths.answers
        status = self.fleet.status_document()
        write_answer(answers, "status", status)
        write_answer(answers, "status-fast", status)
        write_answer(answers, "convoy_list", self.fleet.convoys_document())
        statuses = answers / "convoy_status"
        statuses.mkdir(exist_ok=True)
        for ident, document in self.fleet.convoy_status_documents().items():
            write_answer(statuses, ident, document)
        write_answer(answers, "ready", self.fleet.ready_document())
        beats = self.fleet.heartbeats()
        for agent in self.fleet.agents:
            if agent.session in beats:
                state, bead = beats[agent.session]
                write_heartbeat(self.paths.root, agent.session, state, bead=bead)
            else:
                with contextlib.suppress(FileNotFoundError):
                    heartbeat_path(self.paths.root, agent.session).unlink()
        deacon = self.paths.root / "deacon" / "heartbeat.json"
        write_atomic(deacon, json.dumps(self.fleet.deacon_heartbeat()))

    def append_pane(self, session: str, lines: list[str]) -> None:
        agent = next(a for a in self.fleet.agents if a.session == session)
        with pane_log(self.paths.panes, agent).open("a", encoding="utf-8") as fh:
            fh.write("".join(line + "\n" for line in lines))

    def append_events(self, beat: Beat) -> None:
        if not beat.events:
            return
        text = "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in beat.events)
        with (self.paths.root / ".events.jsonl").open("a", encoding="utf-8") as fh:
            fh.write(text)


def _first_lines(fleet: Fleet, name: str, rig: str | None) -> list[str]:
    from gt_mcp_tmux.demo import pane_text

    agent = fleet.agent(name, rig)
    lines = pane_text.banner(agent.role, agent.name, str(agent.workdir(fleet.root)))
    if agent.bead is not None:
        lines += pane_text.hooked(agent.bead.id, agent.bead.title)
        lines += pane_text.working(fleet.text_rng, agent.rig)
    else:
        lines += pane_text.idle()
    return lines


class Simulation:
    """The fleet, its files and its tmux server, advanced one beat at a time."""

    def __init__(self, paths: DemoPaths, socket: str, seed: int = 7) -> None:
        self.paths = paths
        self.fleet = Fleet(paths.root, socket, seed)
        self.writer = TownWriter(paths, self.fleet)
        self.server = GasTownServer(socket, paths.root, paths.panes)
        self.city = CitySimulation(paths.base, seed)
        self.city_pid: int | None = None

    def setup(self) -> int | None:
        """Create the town and start its tmux server; the server's pid (None if it failed).
        The simulated city starts beside it (its own tmux server and stand-in supervisor)."""
        self.writer.create()
        if not self.server.start([a for a in self.fleet.agents if a.alive]):
            return None
        self.city_pid, _port = self.city.setup()
        return self.server.pid()

    def advance(self, town_pid: int) -> bool:
        """One beat; False when the town's server is gone (then nothing of it is left running:
        `new-session` would have started a fresh server, which is killed again at once)."""
        beat = self.fleet.step(self._nudges())
        self.server.kill(beat.killed)
        for agent in beat.started:
            pane_log(self.paths.panes, agent).touch()
            self.writer.append_pane(
                agent.session,
                _first_lines(self.fleet, agent.name, agent.rig)[:3],
            )
        if beat.started:
            if not _alive(town_pid):
                return False
            self.server.start(beat.started)
            if self.server.pid() != town_pid:
                self.server.stop()
                return False
        for session, lines in beat.lines.items():
            agent = next(a for a in self.fleet.agents if a.session == session)
            if agent.alive:
                self.writer.append_pane(session, lines)
        self.writer.append_events(beat)
        self.writer.write_state()
        if self.city_pid is not None:
            self.city.advance()
        return True

    def _nudges(self) -> list[tuple[str, str]]:
        """The overseer's `gt nudge`s since the last beat (the stand-in's file, taken whole)."""
        inbox = self.paths.answers / NUDGES_FILE
        taken = inbox.with_suffix(".taken")
        try:
            os.replace(inbox, taken)
        except FileNotFoundError:
            return []
        found: list[tuple[str, str]] = []
        for line in taken.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict):
                found.append((str(record.get("to", "")), str(record.get("message", ""))))
        taken.unlink()
        return found


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _why_stop(paths: DemoPaths, town_pid: int) -> tuple[str | None, DemoState | None]:
    """(None, state) to go on; else why to stop: `state gone`, `town died` or `viewer closed`."""
    state = load_state()
    if state is None or state.base != str(paths.base):
        return "state gone", None
    if not _alive(town_pid):
        return "town died", state
    if state.viewer_tmux_pid and not _alive(state.viewer_tmux_pid):
        return "viewer closed", state
    return None, state


def run(paths: DemoPaths, socket: str, speed: float, seed: int) -> int:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    simulation = Simulation(paths, socket, seed)
    town_pid = simulation.setup()
    ready = {"gastown_tmux_pid": town_pid, "city_tmux_pid": simulation.city_pid}
    write_atomic(paths.ready, json.dumps({**ready, "pid": os.getpid()}))
    if town_pid is None:
        print("the town's tmux server did not start", file=sys.stderr)
        return 1
    why: str | None = None
    last: DemoState | None = None
    while not stop.wait(BEAT_SECONDS / speed):
        why, state = _why_stop(paths, town_pid)
        if why is not None:
            break
        last = state
        if not simulation.advance(town_pid):
            why = "town died"
            break
    print(f"simulator: {why or 'SIGTERM'} after beat {simulation.fleet.number}", file=sys.stderr)
    if why is not None:
        # The demo cannot go on: end the rest of it, as `gt-mcp demo --stop` would. When the
        # state file is gone (removed by someone else), leave whatever is there now alone.
        from gt_mcp_tmux.demo.launcher import stop_state

        # the servers it started itself, even when the state file went before its first read
        known = replace(
            last or DemoState(str(paths.base), socket),
            gastown_tmux_pid=town_pid,
            city_tmux_pid=simulation.city_pid,
        )
        stop_state(known, own_state_file=why != "state gone")
    return 0


def main(argv: list[str]) -> int:
    base, socket, speed, seed = argv
    return run(DemoPaths(Path(base)), socket, float(speed), int(seed))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
