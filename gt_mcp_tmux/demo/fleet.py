"""The demo's fleet: a small Gas Town over time, as a pure and seeded model.

`Fleet.step()` advances one beat and returns what changed in the world (sessions to start or kill,
pane lines, event lines); the documents `gt` answers with (`status_document`, `convoys_document`,
`ready_document`) and the heartbeats are read off the fleet at any time. Nothing here touches disk
or tmux (demo/simulator.py does), so tests can step it and look.

The story: the mayor slings the beads of open convoys to idle polecats; polecats work a few beats
and then finish (done → the refinery merges, sometimes after a failed merge), get stuck (the
witness nudges, then escalates to the mayor) or die (the session goes with work on the hook; the
witness brings it back later). A convoy whose beads are all merged lands, the mayor is told by
mail, and a new convoy opens. The first beats are scripted so every state shows within a minute.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gt_mcp_tmux.demo import pane_text
from gt_mcp_tmux.demo.town_layout import agent_record, event_line, iso

RIGS = {"gastown": "gt", "beads": "bd"}
POLECATS = {"gastown": ["furiosa", "nux", "slit"], "beads": ["toast", "capable"]}
CREW = {"gastown": ["max"]}
BEAD_TITLES = {
    "gastown": [
        "Fix flaky login test",
        "Report the tmux socket in gt status --json",
        "Retry Dolt connection on boot",
        "Cap heartbeat file size",
        "Stream events to the feed",
        "Refinery: rebase before merge",
        "Witness: nudge before escalating",
        "Document the convoy lifecycle",
        "gt rig list: JSON when empty",
        "Mail peek in the status line",
    ],
    "beads": [
        "Speed up bd ready on big repos",
        "Migrate the labels table",
        "bd show: print dependencies",
        "Fix off-by-one in compaction",
        "bd close: keep the reason",
        "Dolt: batch inserts on import",
        "bd list --json: stable order",
        "Wisps: expire after a day",
    ],
}
CONVOY_TITLES = {
    "gastown": ["Deploy v2.0", "Merge queue hardening", "Status line polish", "Daemon resilience"],
    "beads": ["Beads 0.9 cleanup", "Dolt performance", "CLI consistency", "Compaction fixes"],
}
#: Beats a polecat works on a bead, beats it stays stuck or dead, beats the mayor waits.
WORK_BEATS = (4, 8)
STUCK_BEATS = (5, 8)
DEAD_BEATS = (8, 12)
FINISH_BEATS = 2
NEW_CONVOY_BEATS = 3
#: The scripted opening: (beat, polecat, what happens).
OPENING = ((2, "nux", "stuck"), (3, "slit", "die"))


@dataclass
class Bead:
    id: str
    title: str
    rig: str
    convoy: str
    state: str = "open"  # open | hooked | done (waiting to merge) | merged
    worker: str | None = None  # the polecat's address
    branch: str = ""


@dataclass
class Convoy:
    id: str
    title: str
    rig: str
    beads: list[Bead]
    created: str
    landed: bool = False

    @property
    def completed(self) -> int:
        return sum(1 for bead in self.beads if bead.state == "merged")


@dataclass
class Agent:
    """One simulated agent. `phase`: working, idle, stuck, dead, finishing, stopped."""

    name: str
    role: str  # mayor, deacon, witness, refinery, polecat, crew
    rig: str | None
    phase: str = "idle"
    bead: Bead | None = None
    wisp: str | None = None  # a patrol molecule on the hook (deacon, witness, refinery)
    beats: int = 0  # beats left in the phase
    unread: int = 0
    first_subject: str | None = None
    life: int = 1  # which session incarnation (a new pane log each)

    @property
    def session(self) -> str:
        if self.rig is None:
            return f"hq-{self.name}"
        prefix = RIGS[self.rig]
        if self.role == "polecat":
            return f"{prefix}-{self.name}"
        if self.role == "crew":
            return f"{prefix}-crew-{self.name}"
        return f"{prefix}-{self.role}"

    @property
    def address(self) -> str:
        if self.rig is None:
            return f"{self.name}/"
        if self.role == "crew":
            return f"{self.rig}/crew/{self.name}"
        if self.role == "polecat":
            return f"{self.rig}/{self.name}"
        return f"{self.rig}/{self.role}"

    @property
    def alive(self) -> bool:
        return self.phase not in ("dead", "stopped")

    @property
    def gt_role(self) -> str:
        """The role word of `gt status --json` (legacy words for the mayor and deacon)."""
        return {"mayor": "coordinator", "deacon": "health-check"}.get(self.role, self.role)

    @property
    def heartbeat_state(self) -> str:
        return {"stuck": "stuck", "working": "working"}.get(self.phase, "idle")

    def environment(self, root: Path) -> dict[str, str]:
        """The GT_* variables Gas Town puts in the agent's tmux session, in the real forms
        (reference/real-gt/70-tmux.txt): `GT_ROLE` and `BD_ACTOR` `<rig>/polecats/<name>` or
        `<rig>/crew/<name>`, no `GT_SESSION` for crew, `GT_TOWN_ROOT` only for polecats. The
        agent's process name is `tail`: that is what runs in a demo pane."""
        if self.rig is None:
            role = self.role
        elif self.role == "polecat":
            role = f"{self.rig}/polecats/{self.name}"
        elif self.role == "crew":
            role = f"{self.rig}/crew/{self.name}"
        else:
            role = f"{self.rig}/{self.role}"
        env = {
            "GT_ROLE": role,
            "GT_AGENT": "claude",
            "GT_PROCESS_NAMES": "tail",
            "GT_ROOT": str(root),
            "BD_ACTOR": role,
        }
        if self.role != "crew":
            env["GT_SESSION"] = self.session
        if self.rig is not None:
            env["GT_RIG"] = self.rig
        if self.role == "polecat":
            env["GT_POLECAT"] = self.name
            env["GT_TOWN_ROOT"] = str(root)
        if self.role == "crew":
            env["GT_CREW"] = self.name
        return env

    def workdir(self, root: Path) -> Path:
        """Where the agent works: a polecat's worktree, a crew clone, the rig or town folder."""
        if self.rig is None:
            return root / self.name
        if self.role == "polecat":
            return root / self.rig / "polecats" / self.name / self.rig
        if self.role == "crew":
            return root / self.rig / "crew" / self.name
        return root / self.rig / self.role


