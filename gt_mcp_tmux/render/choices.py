"""Picker rows for agents, beads and sling targets: icons, names and titles, all literal."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from rich.text import Text

from gt_mcp_tmux.model import Agent, ReadyBead
from gt_mcp_tmux.render.icons import role_icon, status_glyph
from gt_mcp_tmux.render.literal import clean

T = TypeVar("T")


@dataclass(frozen=True)
class Choice(Generic[T]):
    """One line of a picker: what it shows, what typing matches, what picking it gives."""

    label: Text
    search: str
    value: T


def agent_choices(agents: list[Agent], in_city: Sequence[bool] = ()) -> list[Choice[Agent]]:
    """`in_city[i]`: agent i is a Gas City's (marked `▦`, and found by typing `city`), so a
    town's `mayor` and a city's are told apart."""
    rows = []
    for index, agent in enumerate(agents):
        city = index < len(in_city) and in_city[index]
        glyph, style = status_glyph(agent.status)
        label = Text(no_wrap=True, overflow="ellipsis")
        label.append(f"{glyph} {agent.status:<8}", style=style)
        label.append(f"{role_icon(agent.role)} ")
        address = ("▦ " if city else "") + clean(agent.address.rstrip("/"))  # `mayor`
        label.append(f"{address:<28}", style="bold")
        label.append(f" {clean(agent.rig or '-'):<12} ", style="dim")
        label.append(clean(agent.work_title or agent.hook_bead or ""))
        if not agent.running:
            label.stylize("dim")
        search = " ".join(
            filter(
                None,
                [
                    agent.address,
                    agent.role,
                    agent.rig,
                    agent.status,
                    agent.work_title,
                    agent.hook_bead,
                    agent.session,
                    "city" if city else None,
                ],
            )
        )
        rows.append(Choice(label, search, agent))
    return rows


def plain_choices(rows: list[tuple[str, str]]) -> list[Choice[str]]:
    """(value, description) rows: the value in bold, its description dim."""
    choices = []
    for value, description in rows:
        label = Text(no_wrap=True, overflow="ellipsis")
        label.append(f"{clean(value):<30}", style="bold")
        label.append(f" {clean(description)}", style="dim")
        choices.append(Choice(label, f"{value} {description}", value))
    return choices


def bead_choices(beads: list[ReadyBead]) -> list[Choice[ReadyBead]]:
    rows = []
    for bead in beads:
        label = Text(no_wrap=True, overflow="ellipsis")
        priority = f"P{bead.priority}" if bead.priority is not None else "P?"
        label.append(f"{priority} ", style="bold red" if bead.priority in (0, 1) else "yellow")
        label.append(f"{clean(bead.id):<14}", style="bold")
        label.append(f" {clean(bead.title)}")
        label.append(f"  {clean(bead.source)}", style="dim")
        rows.append(Choice(label, f"{bead.id} {bead.title} {bead.source} {bead.issue_type}", bead))
    return rows
