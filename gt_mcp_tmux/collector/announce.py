"""What happens when an alert fires: a short message on the user's tmux clients, the user's hook.

Both take data only as data: the message is escaped for tmux, the hook gets the alert as JSON on
stdin and its argv comes from the user's own config (split, never run through a shell).
"""

from __future__ import annotations

import json
import shlex
import threading
from collections.abc import Callable

from gt_mcp_tmux.collector.alerts import urgency
from gt_mcp_tmux.collector.bell import CLIENT_FORMAT, parse_clients, ring, to_ring
from gt_mcp_tmux.collector.looking import Fleet
from gt_mcp_tmux.model import Alert, GasTown, to_json
from gt_mcp_tmux.proc import TimedOut, run_bounded
from gt_mcp_tmux.render.status_line import escape_for_message
from gt_mcp_tmux.sources.tmux.runner import people_only, run_tmux

HOOK_TIMEOUT = 10.0
_HOOK_TURN = threading.Lock()
#: Kinds worth a message over the user's bar; the others are counted in `⚑` (and go to the hook).
URGENT_KINDS = frozenset(
    {
        "estop",
        "crash_loop",
        "dead",
        "stuck",
        "session_death",
        "merge_failed",
        "order_failed",
        "escalation",
        "watchdog",
    }
)
#: A message shows this long...
MESSAGE_MS = 3000
#: ...and at most once in this many seconds: in a burst of alerts the bar stays visible at least
#: 85% of the time (3 s of every 20); what fires meanwhile waits and comes as one message.
MESSAGE_EVERY = 20.0


class MessageGate:
    """At most one message at a time, coalesced, urgent kinds only, rate-limited."""

    def __init__(self, every: float = MESSAGE_EVERY) -> None:
        self.every = every
        self.waiting: dict[str, Alert] = {}
        self.last_shown: float | None = None

    def offer(self, fired: list[Alert], now: float) -> list[Alert]:
        """Take this cycle's new alerts; the batch to show now (empty while it must wait)."""
        for alert in fired:
            if alert.kind in URGENT_KINDS:
                self.waiting[alert.id] = alert
        if not self.waiting:
            return []
        if self.last_shown is not None and now - self.last_shown < self.every:
            return []
        batch = sorted(self.waiting.values(), key=urgency)  # the most urgent one is named
        self.waiting.clear()
        self.last_shown = now
        return batch


def message_text(alerts: list[Alert], escape: Callable[[str], str] = escape_for_message) -> str:
    """`3 new: <the most urgent> (+2 more)`, escaped for display-message (or as `escape` says)."""
    first = alerts[0]
    head = f"{len(alerts)} new: " if len(alerts) > 1 else ""
    more = f" (+{len(alerts) - 1} more: gt-mcp alerts)" if len(alerts) > 1 else ""
    return "gastown-mcp: " + head + escape(first.message) + more


def message_commands(clients: list[str], alerts: list[Alert]) -> list[str]:
    """One batched argv: a display-message per client with the batch in one line."""
    if not clients or not alerts:
        return []
    text = message_text(alerts)
    argv: list[str] = []
    for client in clients:
        if argv:
            argv.append(";")
        argv += ["display-message", "-c", client, "-d", str(MESSAGE_MS), text]
    return argv


def tell_clients(server_args: list[str], text: str) -> None:
    """One line (already ours, or escaped) on every client of the server."""
    listed = run_tmux([*server_args, "list-clients", "-F", people_only("#{client_name}")])
    if listed is None or listed.returncode != 0:
        return
    argv: list[str] = []
    for client in (c for c in listed.stdout.splitlines() if c):
        if argv:
            argv.append(";")
        argv += ["display-message", "-c", client, "-d", str(MESSAGE_MS * 2), text]
    if argv:
        run_tmux([*server_args, *argv])


def notify_clients(server_args: list[str], alerts: list[Alert]) -> None:
    """The message alone on every client (no bell)."""
    announce_batch(server_args, alerts, display=True, notify="off", town=GasTown())


def announce_batch(
    server_args: list[str],
    alerts: list[Alert],
    *,
    display: bool,
    notify: str,
    town: Fleet,
    watched: frozenset[str] = frozenset(),
) -> None:
    """One batch on the server's clients: the message (with `display`) on each, and the bell or
    a notification (`notify`, see `bell`) on each not looking at what fired. One `list-clients`."""
    if not alerts:
        return
    listed = run_tmux([*server_args, "list-clients", "-F", CLIENT_FORMAT])
    if listed is None or listed.returncode != 0:
        return
    clients = parse_clients(listed.stdout)
    argv = message_commands([c.name for c in clients], alerts) if display else []
    if argv:
        run_tmux([*server_args, *argv])
    ring(to_ring(clients, alerts, town, watched), notify, message_text(alerts, str))


def hook_argv(command: str) -> list[str] | None:
    """The user's hook command as argv; None when unset or unparsable."""
    try:
        argv = shlex.split(command)
    except ValueError:
        return None
    return argv or None


def run_hook(command: str, alert: Alert) -> str | None:
    """Run the hook once with the alert on stdin; a one-line problem, or None when it went fine."""
    argv = hook_argv(command)
    if argv is None:
        return f"alert_command {command!r} cannot be split into words"
    try:
        done = run_bounded(argv, HOOK_TIMEOUT, input_text=json.dumps(to_json(alert)))
    except TimedOut:
        return f"alert_command took over {HOOK_TIMEOUT:g}s and was stopped"
    except OSError as err:
        return f"alert_command failed to start: {err.strerror}"
    return None if done.returncode == 0 else f"alert_command exited {done.returncode}"


def run_hooks_in_background(
    command: str, alerts: list[Alert], on_problem: Callable[[str], None] | None = None
) -> None:
    """Hooks never hold up the collector's loop: they run in a thread, one alert after another."""
    if not command or not alerts:
        return

    def work() -> None:
        with _HOOK_TURN:  # one hook at a time, whatever the number of batches
            for alert in alerts:
                problem = run_hook(command, alert)
                if problem and on_problem is not None:
                    on_problem(problem)

    threading.Thread(target=work, name="alert-hook", daemon=True).start()
