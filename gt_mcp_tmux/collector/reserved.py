"""Your reservation warning: the bar says so when the pane you are in works inside a path an
agent holds an exclusive Agent Mail reservation on.

The note is a pane option (`@gtmcp_reserved`), so each client's bar shows its own pane's: tmux
looks a `#{@option}` up in the pane first. The panes' folders are read with one `list-panes`
only while some exclusive reservation is held, at most every `EVERY` seconds.

"Inside" is by folders: a pattern covers its literal folder (`src/api/**` and `src/api/*.py`
cover `src/api`, a plain `docs` covers `docs`), and a pattern that starts with a wildcard
(`**/*.py`) covers the whole project. A pane in a parent folder of a reserved one is not inside.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from gt_mcp_tmux.collector.push import tmux_value
from gt_mcp_tmux.model import AgentMail, Reservation
from gt_mcp_tmux.render.status_line import escape_for_tmux, styled
from gt_mcp_tmux.sources.tmux.runner import SEP, run_tmux

OPTION = "@gtmcp_reserved"
#: How often the panes' folders are read while a reservation is held (seconds).
EVERY = 5.0
_GLOB = frozenset("*?[")


def covered_folder(pattern: str) -> str:
    """The folder a reservation pattern covers, relative to the project ("" is all of it)."""
    parts = [p for p in pattern.replace("\\", "/").strip("/").split("/") if p not in ("", ".")]
    literal: list[str] = []
    for part in parts:
        if not _GLOB.isdisjoint(part):
            return "/".join(literal)
        literal.append(part)
    return "/".join(literal)


def inside(folder: str, covered: str) -> bool:
    return covered == "" or folder == covered or folder.startswith(covered + "/")


@dataclass(frozen=True, slots=True)
class Held:
    """An exclusive reservation and the project folder it is in."""

    root: str
    project: str
    reservation: Reservation


def exclusive_reservations(mail: AgentMail | None) -> list[Held]:
    if mail is None or mail.state != "ok":
        return []
    return [
        Held(os.path.normpath(p.human_key), p.slug, r)
        for p in mail.projects
        if p.human_key.startswith("/")
        for r in p.reservations
        if r.exclusive
    ]


def reservation_here(path: str, held: list[Held]) -> Held | None:
    """The first exclusive reservation covering the folder `path`, if any."""
    path = os.path.normpath(path)
    for item in held:
        if path != item.root and not path.startswith(item.root.rstrip("/") + "/"):
            continue
        folder = os.path.relpath(path, item.root)
        folder = "" if folder == "." else folder
        if inside(folder, covered_folder(item.reservation.path_pattern)):
            return item
    return None


def note_for(item: Held, icon: str, color: str) -> str:
    """` ⛔ src/api/** BlueLake`: the pattern and who holds it, escaped for the bar."""
    text = f"{item.reservation.path_pattern} {item.reservation.agent}"
    return " " + styled(color, f"{escape_for_tmux(icon, 8)} {escape_for_tmux(text, 40)}", bold=True)


@dataclass
class ReservationWarner:
    """Keeps each pane's `@gtmcp_reserved` in step with the reservations (one tmux call to read
    the panes, one to change what changed)."""

    server_args: list[str]
    shown: dict[str, str] = field(default_factory=dict)  # pane id -> note set
    next_read: float = 0.0
    #: The exclusive reservations of the last Agent Mail reading, and that reading: 2,000
    #: reservations listed again every second were 2-6 ms a cycle.
    held: list[Held] = field(default_factory=list)
    read_of: AgentMail | None = None
    listed: int = 0  # times the reservations were listed (tests count them)

    def update(self, mail: AgentMail | None, now: float, icon: str, color: str) -> None:
        if self.read_of is not mail or mail is None:  # Agent Mail read again: every few seconds
            self.held, self.read_of = exclusive_reservations(mail), mail
            self.listed += 1
        held = self.held
        if not held and not self.shown:
            return
        if held and now < self.next_read:
            return
        self.next_read = now + EVERY
        wanted: dict[str, str] = {}
        if held:
            for pane, path in self._panes():
                found = reservation_here(path, held)
                if found is not None:
                    wanted[pane] = note_for(found, icon, color)
        self._apply(wanted)

    def clear(self) -> None:
        """Take every note off (the collector is stopping: no warning outlives it)."""
        self._apply({})

    def _panes(self) -> list[tuple[str, str]]:
        done = run_tmux(
            [
                *self.server_args,
                "list-panes",
                "-a",
                "-F",
                f"#{{pane_id}}{SEP}#{{pane_current_path}}",
            ]
        )
        if done is None or done.returncode != 0:
            return []
        rows = [line.split(SEP, 1) for line in done.stdout.splitlines()]
        return [(row[0], row[1]) for row in rows if len(row) == 2 and row[1]]

    def _apply(self, wanted: dict[str, str]) -> None:
        commands: list[str] = []
        for pane, note in wanted.items():
            if self.shown.get(pane) != note:
                commands += [";", "set-option", "-pq", "-t", pane, OPTION, tmux_value(note)]
        for pane in [p for p in self.shown if p not in wanted]:
            commands += [";", "set-option", "-pqu", "-t", pane, OPTION]
        if commands:
            run_tmux([*self.server_args, *commands[1:]])
        self.shown = wanted
