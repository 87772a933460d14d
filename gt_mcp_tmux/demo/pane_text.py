"""What the demo's agent panes print: lines shaped like a coding agent's terminal.

Working agents show tool calls and `✻ … (esc to interrupt)`, idle ones the `❯ ` prompt, stuck ones
a failing loop. These are the markers Gas Town's own idle heuristic reads in the last pane lines.
Pure functions of a random generator, so a seeded fleet prints the same story every time.
"""

from __future__ import annotations

import random

DIM = "\x1b[2m"
BOLD = "\x1b[1m"
GREEN = "\x1b[32m"
RED = "\x1b[31m"
YELLOW = "\x1b[33m"
ORANGE = "\x1b[38;5;209m"
RESET = "\x1b[0m"
#: The prompt an idle agent waits at (Gas Town's idle marker is a line starting with it).
PROMPT = "❯ "

_FILES = {
    "gastown": [
        "internal/cmd/status.go",
        "internal/tmux/socket.go",
        "internal/daemon/heartbeat.go",
        "internal/convoy/land.go",
        "internal/refinery/queue.go",
        "docs/convoys.md",
    ],
    "beads": [
        "cmd/bd/ready.go",
        "internal/storage/dolt/issues.go",
        "internal/compact/compact.go",
        "internal/labels/migrate.go",
        "cmd/bd/show.go",
    ],
}
_TESTS = {"gastown": "go test ./internal/...", "beads": "go test ./cmd/bd/... ./internal/..."}
_VERBS = ["Thinking", "Pondering", "Reticulating", "Tinkering", "Brewing", "Untangling"]


def _tool(name: str, argument: str, result: str) -> list[str]:
    return [
        f"{GREEN}●{RESET} {BOLD}{name}{RESET}({argument})",
        f"  {DIM}⎿  {result}{RESET}",
    ]


def banner(role: str, name: str, where: str) -> list[str]:
    """The first lines of a fresh session."""
    return [
        f"{ORANGE}✻{RESET} {BOLD}agent session{RESET} {DIM}(gastown-mcp demo){RESET}",
        f"  {DIM}role {role} · {name} · cwd {where}{RESET}",
        "",
    ]


def hooked(bead: str, title: str) -> list[str]:
    return [f"{PROMPT}gt prime", f"  {DIM}⎿  hooked {bead}: {title}{RESET}"]


def working(rng: random.Random, rig: str | None) -> list[str]:
    """One beat of work: a tool call or two, then the busy marker."""
    files = _FILES.get(rig or "", _FILES["gastown"])
    path = rng.choice(files)
    choice = rng.randrange(4)
    if choice == 0:
        lines = _tool("Read", path, f"Read {rng.randint(40, 400)} lines")
    elif choice == 1:
        added, removed = rng.randint(1, 24), rng.randint(0, 9)
        lines = _tool(
            "Update", path, f"Updated {path} with {added} additions and {removed} removals"
        )
    elif choice == 2:
        passed = rng.randint(12, 240)
        lines = _tool("Bash", _TESTS.get(rig or "", "go test ./..."), f"ok · {passed} passed")
    else:
        lines = _tool("Grep", f'"{rng.choice(["socket", "heartbeat", "convoy", "hook"])}"', "")
        lines[-1] = f"  {DIM}⎿  Found {rng.randint(2, 30)} matches{RESET}"
    seconds = rng.randint(3, 240)
    verb = rng.choice(_VERBS)
    lines.append(f"{ORANGE}✻ {verb}…{RESET} {DIM}({seconds}s · esc to interrupt){RESET}")
    return lines


def stuck(rng: random.Random, rig: str | None) -> list[str]:
    """One beat of being stuck: the same test failing again."""
    test = _TESTS.get(rig or "", "go test ./...")
    return [
        *_tool("Bash", test, f"{RED}FAIL{RESET}{DIM} · 1 failed, {rng.randint(20, 90)} passed"),
        f"{YELLOW}⚠{RESET} The same test fails after {rng.randint(3, 6)} attempts; waiting for help.",
    ]


def done(bead: str, branch: str) -> list[str]:
    return [
        *_tool("Bash", f"gt done {bead}", f"pushed {branch}; merge request queued"),
        f"{GREEN}✓{RESET} Work on {bead} is done.",
    ]


def idle() -> list[str]:
    return [PROMPT]


def note(text: str) -> list[str]:
    return [f"{DIM}{text}{RESET}"]
