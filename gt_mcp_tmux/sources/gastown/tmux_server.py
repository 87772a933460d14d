"""Gas Town's own tmux server (`tmux -L <socket>`): which sessions live, what runs in them.

One `list-panes -a` per look gives every session with its panes (name, attached, activity,
created, windows, pane command, dead panes). The session environment (`GT_ROLE`, `GT_RIG`, ...)
is asked only for sessions not seen before (same name and creation time), all of them in one
tmux call. `-u` keeps non-ASCII names intact when the locale is not UTF-8.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from gt_mcp_tmux.model import SourceError, TmuxSession
from gt_mcp_tmux.proc import TimedOut, run_bounded
from gt_mcp_tmux.sources.gastown.town import gastown_socket_path
from gt_mcp_tmux.sources.tmux.control import run_controlled
from gt_mcp_tmux.sources.tmux.runner import CLIENTS_ARGS, SEP, looking_clients

SOURCE = "tmux"
#: Environment variables kept from a Gas Town session.
KEPT_ENV_PREFIXES = ("GT_", "BD_ACTOR")
#: Shells (Gas Town's list, constants.go): one in front of the agent's pane counts as the agent
#: only when a process below it is one of the agent's names.
SHELLS = frozenset(
    {"bash", "zsh", "sh", "fish", "tcsh", "ksh", "pwsh", "powershell", "dash", "csh", "login"}
)
#: How deep below a pane's shell the agent's process is looked for (Gas Town: 10).
DESCENDANT_DEPTH = 10
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
    "pane_id",
    "pane_pid",
)
_PANE_FORMAT = SEP.join("#{" + name + "}" for name in _PANE_FIELDS)
_ENV_MARK = "\x1fgtmcp-env "
#: What `list-panes -a` says on a server that has no session left.
_EMPTY = "no current target"
_NOT_RUNNING = (
    "no server running",
    "error connecting",
    "No such file or directory",
    "server exited unexpectedly",
    "lost server",
)


@dataclass(frozen=True, slots=True)
class Pane:
    id: str
    command: str
    pid: int = 0
    dead: bool = False
    active: bool = False  # the active pane of the active window


def process_names(env: dict[str, str]) -> frozenset[str]:
    """The agent's process names: `GT_PROCESS_NAMES` (Gas Town sets it in every session)."""
    return frozenset(n.strip() for n in env.get("GT_PROCESS_NAMES", "").split(",") if n.strip())


def _children(pid: int) -> list[int]:
    """Direct children of a process, from /proc (no `pgrep` per pane)."""
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as fh:
                found += [int(word) for word in fh.read().split()]
        except (OSError, ValueError):
            continue
    return found


