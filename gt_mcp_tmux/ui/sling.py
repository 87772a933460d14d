"""`gt-mcp sling` with no arguments: pick a ready bead and a target, confirm, run `gt sling`.

With arguments `gt-mcp sling ...` is plain passthrough to gt. Everything picked here reaches gt
as its own argv element: a bead title or typed text never becomes shell or tmux code.
"""

from __future__ import annotations

from gt_mcp_tmux.model import GasCity, GasTown


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


def city_sling_targets(city: GasCity) -> list[tuple[str, str]]:
    """(target, what it is) for `gc sling`: each named agent, and each pool (`<rig>/polecat`)
    that a bead can be routed to."""
    targets: list[tuple[str, str]] = []
    seen: set[str] = set()
    for agent in city.agents:
        template = agent.agent_info or agent.address
        is_pool = agent.address != template  # a pool instance (`demorig/polecat-1`)
        target = template if is_pool else agent.address
        if target in seen:
            continue
        seen.add(target)
        what = "pool: a new or idle instance" if is_pool else f"{agent.role} ({agent.status})"
        targets.append((target, what))
    return targets


def city_sling_argv(target: str, bead: str) -> list[str]:
    """gc's argv: `sling <target> <bead>`, the reverse of gt's order."""
    return ["sling", target, bead]
