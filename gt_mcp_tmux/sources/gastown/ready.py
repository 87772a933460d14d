"""`gt ready --json`: the beads ready to be slung, from every source gt knows (town and rigs).

A source's `error` (beads down, say) is not "nothing ready": `read_ready` keeps the answer's
beads and the sling picker says which sources failed."""

from __future__ import annotations

from typing import Any

from gt_mcp_tmux.model import ReadyBead, SourceError
from gt_mcp_tmux.sources.gastown.gt_cli import run_gt_json


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