def _comm(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/comm", encoding="utf-8", errors="replace") as fh:
            return fh.read().strip()
    except OSError:
        return ""


def has_descendant_named(pid: int, names: frozenset[str], depth: int = 0) -> bool:
    """A process below `pid` (at most DESCENDANT_DEPTH levels) is one of `names`."""
    if depth > DESCENDANT_DEPTH or pid <= 0:
        return False
    for child in _children(pid):
        if _comm(child) in names or has_descendant_named(child, names, depth + 1):
            return True
    return False


def pane_runs_agent(pane: Pane, names: frozenset[str]) -> bool:
    """Gas Town's own test (tmux.go, matchesPaneRuntime): the foreground command is one of the
    agent's names, or a process below the pane's shell (or wrapper) is. Without names (a town
    from before GT_PROCESS_NAMES) any live pane counts: guessing would call live agents dead."""
    if pane.dead:
        return False
    command = pane.command.lstrip("-")
    if not names:
        return True
    if command in names:
        return True
    return has_descendant_named(pane.pid, names)


def agent_alive(panes: list[Pane], env: dict[str, str]) -> bool:
    """The pane named by `GT_PANE_ID` when it is set (another window of the session, a shell a
    person opened, does not count), else any pane of the session."""
    names = process_names(env)
    pane_id = env.get("GT_PANE_ID", "")
    if pane_id:
        chosen = [p for p in panes if p.id == pane_id]
        return bool(chosen) and pane_runs_agent(chosen[0], names)
    return any(pane_runs_agent(pane, names) for pane in panes)


def _decided_by_tmux(panes: list[Pane], env: dict[str, str]) -> bool:
    """Whether the agent's liveness follows from tmux's answer alone (no process below a
    shell to look for in /proc, which may change while tmux says the same)."""
    names = process_names(env)
    return not names or all(p.dead or p.command.lstrip("-") in names for p in panes)


@dataclass(frozen=True, slots=True)
class GtSession:
    """A session on the Gas Town server, with its environment's GT_* variables."""

    id: str
    name: str
    attached: int = 0
    activity: float = 0.0  # newest of session and window activity (epoch seconds)
    created: float = 0.0
    windows: int = 1
    pane_command: str | None = None  # the agent pane's foreground command
    all_dead: bool = False  # every pane is dead (remain-on-exit)
    env: dict[str, str] = field(default_factory=dict)
    agent_alive: bool = True  # decided as Gas Town decides it (see `agent_alive`)

    @property
    def role(self) -> str | None:
        """Gas Town's `GT_ROLE`; a Gas City session's template (`demorig/polecat` -> polecat)."""
        template = self.env.get("GC_TEMPLATE", "")
        return self.env.get("GT_ROLE") or template.rsplit("/", 1)[-1] or None

    def record(self) -> TmuxSession:
        """As the record every view prints."""
        return TmuxSession(
            name=self.name,
            windows=self.windows,
            attached=self.attached,
            created=self.created,
            activity=self.activity,
            role=self.role,
        )


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
    panes: list[Pane] = field(default_factory=list)

    def pane_for(self, env: dict[str, str]) -> Pane | None:
        """The agent's pane: `GT_PANE_ID`'s, else the active one, else the first."""
        wanted = env.get("GT_PANE_ID", "")
        chosen = next((p for p in self.panes if wanted and p.id == wanted), None)
        chosen = chosen or next((p for p in self.panes if p.active), None)
        return chosen or (self.panes[0] if self.panes else None)


def parse_panes(text: str) -> list[_Building]:
    sessions: dict[str, _Building] = {}
    for line in text.split("\n"):
        parts = line.split(SEP)
        if len(parts) != len(_PANE_FIELDS):
            continue
        sid, name, attached, s_act, created, windows, w_act, w_on, p_on, command, dead = parts[:11]
        pane_id, pane_pid = parts[11:]
        item = sessions.get(sid)
        if item is None:
            item = sessions[sid] = _Building(
                sid, name, int(_num(attached)), _num(s_act), _num(created), int(_num(windows))
            )
        item.activity = max(item.activity, _num(w_act))
        item.panes.append(
            Pane(pane_id, command, int(_num(pane_pid)), dead == "1", w_on == "1" and p_on == "1")
        )
    return list(sessions.values())


def parse_env_batch(
    text: str, kept: tuple[str, ...] = KEPT_ENV_PREFIXES
) -> dict[str, dict[str, str]]:
    """Output of the batched `display-message` + `show-environment` calls, by session id."""
    found: dict[str, dict[str, str]] = {}
    current: dict[str, str] | None = None
    for line in text.split("\n"):
        if line.startswith(_ENV_MARK):
            current = found.setdefault(line[len(_ENV_MARK) :], {})
        elif current is not None and "=" in line and not line.startswith("-"):
            key, _, value = line.partition("=")
            if key.startswith(kept):
                current[key] = value
    return found


class GtTmuxServer:
    """Looks at one Gas Town tmux server; remembers session environments between looks.

    A Gas City server is looked at the same way, keeping its sessions' `GC_*` variables.
    """

    def __init__(
        self, socket: str, timeout: float = 2.0, kept_env: tuple[str, ...] = KEPT_ENV_PREFIXES
    ) -> None:
        self.socket = socket
        self.timeout = timeout
        self.kept_env = kept_env
        self.tmux_calls = 0  # for tests and benchmarks
        self._env: dict[tuple[str, float], dict[str, str]] = {}
        #: Each session as last built, with what tmux said of it (kept while that holds).
        self._sessions: dict[str, tuple[tuple[object, ...], GtSession]] = {}

    def _tmux(self, args: list[str]) -> tuple[int, str, str] | SourceError:
        self.tmux_calls += 1
        path = gastown_socket_path(self.socket)
        controlled = run_controlled(path, args, self.timeout, create=True)  # the collector's
        if controlled is not None:
            return controlled.returncode, controlled.stdout, controlled.stderr
        try:
            done = run_bounded(["tmux", "-u", "-S", path, *args], self.timeout)
        except TimedOut:
            return SourceError(
                SOURCE, "timeout", f"tmux -L {self.socket} took over {self.timeout:g}s"
            )
        except OSError as err:
            return SourceError(SOURCE, "missing", f"cannot run tmux: {err.strerror or err}")
        return done.returncode, done.stdout, done.stderr

    def look(self) -> ServerView:
        """All sessions now on the server. Never raises. No socket file, no server: no fork."""
        if not os.path.exists(gastown_socket_path(self.socket)):
            self._env.clear()
            return ServerView(running=False)
        answer = self._tmux(["list-panes", "-a", "-F", _PANE_FORMAT, *CLIENTS_ARGS])
        if isinstance(answer, SourceError):
            return ServerView(running=False, error=answer)
        code, out, err = answer
        if code != 0 and _EMPTY in err:
            # gt keeps its server up after `gt down` (exit-empty off): up, with no session
            self._env.clear()
            return ServerView(running=True)
        if code != 0:
            if any(marker in err for marker in _NOT_RUNNING):
                self._env.clear()
                return ServerView(running=False)
            line = err.strip().splitlines()[0] if err.strip() else f"exit {code}"
            return ServerView(running=False, error=SourceError(SOURCE, "error", line[:160]))
        found = parse_panes(out)
        looking = looking_clients(out)  # a watching control client (ours) is nobody looking
        if looking is not None:
            for item in found:
                item.attached = looking.get(item.name, 0)
        keys = {(s.name, s.created) for s in found}
        for old in [k for k in self._env if k not in keys]:
            del self._env[old]
        new = [s for s in found if (s.name, s.created) not in self._env]
        if new:
            self._ask_env(new)
        sessions = []
        kept, self._sessions = self._sessions, {}
        for s in found:
            env = self._env.get((s.name, s.created), {})
            seen = (s.name, s.attached, s.activity, s.created, s.windows, tuple(s.panes), env)
            before = kept.get(s.id)
            if before is not None and before[0] == seen and _decided_by_tmux(s.panes, env):
                self._sessions[s.id] = before  # tmux says what it said: the same session
                sessions.append(before[1])
                continue
            pane = s.pane_for(env)
            sessions.append(
                GtSession(
                    id=s.id,
                    name=s.name,
                    attached=s.attached,
                    activity=s.activity,
                    created=s.created,
                    windows=max(1, s.windows),
                    pane_command=(pane.command or None) if pane else None,
                    all_dead=bool(s.panes) and all(p.dead for p in s.panes),
                    env=env,
                    agent_alive=agent_alive(s.panes, env),
                )
            )
            self._sessions[s.id] = (seen, sessions[-1])
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
        envs = parse_env_batch(answer[1], self.kept_env)
        if answer[0] != 0 and envs:
            # tmux stops at the first failing command: the last session it marked is gone
            envs.pop(list(envs)[-1])
        for item in new:
            if item.id in envs:
                self._env[(item.name, item.created)] = envs[item.id]