@dataclass
class Beat:
    """What one step changed outside the fleet's own state."""

    number: int
    started: list[Agent] = field(default_factory=list)
    killed: list[Agent] = field(default_factory=list)
    lines: dict[str, list[str]] = field(default_factory=dict)  # session -> pane lines
    events: list[dict[str, Any]] = field(default_factory=list)


class Fleet:
    """The simulated town (see the module docstring). Same seed, same story."""

    def __init__(self, root: Path, socket: str, seed: int = 7) -> None:
        self.root = root
        self.socket = socket
        self.rng = random.Random(seed)
        #: Pane text draws from its own generator, so the story depends on the seed alone.
        self.text_rng = random.Random(seed + 1)
        self.number = 0
        self.agents: list[Agent] = [
            Agent("mayor", "mayor", None, unread=1, first_subject="Welcome to the demo town"),
            Agent("deacon", "deacon", None, phase="working", wisp="hq-wisp-" + self._alnum()),
        ]
        for rig in RIGS:
            witness_wisp = f"{RIGS[rig]}-wisp-{self._alnum()}"
            self.agents.append(Agent("witness", "witness", rig, wisp=witness_wisp))
            self.agents.append(Agent("refinery", "refinery", rig))
            self.agents += [Agent(name, "crew", rig) for name in CREW.get(rig, [])]
            self.agents += [Agent(name, "polecat", rig) for name in POLECATS[rig]]
        self.convoys: list[Convoy] = []
        self.titles = {rig: list(titles) for rig, titles in BEAD_TITLES.items()}
        self.convoy_titles = {rig: list(titles) for rig, titles in CONVOY_TITLES.items()}
        self.queue: dict[str, list[Bead]] = {rig: [] for rig in RIGS}
        self.merging: dict[str, Bead | None] = {rig: None for rig in RIGS}
        self.failed_once: set[str] = set()
        self.refinery_wisps = {
            rig: f"{prefix}-wisp-{self._alnum()}" for rig, prefix in RIGS.items()
        }
        self.pending_convoys: dict[str, int] = {}  # rig -> beats until the mayor opens one
        self.patrol_cycle = 0
        self.opening_start()

    # --- lookups ------------------------------------------------------------------------
    def agent(self, name: str, rig: str | None = None) -> Agent:
        for agent in self.agents:
            if agent.name == name and (rig is None or agent.rig == rig):
                return agent
        raise KeyError(name)

    def polecats(self, rig: str | None = None) -> Iterator[Agent]:
        return (a for a in self.agents if a.role == "polecat" and (rig is None or a.rig == rig))

    def _alnum(self, size: int = 5) -> str:
        return "".join(self.rng.choice("abcdefghijkmnpqrstuvwxyz23456789") for _ in range(size))

    def open_convoys(self) -> list[Convoy]:
        return [c for c in self.convoys if not c.landed]

    # --- the opening ------------------------------------------------------------------
    def _new_convoy(self, rig: str, size: int) -> Convoy:
        titles = self.convoy_titles[rig]
        title = titles.pop(0)
        titles.append(title)
        ident = "hq-cv-" + self._alnum()
        beads = []
        for _ in range(size):
            bead_title = self.titles[rig].pop(0)
            self.titles[rig].append(bead_title)
            beads.append(Bead(f"{RIGS[rig]}-{self._alnum()}", bead_title, rig, ident))
        convoy = Convoy(ident, title, rig, beads, iso(3600 if self.number == 0 else 0))
        self.convoys.append(convoy)
        return convoy

    def opening_start(self) -> None:
        """Beat 0: two open convoys, four polecats at work, one waiting for work."""
        first = self._new_convoy("gastown", 5)
        first.beads[0].state = "merged"
        for agent, bead in zip(self.polecats("gastown"), first.beads[1:4], strict=True):
            self._hook(agent, bead)
        second = self._new_convoy("beads", 4)
        self._hook(self.agent("toast"), second.beads[0])
        self.agent("capable").phase = "stopped"
        self.agent("max").phase = "idle"

    def _hook(self, agent: Agent, bead: Bead) -> None:
        bead.state, bead.worker = "hooked", agent.address
        agent.bead, agent.phase = bead, "working"
        agent.beats = self.rng.randint(*WORK_BEATS)

    # --- one beat -----------------------------------------------------------------------
    def step(self, nudges: Sequence[tuple[str, str]] = ()) -> Beat:
        """Advance the town one beat; what changed outside the fleet is in the returned Beat.
        `nudges`: (address, message) the overseer sent since the last beat (`gt nudge`)."""
        self.number += 1
        beat = Beat(self.number)
        for address, message in nudges:
            self._nudged(beat, address, message)
        scripted = {name: what for n, name, what in OPENING if n == self.number}
        for agent in list(self.polecats()):
            self._polecat(agent, beat, scripted.get(agent.name))
        for rig in RIGS:
            self._refinery(rig, beat)
            self._witness(rig, beat)
        self._mayor(beat)
        self._deacon(beat)
        self._crew(beat)
        return beat

    def _nudged(self, beat: Beat, address: str, message: str) -> None:
        """The overseer's nudge reaches the agent's pane; a stuck polecat gets going again."""
        agent = next((a for a in self.agents if a.address.rstrip("/") == address.rstrip("/")), None)
        if agent is None or not agent.alive:
            return
        self._event(beat, "nudge", "overseer", target=agent.address, message=message)
        self._say(beat, agent, pane_text.note(f"Nudge from the overseer: {message}"))
        if agent.role == "polecat" and agent.phase == "stuck":
            agent.beats = 0  # this beat's turn: the nudge worked

    def _say(self, beat: Beat, agent: Agent, lines: list[str]) -> None:
        beat.lines.setdefault(agent.session, []).extend(lines)

    def _event(self, beat: Beat, type_: str, actor: str, **payload: Any) -> None:
        beat.events.append(event_line(type_, actor, payload))

    def _polecat(self, agent: Agent, beat: Beat, scripted: str | None) -> None:
        agent.beats -= 1
        if agent.phase == "working":
            outcome = scripted or ("" if agent.beats > 0 else self._outcome())
            if outcome == "stuck":
                agent.phase, agent.beats = "stuck", self.rng.randint(*STUCK_BEATS)
                self._say(beat, agent, pane_text.stuck(self.text_rng, agent.rig))
            elif outcome == "die":
                self._die(agent, beat)
            elif outcome == "done":
                self._done(agent, beat)
            else:
                self._say(beat, agent, pane_text.working(self.text_rng, agent.rig))
        elif agent.phase == "stuck":
            if agent.beats > 0:
                self._say(beat, agent, pane_text.stuck(self.text_rng, agent.rig))
            else:  # the witness's nudge (or the overseer's) worked
                agent.phase, agent.beats = "working", self.rng.randint(*WORK_BEATS)
                self._say(beat, agent, pane_text.note("Nudged: trying another way."))
                self._say(beat, agent, pane_text.working(self.text_rng, agent.rig))
        elif agent.phase == "dead" and agent.beats <= 0:
            self._restart(agent, beat, self.agent("witness", agent.rig).address)
            agent.phase, agent.beats = "working", self.rng.randint(*WORK_BEATS)
            if agent.bead is not None:
                self._say(beat, agent, pane_text.hooked(agent.bead.id, agent.bead.title))
        elif agent.phase == "finishing" and agent.beats <= 0:
            agent.phase = "stopped"
            # the daemon reaps a polecat idle after `gt done`: a routine death (daemon.go)
            self._session_death(beat, agent, "idle-reap: idle, idle 15m0s (threshold 15m0s)")

    def _outcome(self) -> str:
        roll = self.rng.random()
        return "stuck" if roll < 0.12 else "die" if roll < 0.2 else "done"

    def _die(self, agent: Agent, beat: Beat) -> None:
        agent.phase, agent.beats = "dead", self.rng.randint(*DEAD_BEATS)
        self._session_death(beat, agent, "crash detected by daemon health check")

    def _session_death(self, beat: Beat, agent: Agent, reason: str) -> None:
        """The session ends, with the event the daemon writes for it (the real payload keys)."""
        beat.killed.append(agent)
        self._event(
            beat,
            "session_death",
            agent.session,
            session=agent.session,
            agent=agent.address,
            reason=reason,
            caller="daemon",
        )

    def _done(self, agent: Agent, beat: Beat) -> None:
        bead = agent.bead
        assert bead is not None
        branch = f"polecat/{agent.name}/{bead.id}"
        bead.state, bead.branch = "done", branch
        self.queue[bead.rig].append(bead)
        self._say(beat, agent, pane_text.done(bead.id, branch))
        self._say(beat, agent, pane_text.idle())
        self._event(beat, "done", agent.address, bead=bead.id, branch=branch)
        agent.bead, agent.phase, agent.beats = None, "finishing", FINISH_BEATS

    def _restart(self, agent: Agent, beat: Beat, actor: str) -> None:
        agent.life += 1
        beat.started.append(agent)
        self._event(beat, "spawn", actor, rig=agent.rig, polecat=agent.name)
        self._event(beat, "session_start", agent.address, session=agent.session)

    def _refinery(self, rig: str, beat: Beat) -> None:
        refinery = self.agent("refinery", rig)
        current = self.merging[rig]
        if current is not None:
            mr, branch, worker = f"mr-{current.id}", current.branch, current.worker or ""
            if current.id not in self.failed_once and self.rng.random() < 0.2:
                self.failed_once.add(current.id)
                self.queue[rig].append(current)
                self._event(
                    beat,
                    "merge_failed",
                    refinery.address,
                    mr=mr,
                    worker=worker,
                    branch=branch,
                    reason="conflict in go.sum",
                )
                self._say(beat, refinery, pane_text.note(f"merge of {current.id} failed: retrying"))
            else:
                current.state = "merged"
                self._event(beat, "merged", refinery.address, mr=mr, worker=worker, branch=branch)
                self._say(beat, refinery, pane_text.note(f"merged {branch}"))
                self._land_if_complete(current.convoy, beat)
            self.merging[rig] = None
        elif self.queue[rig]:
            bead = self.queue[rig].pop(0)
            self.merging[rig] = bead
            self._event(
                beat, "merge_started", refinery.address, mr=f"mr-{bead.id}", branch=bead.branch
            )
            self._say(beat, refinery, pane_text.working(self.text_rng, rig))
        busy = self.merging[rig] is not None or bool(self.queue[rig])
        refinery.phase = "working" if busy else "idle"
        refinery.wisp = self.refinery_wisps[rig] if busy else None
        if not busy and self.number % 4 == 0:
            self._say(beat, refinery, pane_text.idle())

    def _land_if_complete(self, convoy_id: str, beat: Beat) -> None:
        convoy = next(c for c in self.convoys if c.id == convoy_id)
        if convoy.landed or convoy.completed < len(convoy.beads):
            return
        convoy.landed = True
        mayor = self.agent("mayor")
        mayor.unread += 1
        mayor.first_subject = f"Convoy landed: {convoy.title}"
        self._event(beat, "mail", "deacon/", to="mayor/", subject=mayor.first_subject)
        self.pending_convoys[convoy.rig] = NEW_CONVOY_BEATS

    def _witness(self, rig: str, beat: Beat) -> None:
        witness = self.agent("witness", rig)
        witness.phase = "working"
        for polecat in self.polecats(rig):
            if polecat.phase == "stuck":
                if polecat.beats == STUCK_BEATS[0] - 1:
                    self._event(beat, "polecat_nudged", witness.address, polecat=polecat.name)
                    self._say(beat, witness, pane_text.note(f"nudged {polecat.name}"))
                elif polecat.beats == STUCK_BEATS[0] - 3:
                    reason = f"{polecat.name} stuck on {polecat.bead.id if polecat.bead else '?'}"
                    self._event(
                        beat,
                        "escalation_sent",
                        witness.address,
                        rig=rig,
                        target=polecat.address,
                        to="mayor/",
                        reason=reason,
                    )
        if self.number % 5 == 0:
            names = [p.name for p in self.polecats(rig) if p.alive]
            if names:
                name = self.rng.choice(names)
                self._event(beat, "polecat_checked", witness.address, polecat=name)
                self._say(beat, witness, pane_text.working(self.text_rng, rig))

    def _mayor(self, beat: Beat) -> None:
        mayor = self.agent("mayor")
        slung = False
        for rig, wait in list(self.pending_convoys.items()):
            if wait <= 1:
                del self.pending_convoys[rig]
                convoy = self._new_convoy(rig, self.rng.randint(3, 5))
                self._say(beat, mayor, pane_text.note(f"opened convoy {convoy.id}: {convoy.title}"))
            else:
                self.pending_convoys[rig] = wait - 1
        for polecat in self.polecats():
            if polecat.phase != "stopped":
                continue
            bead = next(
                (
                    b
                    for c in self.open_convoys()
                    if c.rig == polecat.rig
                    for b in c.beads
                    if b.state == "open"
                ),
                None,
            )
            if bead is None:
                continue
            self._event(beat, "sling", "mayor/", bead=bead.id, target=polecat.address)
            self._restart(polecat, beat, "mayor/")
            self._hook(polecat, bead)
            self._say(beat, polecat, pane_text.hooked(bead.id, bead.title))
            self._say(beat, mayor, pane_text.working(self.text_rng, polecat.rig))
            slung = True
        if slung:
            mayor.phase = "working"
        elif mayor.phase == "working":
            mayor.phase = "idle"
            self._say(beat, mayor, pane_text.idle())
        if mayor.unread and self.number % 6 == 0:
            mayor.unread, mayor.first_subject = 0, None

    def _deacon(self, beat: Beat) -> None:
        deacon = self.agent("deacon")
        if self.number % 8 == 1:
            self.patrol_cycle += 1
            self._event(beat, "patrol_started", deacon.address, cycle=self.patrol_cycle)
            self._say(beat, deacon, pane_text.working(self.text_rng, None))
        elif self.number % 8 == 3:
            self._event(beat, "patrol_complete", deacon.address, cycle=self.patrol_cycle)
            self._say(beat, deacon, pane_text.note(f"patrol {self.patrol_cycle} complete"))

    def _crew(self, beat: Beat) -> None:
        for crew in (a for a in self.agents if a.role == "crew"):
            if self.number % 12 in (6, 7, 8):
                crew.phase = "working"
                self._say(beat, crew, pane_text.working(self.text_rng, crew.rig))
            elif crew.phase == "working":
                crew.phase = "idle"
                self._say(beat, crew, pane_text.idle())

    # --- what gt answers ------------------------------------------------------------------
    def _record(self, agent: Agent) -> dict[str, Any]:
        extra: dict[str, Any] = {
            "running": agent.alive,
            "agent_info": "claude/opus" if agent.role == "mayor" else "claude",
            "unread_mail": agent.unread,
        }
        if agent.bead is not None:
            extra.update(has_work=True, hook_bead=agent.bead.id, work_title=agent.bead.title)
        elif agent.wisp is not None:
            extra.update(has_work=True, hook_bead=agent.wisp, work_title=f"mol-{agent.role}-patrol")
        if agent.phase == "stuck":
            extra["state"] = "stuck"
        if agent.first_subject and agent.unread:
            extra["first_subject"] = agent.first_subject
        return agent_record(agent.name, agent.address, agent.session, agent.gt_role, **extra)

    def status_document(self) -> dict[str, Any]:
        """`gt status --json` for the town as it is now."""
        alive = sum(1 for agent in self.agents if agent.alive)
        rigs = []
        for rig in RIGS:
            members = [a for a in self.agents if a.rig == rig]
            pending = len(self.queue[rig])
            in_flight = 1 if self.merging[rig] is not None else 0
            rigs.append(
                {
                    "name": rig,
                    "polecats": POLECATS[rig],
                    "polecat_count": len(POLECATS[rig]),
                    "crews": CREW.get(rig, []),
                    "crew_count": len(CREW.get(rig, [])),
                    "has_witness": True,
                    "has_refinery": True,
                    "hooks": [
                        {
                            "agent": a.address,
                            "role": a.role,
                            "has_work": True,
                            "title": a.bead.title,
                        }
                        for a in members
                        if a.bead is not None
                    ],
                    "agents": [self._record(a) for a in members],
                    "mq": {
                        "pending": pending,
                        "in_flight": in_flight,
                        "blocked": 0,
                        "state": "processing" if pending or in_flight else "idle",
                        "health": "healthy" if pending or in_flight else "empty",
                    },
                }
            )
        hooks = sum(1 for a in self.agents if a.bead is not None)
        return {
            "name": self.root.name,
            "location": str(self.root),
            "overseer": {"name": "Demo Overseer", "source": "git-config", "unread_mail": 0},
            "daemon": {"running": True, "pid": 0},
            "dolt": {"running": True, "port": 3307},
            "tmux": {"socket": self.socket, "running": True, "session_count": alive},
            "agents": [self._record(a) for a in self.agents if a.rig is None],
            "rigs": rigs,
            "summary": {
                "rig_count": len(RIGS),
                "polecat_count": sum(len(p) for p in POLECATS.values()),
                "crew_count": sum(len(c) for c in CREW.values()),
                "witness_count": len(RIGS),
                "refinery_count": len(RIGS),
                "active_hooks": hooks,
            },
        }

    def convoy_status_documents(self) -> dict[str, dict[str, Any]]:
        """`gt convoy status <id> --json` of every convoy: a landed one is `closed` (the
        collector asks for those that left the list, and lands them)."""
        return {
            convoy.id: {
                "id": convoy.id,
                "title": convoy.title,
                "status": "closed" if convoy.landed else "open",
                "completed": convoy.completed,
                "total": len(convoy.beads),
            }
            for convoy in self.convoys
        }

    def convoys_document(self) -> list[dict[str, Any]]:
        """`gt convoy list --json`: the open convoys (landed ones leave the list)."""
        return [
            {
                "id": convoy.id,
                "title": convoy.title,
                "status": "open",
                "created_at": convoy.created,
                "tracked": [
                    {
                        "id": bead.id,
                        "title": bead.title,
                        "status": {"merged": "closed", "open": "open"}.get(
                            bead.state, "in_progress"
                        ),
                        "dependency_type": "tracks",
                        "issue_type": "task",
                        **({"worker": bead.worker} if bead.worker else {}),
                    }
                    for bead in convoy.beads
                ],
                "completed": convoy.completed,
                "total": len(convoy.beads),
            }
            for convoy in self.open_convoys()
        ]

    def ready_document(self) -> dict[str, Any]:
        """`gt ready --json`: beads of open convoys nobody has yet, per rig."""
        sources = []
        for rig in RIGS:
            issues = [
                {"id": b.id, "title": b.title, "priority": 2, "issue_type": "task"}
                for c in self.open_convoys()
                if c.rig == rig
                for b in c.beads
                if b.state == "open"
            ]
            sources.append({"name": rig, "issues": issues})
        return {"sources": sources}

    def heartbeats(self) -> dict[str, tuple[str, str | None]]:
        """session -> (heartbeat state, bead) for every agent with a live session."""
        return {
            a.session: (a.heartbeat_state, a.bead.id if a.bead else a.wisp)
            for a in self.agents
            if a.alive
        }

    def deacon_heartbeat(self) -> dict[str, Any]:
        healthy = sum(1 for a in self.agents if a.alive and a.phase != "stuck")
        return {
            "timestamp": iso(),
            "cycle": self.patrol_cycle,
            "last_action": "patrol",
            "healthy_agents": healthy,
            "unhealthy_agents": len(self.agents) - healthy,
        }
