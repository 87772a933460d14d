"""Find both sides (Gas Town and Agent Mail) and say how: the facts behind `detect` and Prefix+b."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from gt_mcp_tmux import messages
from gt_mcp_tmux.config import Settings
from gt_mcp_tmux.model import AgentMailFound, Detection, GastownFound, TmuxFound
from gt_mcp_tmux.output import shown_width
from gt_mcp_tmux.passthrough import gt_command_name, resolve_gt
from gt_mcp_tmux.sources.agent_mail.liveness import check_liveness
from gt_mcp_tmux.sources.gastown.gt_cli import gt_version
from gt_mcp_tmux.sources.gastown.tmux_server import GtTmuxServer
from gt_mcp_tmux.sources.gastown.town import (
    explicit_socket,
    find_town,
    live_socket_name,
    socket_name_for,
)
from gt_mcp_tmux.sources.tmux.runner import popups_supported, run_tmux, tmux_version


def detect_gastown(settings: Settings, cwd: Path | None = None) -> GastownFound:
    started = time.monotonic()
    hints: list[str] = []
    binary = resolve_gt()
    version, version_error = gt_version() if binary else (None, None)
    if binary is None:
        hints.append(messages.gt_missing(gt_command_name()))
    elif version_error:
        hints.append(f"gt is there but `gt version` failed: {version_error}")
    town = find_town(cwd, configured=settings.town_root or None)
    socket = socket_from = None
    running, count = False, 0
    if town is None:
        hints.append(messages.NO_TOWN)
    else:
        named = socket_name_for(town.root)
        socket = live_socket_name(town.root)
        socket_from = "GT_TMUX_SOCKET" if explicit_socket() is not None else "town path"
        if socket != named:
            socket_from = "running server of the same town"
            hints.append(
                f"from here gt names this town's socket {named}, but it runs as {socket}"
                f" (started from {os.path.realpath(town.root)}?): run gt from that path,"
                " or a second copy of the town would start"
            )
        view = GtTmuxServer(socket).look()  # the collector's own reader of that server
        running, count = view.running, len(view.sessions)
        if town.others:
            listed = ", ".join(str(other) for other in town.others)
            hints.append(
                f"{len(town.others) + 1} towns' tmux servers run; watching {town.root} (the newest)."
                f" Others: {listed}. Choose with `set -g @gtmcp-town-root <root>`"
            )
        if view.error is not None:
            # a socket that does not answer (a frozen server) is not a town that is down
            hints.append(f"Gas Town's tmux server ({socket}) does not answer: {view.error.message}")
        elif not running:
            hints.append(messages.town_server_down(socket))
    return GastownFound(
        binary=binary,
        version=version,
        town_root=str(town.root) if town else None,
        found_by=town.found_by if town else None,
        socket=socket,
        socket_from=socket_from,
        server_running=running,
        sessions=count,
        error=version_error,
        hints=hints,
        took_ms=round((time.monotonic() - started) * 1000, 1),
        other_towns=[str(other) for other in town.others] if town else [],
    )


def detect_agent_mail(settings: Settings, timeout: float = 1.0) -> AgentMailFound:
    if not settings.agent_mail:  # switched off: not even a liveness probe
        return AgentMailFound(settings.agent_mail_url, False, None, None, enabled=False)
    probe = check_liveness(settings.agent_mail_url, timeout)
    hints = (
        []
        if probe.up
        else ["start it with `python -m mcp_agent_mail.cli serve-http`, or set AGENT_MAIL_URL"]
    )
    return AgentMailFound(
        url=settings.agent_mail_url,
        up=probe.up,
        latency_ms=round(probe.latency_ms, 1),
        error=probe.error,
        hints=hints,
    )


def detect_tmux(settings: Settings | None, typical: Mapping[str, int]) -> TmuxFound:
    """tmux's version, popups, keys left alone and the status length (`typical`: each status
    token's columns for a busy town, `render/status_room.typical_widths`)."""
    text, version = tmux_version()
    hints: list[str] = []
    if text is None:
        hints.append("tmux is not installed: install tmux 3.2 or newer")
    elif not popups_supported(version):
        hints.append(f"{text} has no popups: views open in a new window (tmux ≥ 3.2 for popups)")
    skipped: list[str] = []
    if os.environ.get("TMUX"):
        done = run_tmux(["show-option", "-gqv", "@_gtmcp-skipped-keys"])
        skipped = done.stdout.split() if done is not None and done.returncode == 0 else []
        hints += status_length_hints([], typical)
    for key in skipped:
        option = _key_option(settings, key)
        hints.append(
            f"Prefix+{key} was bound already (yours, a theme's or Gas Town's): left alone;"
            f" choose another key with `set -g {option} <key>`, or ask for this one there"
        )
    return TmuxFound(text, popups_supported(version), bool(os.environ.get("TMUX")), hints, skipped)


