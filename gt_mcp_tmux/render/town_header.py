"""The lines above every view: the town in one line, ESTOP, failed sources, stale data.

Failures are short marked lines (`✘ source: what happened`), never a hidden panel or a traceback.
"""

from __future__ import annotations

import time

from rich.text import Text

from gt_mcp_tmux.model import ATTENTION_STATUSES, Agent, GasCity, GasTown, Snapshot
from gt_mcp_tmux.render.ages import ago, span
from gt_mcp_tmux.render.icons import ascii_text
from gt_mcp_tmux.render.literal import literal


def town_line(snapshot: Snapshot, now: float) -> Text:
    """`⛽ gt  5/7 running  ⚠ 2 need attention  ✉ 3 for you   updated 4s ago`."""
    gas = snapshot.gastown
    line = Text(no_wrap=True, overflow="ellipsis")
    if gas.root is None and snapshot.gascity.root is not None:
        line = city_line(snapshot.gascity)  # a Gas City user without a town
    else:
        line.append("⛽ ", style="bold")
        if gas.root is None:
            line.append("no town found", style="bold yellow")
        else:
            line.append_text(literal(gas.town or gas.root, "bold"))
            _fleet_counts(line, gas.agents, gas.overseer_unread)
    line.append(f"   updated {ago(snapshot.collected_at, now)}", style="dim")
    return line


def _fleet_counts(line: Text, agents: list[Agent], unread: int) -> None:
    running = sum(1 for agent in agents if agent.running)
    line.append(f"  {running}/{len(agents)} running", style="green" if running else "dim")
    attention = sum(1 for agent in agents if agent.status in ATTENTION_STATUSES)
    if attention:
        line.append(
            f"  ⚠ {attention} need{'s' if attention == 1 else ''} attention", style="bold red"
        )
    if unread:
        line.append(f"  ✉ {unread} for you", style="bold yellow")


def city_line(city: GasCity) -> Text:
    """`▦ my-city  4/5 running  ⚠ 1 needs attention  ✉ 1 for you  · supervisor down`."""
    line = Text(no_wrap=True, overflow="ellipsis")
    line.append("▦ ", style="bold")
    line.append_text(literal(city.city or city.root or "", "bold"))
    _fleet_counts(line, city.agents, city.human_unread)
    if city.controller_running is False:
        line.append("  · controller stopped", style="bold red")
    elif not city.supervisor_running:
        line.append("  · supervisor down", style="bold yellow")
    return line


def estop_banner(gas: GasTown) -> Text | None:
    """A red banner while an emergency stop is in force (town-wide or on some rigs)."""
    if not gas.estop and not gas.estop_rigs:
        return None
    line = Text(no_wrap=True, overflow="ellipsis", style="bold white on red")
    where = "town-wide" if gas.estop else "on " + ", ".join(gas.estop_rigs)
    line.append(f" ■ ESTOP {where}")
    if gas.estop_reason:
        line.append(": ")
        line.append_text(literal(gas.estop_reason))
    line.append(" ")
    return line


def error_lines(snapshot: Snapshot) -> list[Text]:
    """One `✘ source: kind: message` line per failed Gas Town source, plus the bridge's errors."""
    lines = []
    town_errors = snapshot.gastown.errors
    if snapshot.gastown.root is None and snapshot.gascity.root is not None:
        town_errors = []  # a city is watched: "no town" is no failure
    for error in [*town_errors, *snapshot.gascity.errors]:
        line = Text("✘ ", style="bold yellow", no_wrap=True, overflow="ellipsis")
        line.append_text(literal(f"{error.source}: {error.kind}: {error.message}", "yellow"))
        lines.append(line)
    if snapshot.bridge is not None:
        for message in snapshot.bridge.errors:
            line = Text("✘ ", style="bold yellow", no_wrap=True, overflow="ellipsis")
            line.append_text(literal(f"bridge: {message}", "yellow"))
            lines.append(line)
    return lines


def stale_line(snapshot: Snapshot, now: float, stale_after: float) -> Text | None:
    """`⌛ data 3m old: is the collector running? (gt-mcp collector status)` when too old."""
    age = now - snapshot.collected_at
    if age <= stale_after:
        return None
    return Text(
        f"⌛ data {span(age)} old: is the collector running? (gt-mcp collector status)",
        style="bold yellow",
        no_wrap=True,
        overflow="ellipsis",
    )


def header_lines(
    snapshot: Snapshot, now: float, stale_after: float = 30.0, ascii_only: bool = False
) -> list[Text]:
    lines = [town_line(snapshot, now)]
    if snapshot.gastown.root is not None and snapshot.gascity.root is not None:
        lines.append(city_line(snapshot.gascity))
    for extra in (estop_banner(snapshot.gastown), stale_line(snapshot, now, stale_after)):
        if extra is not None:
            lines.append(extra)
    lines += error_lines(snapshot)
    return [ascii_text(line) for line in lines] if ascii_only else lines


def as_of(moment: float) -> str:
    """`as of 14:03:07`: the collection's own time (local), true however long it stays shown."""
    return "as of " + time.strftime("%H:%M:%S", time.localtime(moment))


def keep_the_time(line: Text, width: int) -> Text:
    """The header line fitted to `width` with its end (`as of 14:03:07`, `updated 4s ago`) kept:
    the counts in the middle give way first, the moment the data is from never does."""
    from rich.cells import cell_len

    at = line.plain.rfind("   ")
    if at <= 0 or cell_len(line.plain) <= width:
        return line
    head, tail = line.divide([at])
    room = width - cell_len(tail.plain) - 1
    if room < 8:
        return line
    while cell_len(head.plain) > room:
        head.right_crop(1)
    fitted = head.copy()
    fitted.append("…", style="dim")
    fitted.append_text(tail)
    return fitted


def painted_once(line: Text, snapshot: Snapshot, now: float) -> Text:
    """`town_line` for a view painted once (Prefix+g waits for a key): it ends `as of 14:03:07`
    instead of an age that would stay frozen on screen."""
    age = f"   updated {ago(snapshot.collected_at, now)}"
    if line.plain.endswith(age):
        line.right_crop(len(age))
        line.append(f"   {as_of(snapshot.collected_at)}", style="dim")
    return line
