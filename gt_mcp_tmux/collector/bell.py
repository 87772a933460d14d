"""Urgent alerts at the terminal itself: a bell, or an OSC 9 / OSC 777 desktop notification.

tmux's own messages show only in its status line; a person in another window, or away from the
terminal, needs the terminal told. The collector writes straight to each client's terminal
(`#{client_tty}`), around tmux: no pane is touched and it works on every tmux version (a pane's
passthrough would need `allow-passthrough`, tmux 3.3). A write never blocks (a terminal stopped
with Ctrl-S is skipped), control-mode clients (iTerm2's tmux integration) are never written to,
and the notification's text keeps only printable characters: it can end no sequence early and
start none. A client whose session is the alerting agent's, or an agent someone is looking at on
Gas Town's server, is not rung for it.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass

from gt_mcp_tmux.collector.looking import Fleet, alert_session
from gt_mcp_tmux.model import Alert
from gt_mcp_tmux.sources.tmux.runner import SEP, people_only

#: What tmux says of each client, in one `list-clients` (nothing of the collector's own).
CLIENT_FORMAT = people_only(
    SEP.join(
        "#{" + name + "}"
        for name in (
            "client_name",
            "client_tty",
            "client_session",
            "client_termname",
            "client_control_mode",
        )
    )
)
#: Terminals that would print an unknown OSC as text (the Linux console), cannot show one, or
#: are a multiplexer that drops it (a tmux or screen inside another): they get the bell.
NO_OSC_TERMS = ("linux", "dumb", "vt", "cons", "screen", "tmux", "ansi")
NOTIFY_LIMIT = 200


@dataclass(frozen=True, slots=True)
class Client:
    name: str
    tty: str
    session: str
    termname: str = ""
    control: bool = False


def parse_clients(text: str) -> list[Client]:
    clients = []
    for line in text.splitlines():
        parts = line.split(SEP)
        if len(parts) == 5 and parts[0]:
            clients.append(Client(parts[0], parts[1], parts[2], parts[3], parts[4] == "1"))
    return clients


def printable(text: str, limit: int = NOTIFY_LIMIT) -> str:
    """Only printable characters: no BEL or ESC to end the notification early or start another
    sequence, no C1 controls, no bidi overrides."""
    return "".join(ch for ch in text if ch.isprintable())[:limit]


def shows_osc(termname: str) -> bool:
    """Whether a notification may be written to a terminal of this `TERM` (else the bell)."""
    name = termname.lower()
    return bool(name) and not name.startswith(NO_OSC_TERMS)


def notice_bytes(mode: str, text: str, termname: str) -> bytes:
    """What to write to one client's terminal: the bell, or a notification where it can show."""
    if mode == "osc9" and shows_osc(termname):
        return b"\x1b]9;" + printable(text).encode("utf-8") + b"\x07"
    if mode == "osc777" and shows_osc(termname):
        body = printable(text).encode("utf-8")
        return b"\x1b]777;notify;gastown-mcp;" + body + b"\x07"
    return b"\x07"


def looking_at_all(client: Client, sessions: Iterable[str | None], watched: frozenset[str]) -> bool:
    """Every alert of the batch is about an agent this client looks at (its own session), or
    one somebody looks at from Gas Town's server (a jump's popup: whose client, tmux cannot say)."""
    return all(s is not None and (s == client.session or s in watched) for s in sessions)


def to_ring(
    clients: list[Client], alerts: list[Alert], town: Fleet, watched: frozenset[str]
) -> list[Client]:
    """The clients the bell is for: not control-mode ones, not those looking at what fired."""
    sessions = [alert_session(alert, town) for alert in alerts]
    return [c for c in clients if not c.control and not looking_at_all(c, sessions, watched)]


def write_to_terminal(tty: str, data: bytes) -> bool:
    """One write to a client's terminal device, never blocking; False when it could not be."""
    if not tty.startswith("/dev/"):
        return False
    try:
        fd = os.open(tty, os.O_WRONLY | os.O_NOCTTY | os.O_NONBLOCK)
    except OSError:
        return False
    try:
        if not stat.S_ISCHR(os.fstat(fd).st_mode) or not os.isatty(fd):
            return False
        return os.write(fd, data) == len(data)
    except OSError:
        return False
    finally:
        with contextlib.suppress(OSError):
            os.close(fd)


def ring(clients: list[Client], mode: str, text: str) -> int:
    """Ring (or notify) each client; how many were reached."""
    if mode == "off":
        return 0
    return sum(write_to_terminal(c.tty, notice_bytes(mode, text, c.termname)) for c in clients)