#: Our status-line tokens, as the user writes them (`#{gtmcp_status}`) and as the plugin
#: rewrites them (`#{@gtmcp_status}`).
STATUS_TOKENS = ("gtmcp_status", "gtmcp_gastown", "gtmcp_mail", "gtmcp_bridge")


@dataclass(frozen=True, slots=True)
class StatusRoom:
    """One side of the status line that holds our segment: its length limit and what it needs."""

    side: str  # "left" or "right"
    limit: int
    need: int

    @property
    def cuts(self) -> bool:
        return self.need > self.limit

    @property
    def wanted(self) -> int:
        """What to set: the need, rounded up to the next ten (room for a digit more)."""
        return (self.need // 10 + 1) * 10


def status_room(server_args: list[str], typical: Mapping[str, int]) -> list[StatusRoom]:
    """The columns each side holding our segment needs, as tmux draws it now, where a token that
    shows less than `typical` (its columns for a busy town: the plugin not loaded yet, no
    collector yet, a quiet town) counts as that wide."""
    fields = ["status-left", "T:status-left", "status-left-length"]
    fields += ["status-right", "T:status-right", "status-right-length"]
    fields += ["@" + token for token in STATUS_TOKENS]
    done = run_tmux(
        [*server_args, "display-message", "-p", "\n".join("#{" + f + "}" for f in fields)]
    )
    if done is None or done.returncode != 0:
        return []
    lines = done.stdout.split("\n")
    if len(lines) < len(fields):
        return []
    shown = {
        token: shown_width(value) for token, value in zip(STATUS_TOKENS, lines[6:], strict=False)
    }
    found: list[StatusRoom] = []
    for side, (raw, text, length) in (("left", lines[0:3]), ("right", lines[3:6])):
        written = [t for t in STATUS_TOKENS if "#{" + t + "}" in raw]  # not rewritten yet
        rewritten = [t for t in STATUS_TOKENS if "#{@" + t + "}" in raw]
        if not written and not rewritten:
            continue  # our segment is not on this side
        try:
            limit = int(length)
        except ValueError:
            continue
        need = shown_width(text)
        for token in written:  # tmux shows an unknown `#{gtmcp_status}` as nothing
            need += max(typical.get(token, 0), shown[token])
        for token in rewritten:
            need += max(typical.get(token, 0) - shown[token], 0)
        found.append(StatusRoom(side, limit, need))
    return found


def short_rooms(server_args: list[str], typical: Mapping[str, int]) -> list[StatusRoom]:
    """The one status-length rule (`gt-mcp detect`, the collector's message, `gt-mcp tmux setup`):
    a side is too short when a busy town's bar (or today's, when wider) would be cut there, and
    its `wanted` length is what to set."""
    return [room for room in status_room(server_args, typical) if room.cuts]


def status_length_hints(server_args: list[str], typical: Mapping[str, int]) -> list[str]:
    """When `status-right-length`/`status-left-length` would cut the bar (tmux cuts at a column:
    `⇄ 12` shows as `⇄ 1`), what to set instead: the advice first and under 70 columns, as tmux
    cuts a message at the client's width too."""
    return [
        f"set -g status-{room.side}-length {room.wanted} ({room.limit} cuts a busy bar:"
        f" it needs {room.need})"
        for room in short_rooms(server_args, typical)
    ]


def _key_option(settings: Settings | None, key: str) -> str:
    """The @gtmcp-key-* option whose key this is (its value, or its default)."""
    from gt_mcp_tmux.config import FIELDS, default_value, tmux_option_name

    for name in FIELDS:
        if not name.startswith("key_"):
            continue
        value = getattr(settings, name) if settings is not None else default_value(name)
        if value == key:
            return tmux_option_name(name)
    return "@gtmcp-key-<view>"


def detect_all(
    settings: Settings,
    cwd: Path | None = None,
    config_errors: list[str] | None = None,
    *,
    typical: Mapping[str, int],
) -> Detection:
    from gt_mcp_tmux.sources.gascity.found import detect_gascity

    return Detection(
        detect_gastown(settings, cwd),
        detect_agent_mail(settings),
        detect_tmux(settings, typical),
        config_errors or [],
        detect_gascity(settings, cwd) if settings.gascity else None,
    )
