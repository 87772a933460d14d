"""The interactive `gt-mcp sling`: pick a bead, pick a target, optional args, confirm, run gt."""

from __future__ import annotations

import shlex
import subprocess

from rich.console import Console
from rich.text import Text

from gt_mcp_tmux.config import Settings
from gt_mcp_tmux.messages import INSTALL_GC
from gt_mcp_tmux.messages import INSTALL_GT as GT_INSTALL_HINT
from gt_mcp_tmux.model import ReadyBead, Snapshot, SourceError
from gt_mcp_tmux.passthrough import find_program, resolve_gt
from gt_mcp_tmux.render.choices import bead_choices, plain_choices
from gt_mcp_tmux.render.literal import clean
from gt_mcp_tmux.sources.gascity.gc_cli import gc_command_name
from gt_mcp_tmux.sources.gascity.ready import read_city_ready
from gt_mcp_tmux.sources.gastown.ready import read_ready
from gt_mcp_tmux.ui.keys import KeyReader
from gt_mcp_tmux.ui.picker import pick
from gt_mcp_tmux.ui.sling import city_sling_argv, city_sling_targets, sling_argv, sling_targets


def _wait_for_a_key(console: Console, popup: bool) -> None:
    if popup:
        console.print(Text("press any key to close", style="dim"))
        with KeyReader() as keys:
            keys.read(None)


def run_sling(settings: Settings, snapshot: Snapshot, popup: bool = False) -> int:
    console = Console(highlight=False)
    town, city = snapshot.gastown, snapshot.gascity
    if city.root is not None:
        town_up = town.root is not None and town.server_running
        if town_up:
            places = [("town", town.town or town.root or ""), ("city", city.city or city.root)]
            where = pick(
                plain_choices(places),
                "sling in",
                console,
            )
            if where is None:
                return 0
        if not town_up or where == "city":
            return _run_city_sling(settings, snapshot, console, popup)
    binary = resolve_gt()
    if binary is None:
        console.print(Text(f"gt not found: {GT_INSTALL_HINT}", style="red"))
        _wait_for_a_key(console, popup)
        return 127
    bead = _pick_bead(read_ready(town.root, settings.gt_timeout), "across town", console, popup)
    if isinstance(bead, int):
        return bead
    target = pick(plain_choices(sling_targets(town)), f"sling {bead.id} to", console)
    if target is None:
        return 0
    console.print(
        Text.assemble(
            ("sling ", "bold"),
            (clean(bead.id), "bold cyan"),
            " ",
            clean(bead.title),
            " → ",
            (clean(target), "bold"),
        )
    )
    args_text = console.input("natural-language args (Enter to skip): ").strip()
    formula = console.input("formula, e.g. shiny (Enter to skip): ").strip()
    argv = sling_argv(bead.id, target, args_text, formula)
    return _confirm_and_run(console, "gt", binary, argv, town.root, popup)


def _run_city_sling(settings: Settings, snapshot: Snapshot, console: Console, popup: bool) -> int:
    """`gc sling <target> <bead>` (target first: the reverse of gt), in the city's folder."""
    city = snapshot.gascity
    binary = find_program(gc_command_name())
    if binary is None:
        console.print(Text(f"gc not found: {INSTALL_GC}", style="red"))
        _wait_for_a_key(console, popup)
        return 127
    ready = read_city_ready(city, timeout=min(float(settings.gt_timeout), 10.0))
    bead = _pick_bead(ready, "in the city", console, popup)
    if isinstance(bead, int):
        return bead
    target = pick(plain_choices(city_sling_targets(city)), f"sling {bead.id} to", console)
    if target is None:
        return 0
    argv = city_sling_argv(target, bead.id)
    console.print(
        Text.assemble(("sling ", "bold"), (clean(bead.id), "bold cyan"), " ", clean(bead.title))
    )
    # a rig's bead is slung from its rig's folder: gc finds the bead in that rig's store
    rig = next((r for r in city.rigs if bead.source and r.name == bead.source and r.path), None)
    return _confirm_and_run(console, "gc", binary, argv, rig.path if rig else city.root, popup)


def _pick_bead(
    ready: list[ReadyBead] | SourceError, where: str, console: Console, popup: bool
) -> ReadyBead | int:
    """The bead the person picks, or the exit code when there is none to pick (an error said,
    nothing ready, cancelled)."""
    if isinstance(ready, SourceError):
        console.print(Text(f"cannot list ready beads: {clean(ready.message)}", style="red"))
        _wait_for_a_key(console, popup)
        return 1
    if not ready:
        console.print(Text(f"No ready work {where}.", style="yellow"))
        _wait_for_a_key(console, popup)
        return 0
    bead = pick(bead_choices(ready), "sling which bead", console)
    return 0 if bead is None else bead


def _confirm_and_run(
    console: Console, name: str, binary: str, argv: list[str], cwd: str | None, popup: bool
) -> int:
    """Show the command, run it on a `y`, and say how it ended."""
    console.print(Text(clean(f"{name} " + shlex.join(argv)), style="bold"))
    if console.input("run it? type y and Enter (anything else cancels): ").strip().lower() not in (
        "y",
        "yes",
    ):
        console.print(Text("not slung", style="dim"))
        return 0
    done = subprocess.run([binary, *argv], cwd=cwd or None, check=False)
    style = "green" if done.returncode == 0 else "red"
    console.print(Text(f"{name} exited {done.returncode}", style=style))
    _wait_for_a_key(console, popup)
    return done.returncode
