"""`gt-mcp sling` with no arguments: pick a ready bead and a target, confirm, run `gt sling`.

With arguments `gt-mcp sling ...` is plain passthrough to gt. Everything picked here reaches gt
as its own argv element: a bead title or typed text never becomes shell or tmux code.
"""

from __future__ import annotations

from gt_mcp_tmux.model import GasTown


def sling_targets(town: GasTown) -> list[tuple[str, str]]:
    """(target, what it is) for `gt sling`: mayor, each rig, each polecat and crew member."""
    targets = [("mayor", "the Mayor")]
    for rig in town.rigs:
        targets.append((rig.name, "rig: a new or idle polecat"))
    for agent in town.agents:
        if agent.role in ("polecat", "crew") and agent.rig:
            targets.append((agent.address, f"{agent.role} ({agent.status})"))
    targets.append(("deacon/dogs", "the Deacon's dogs"))
    return targets


def sling_argv(bead: str, target: str, args_text: str = "", formula: str = "") -> list[str]:
    """gt's argv: `sling <bead> <target> [--args TEXT]`, or with a formula
    `sling <formula> <target> --on <bead> [--args TEXT]`."""
    argv = ["sling", formula, target, "--on", bead] if formula else ["sling", bead, target]
    if args_text:
        argv += ["--args", args_text]
    return argv
