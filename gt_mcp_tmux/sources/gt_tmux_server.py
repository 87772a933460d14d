"""Gas Town's own tmux server (`tmux -L <socket>`): which sessions live, what runs in them.

One `list-panes -a` per look gives every session with its panes (name, attached, activity,
created, windows, pane command, dead panes). The session environment (`GT_ROLE`, `GT_RIG`, ...)
is asked only for sessions not seen before (same name and creation time), all of them in one
tmux call. `-u` keeps non-ASCII names intact when the locale is not UTF-8.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gt_mcp_tmux.model import SourceError
from gt_mcp_tmux.proc import TimedOut, run_bounded
from gt_mcp_tmux.tmux_cli import SEP

SOURCE = "tmux"
#: Environment variables kept from a Gas Town session.
KEPT_ENV_PREFIXES = ("GT_", "BD_ACTOR")
#: Shells: when one is in the foreground of an agent pane, the agent process has exited.
SHELLS = frozenset({"bash", "zsh", "sh", "fish", "dash", "ksh", "tcsh", "csh", "nu", "login"})
_PANE_FIELDS = (
    "session_id",
    "session_name",
    "session_attached",
    "session_activity",
    "session_created",
    "session_windows",
    "window_activity",
    "window_active",
    "pane_active",
    "pane_current_command",
    "pane_dead",
)
_PANE_FORMAT = SEP.join("#{" + name + "}" for name in _PANE_FIELDS)
_ENV_MARK = "\x1fgtmcp-env "
_NOT_RUNNING = (
    "no server running",
    "error connecting",
    "No such file or directory",
    "server exited unexpectedly",
    "lost server",
)


@dataclass(frozen=True, slots=True)
class GtSession:
    """A session on the Gas Town server, with its environment's GT_* variables."""

    id: str
    name: str
    attached: int = 0
    activity: float = 0.0  # newest of session and window activity (epoch seconds)
    created: float = 0.0
    windows: int = 1
    pane_command: str | None = None  # the active pane's foreground command
    all_dead: bool = False  # every pane is dead (remain-on-exit)
    env: dict[str, str] = field(default_factory=dict)

    @property
    def role(self) -> str | None:
        return self.env.get("GT_ROLE") or None

    @property
    def agent_alive(self) -> bool:
        """A live pane, and not back at a shell prompt when GT_PROCESS_NAMES says what should run."""
        if self.all_dead:
            return False
        names = {n.strip() for n in self.env.get("GT_PROCESS_NAMES", "").split(",") if n.strip()}
        command = (self.pane_command or "").lstrip("-")
        return not (names and command in SHELLS and command not in names)


@dataclass(frozen=True, slots=True)
class ServerView:
    """What one look found. `running` False means no server: every session is gone."""

    running: bool
    sessions: list[GtSession] = field(default_factory=list)
    error: SourceError | None = None


def _num(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return 0.0


@dataclass
class _Building:
    id: str
    name: str
    attached: int
    activity: float
    created: float
    windows: int
    command: str | None = None
    active_found: bool = False
    panes: int = 0
    dead: int = 0


def parse_panes(text: str) -> list[_Building]:
    sessions: dict[str, _Building] = {}
    for line in text.split("\n"):
        parts = line.split(SEP)
        if len(parts) != len(_PANE_FIELDS):
            continue
        sid, name, attached, s_act, created, windows, w_act, w_on, p_on, command, dead = parts
        item = sessions.get(sid)
        if item is None:
            item = sessions[sid] = _Building(
                sid, name, int(_num(attached)), _num(s_act), _num(created), int(_num(windows))
            )
        item.activity = max(item.activity, _num(w_act))
        item.panes += 1
        item.dead += dead == "1"
        if not item.active_found and (item.command is None or (w_on == "1" and p_on == "1")):
            item.command = command or None
            item.active_found = w_on == "1" and p_on == "1"
    return list(sessions.values())


def parse_env_batch(text: str) -> dict[str, dict[str, str]]:
    """Output of the batched `display-message` + `show-environment` calls, by session id."""
    found: dict[str, dict[str, str]] = {}
    current: dict[str, str] | None = None
    for line in text.split("\n"):
        if line.startswith(_ENV_MARK):
            current = found.setdefault(line[len(_ENV_MARK) :], {})
        elif current is not None and "=" in line and not line.startswith("-"):
            key, _, value = line.partition("=")
            if key.startswith(KEPT_ENV_PREFIXES):
                current[key] = value
    return found


class GtTmuxServer:
    """Looks at one Gas Town tmux server; remembers session environments between looks."""

    def __init__(self, socket: str, timeout: float = 2.0) -> None:
        self.socket = socket
        self.timeout = timeout
        self.tmux_calls = 0  # for tests and benchmarks
        self._env: dict[tuple[str, float], dict[str, str]] = {}

    def _tmux(self, args: list[str]) -> tuple[int, str, str] | SourceError:
        self.tmux_calls += 1
        try:
            done = run_bounded(["tmux", "-u", "-L", self.socket, *args], self.timeout)
        except TimedOut:
            return SourceError(
                SOURCE, "timeout", f"tmux -L {self.socket} took over {self.timeout:g}s"
            )
        except OSError as err:
            return SourceError(SOURCE, "missing", f"cannot run tmux: {err.strerror or err}")
        return done.returncode, done.stdout, done.stderr

    def look(self) -> ServerView:
        """All sessions now on the server. Never raises."""
        answer = self._tmux(["list-panes", "-a", "-F", _PANE_FORMAT])
        if isinstance(answer, SourceError):
            return ServerView(running=False, error=answer)
        code, out, err = answer
        if code != 0:
            if any(marker in err for marker in _NOT_RUNNING):
                self._env.clear()
                return ServerView(running=False)
            line = err.strip().splitlines()[0] if err.strip() else f"exit {code}"
            return ServerView(running=False, error=SourceError(SOURCE, "error", line[:160]))
        found = parse_panes(out)
        keys = {(s.name, s.created) for s in found}
        for old in [k for k in self._env if k not in keys]:
            del self._env[old]
        new = [s for s in found if (s.name, s.created) not in self._env]
        if new:
            self._ask_env(new)
        sessions = [
            GtSession(
                id=s.id,
                name=s.name,
                attached=s.attached,
                activity=s.activity,
                created=s.created,
                windows=max(1, s.windows),
                pane_command=s.command,
                all_dead=s.panes > 0 and s.dead == s.panes,
                env=self._env.get((s.name, s.created), {}),
            )
            for s in found
        ]
        return ServerView(running=True, sessions=sessions)

    def _ask_env(self, new: list[_Building]) -> None:
        """One tmux call for all new sessions; those it could not answer are asked next time."""
        args: list[str] = []
        for s in new:
            args += ["display-message", "-p", "-t", s.id, _ENV_MARK + s.id, ";"]
            args += ["show-environment", "-t", s.id, ";"]
        answer = self._tmux(args[:-1])
        if isinstance(answer, SourceError):
            return
        envs = parse_env_batch(answer[1])
        if answer[0] != 0 and envs:
            # tmux stops at the first failing command: the last session it marked is gone
            envs.pop(list(envs)[-1])
        for item in new:
            if item.id in envs:
                self._env[(item.name, item.created)] = envs[item.id]
