"""`gt-mcp sling` with no arguments: pick a ready bead and a target, confirm, run `gt sling`.

With arguments `gt-mcp sling ...` is plain passthrough to gt. Everything picked here reaches gt
as its own argv element: a bead title or typed text never becomes shell or tmux code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gt_mcp_tmux.model import GasTown, SourceError
from gt_mcp_tmux.sources.gastown.gt_cli import run_gt_json


@dataclass(frozen=True, slots=True)
class ReadyBead:
    id: str
    title: str
    priority: int | None = None
    source: str = ""
    issue_type: str = ""


def parse_ready(data: Any) -> list[ReadyBead]:
    """`gt ready --json`: {"sources": [{"name", "issues": [{id, title, priority, ...}]}], ...}."""
    beads: list[ReadyBead] = []
    sources = data.get("sources") if isinstance(data, dict) else None
    for source in sources if isinstance(sources, list) else []:
        if not isinstance(source, dict):
            continue
        for issue in source.get("issues") or []:
            if isinstance(issue, dict) and isinstance(issue.get("id"), str):
                priority = issue.get("priority")
                beads.append(
                    ReadyBead(
                        id=issue["id"],
                        title=str(issue.get("title") or ""),
                        priority=priority if isinstance(priority, int) else None,
                        source=str(source.get("name") or ""),
                        issue_type=str(issue.get("issue_type") or ""),
                    )
                )
    return sorted(
        beads, key=lambda b: (b.priority if b.priority is not None else 9, b.source, b.id)
    )


def read_ready(root: str | None, timeout: float) -> list[ReadyBead] | SourceError:
    answer = run_gt_json(["ready", "--json"], "ready", timeout, cwd=root)
    if answer.error is not None:
        return answer.error
    return parse_ready(answer.data)


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
