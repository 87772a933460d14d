"""The queue's popup (Prefix+Q): the list, refreshed from the cache every second, with keys to go
to an item, snooze it, acknowledge it, peek at its agent's pane and nudge its agent; `z` shows
the snoozed items instead, where `w` wakes one."""

from __future__ import annotations

import os
import shlex
import subprocess
import time

from rich.console import Console
from rich.live import Live
from rich.text import Text

from gt_mcp_tmux.collector.views_data import cached_snapshot
from gt_mcp_tmux.config import Settings
from gt_mcp_tmux.model import QueueItem, Snapshot, SourceError
from gt_mcp_tmux.passthrough import find_program, resolve_gt
from gt_mcp_tmux.render.literal import clean
from gt_mcp_tmux.render.queue_view import popup_items, queue_popup
from gt_mcp_tmux.sources.gascity.gc_cli import gc_command_name
from gt_mcp_tmux.ui.keys import KeyReader
from gt_mcp_tmux.ui.queue_actions import (
    acknowledge,
    go_to,
    item_agent,
    nudge_argv,
    peek_item,
    shown_queue,
    snooze,
)

#: `s` snoozes for this long (`gt-mcp queue snooze ID DURATION` takes any).
SNOOZE_KEY_SECONDS = 3600.0
PEEK_LINES = 40
NUDGE_TEXT = "The overseer is looking at you: what do you need?"
#: The longest a nudge may take (gt's wait-idle waits for a busy agent).
NUDGE_WAIT = 60.0


def run_queue_popup(settings: Settings, socket: str, client: str | None, first: Snapshot) -> int:
    console = Console(highlight=False)
    index, peeking, note, sleeping = 0, False, "", False  # sleeping: the snoozed list shown
    chosen_id: str | None = None  # the cursor follows the item, not its place, as the list moves
    snapshot = first
    with KeyReader() as keys, Live(console=console, screen=True, auto_refresh=False) as live:
        next_read = 0.0
        while True:
            now = time.time()
            if time.monotonic() >= next_read:
                snapshot = cached_snapshot() or snapshot
                next_read = time.monotonic() + 1.0
            queue = shown_queue(snapshot, socket)
            items = popup_items(queue, sleeping)
            ids = [item.id for item in items]
            if chosen_id in ids:
                index = ids.index(chosen_id)
            index = min(index, max(len(items) - 1, 0))
            chosen = items[index] if items else None
            peek: list[str] | None = None
            if peeking and chosen is not None:
                found = peek_item(snapshot, chosen, PEEK_LINES)
                peek = [f"({found.message})"] if isinstance(found, SourceError) else found
            shown = queue_popup(queue, now, index, console.height, peek, note, sleeping)
            live.update(shown, refresh=True)
            key = keys.read(1.0)
            if key is None or key == "resize":
                continue
            note = ""
            if key in ("q", "Q", "esc"):
                return 0
            if key in ("up", "k"):
                index = max(index - 1, 0)
                chosen_id = ids[index] if ids else None
            elif key in ("down", "j"):
                index = min(index + 1, max(len(ids) - 1, 0))
                chosen_id = ids[index] if ids else None
            elif key == "p":
                peeking = not peeking
            elif key == "z":
                sleeping, index, chosen_id = not sleeping, 0, None
            elif chosen is None:
                continue
            elif key in ("enter", "g"):
                go_to(chosen, settings, client, after_pid=os.getpid())
                return 0  # what went wrong, if anything, was said in a tmux message
            elif key == "s" and not sleeping:
                snooze(socket, chosen, SNOOZE_KEY_SECONDS)
                note = f"snoozed for 1h: {clean(chosen.subject)}"
            elif key == "w" and sleeping:
                snooze(socket, chosen, 0)
                note = f"woke: {clean(chosen.subject)}"
            elif key == "a" and not sleeping:
                acknowledge(socket, [chosen])
                note = f"acknowledged: {clean(chosen.subject)}"
            elif key == "n":
                live.stop()
                with keys.cooked():
                    note = _nudge(console, snapshot, chosen)
                live.start()


def _nudge(console: Console, snapshot: Snapshot, chosen: QueueItem) -> str:
    """Ask for the text, show the command, run it on a `y`; what happened, in one line."""
    found = item_agent(snapshot, chosen)
    if found is None:
        return "this item has no agent to nudge"
    binary = resolve_gt() if found.orchestrator == "gastown" else find_program(gc_command_name())
    if binary is None:
        return f"{'gt' if found.orchestrator == 'gastown' else 'gc'} not found: cannot nudge"
    console.clear()
    console.print(Text.assemble(("nudge ", "bold"), (clean(found.agent.address), "bold cyan")))
    text = console.input(f"message (Enter: {NUDGE_TEXT!r}): ").strip() or NUDGE_TEXT
    argv = nudge_argv(found, text)
    name = "gt" if found.orchestrator == "gastown" else "gc"
    console.print(Text(clean(f"{name} " + shlex.join(argv)), style="bold"))
    answer = console.input("run it? type y and Enter (anything else cancels): ").strip().lower()
    if answer not in ("y", "yes"):
        return "not nudged"
    console.print(
        Text(
            f"nudging (gt waits for the agent to be idle, {NUDGE_WAIT:.0f} s at most)…", style="dim"
        )
    )
    try:
        done = subprocess.run(
            [binary, *argv],
            cwd=found.root or None,
            check=False,
            capture_output=True,
            text=True,
            timeout=NUDGE_WAIT,
        )
    except subprocess.TimeoutExpired:
        return f"{name} did not finish in {NUDGE_WAIT:.0f} s: the nudge may still arrive"
    if done.returncode == 0:
        return f"nudged {clean(found.agent.address)}"
    return f"{name} exited {done.returncode}: {clean(error_line(done.stderr or done.stdout))}"


def error_line(output: str) -> str:
    """The line that says what went wrong: gt and gc print `Error: ...` and then their usage."""
    lines = [line.strip() for line in output.strip().splitlines() if line.strip()]
    said = [line for line in lines if line.startswith(("Error", "error"))]
    return (said or lines or [""])[0 if said else -1]
