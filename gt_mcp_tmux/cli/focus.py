"""`--project` / `--agent` of the mail and bridge views: Agent Mail narrowed to one project (and
one agent's messages), where `gt-mcp queue next` opens them at an item."""

from __future__ import annotations

import argparse
from dataclasses import replace

from gt_mcp_tmux.model import AgentMail, Snapshot


def add_focus_arguments(parser: argparse.ArgumentParser, agent: bool) -> None:
    parser.add_argument("--project", help="only this Agent Mail project (its slug)")
    if agent:
        parser.add_argument("--agent", help="with --project: only this agent's messages")
        parser.add_argument("--message", type=int, help="with --project: this message first")


def focus_mail(
    mail: AgentMail | None,
    project: str | None,
    agent: str | None = None,
    message: int | None = None,
) -> AgentMail | None:
    """`mail` with only `project`'s projects, conflicts and messages (to or from `agent`), the
    message `message` first."""
    if mail is None or not project:
        return mail
    messages = [
        m
        for m in mail.messages
        if m.project == project and (not agent or agent in m.recipients or m.sender == agent)
    ]
    messages.sort(key=lambda m: m.id != message)  # stable: the rest stay newest first
    return replace(
        mail,
        projects=[p for p in mail.projects if project in (p.slug, p.human_key)],
        conflicts=[c for c in mail.conflicts if c.project == project],
        messages=messages,
    )


def focus_snapshot(snapshot: Snapshot | None, project: str | None) -> Snapshot | None:
    if snapshot is None or not project:
        return snapshot
    return replace(snapshot, agent_mail=focus_mail(snapshot.agent_mail, project))
