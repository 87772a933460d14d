"""The cache's text is exactly `status --json`'s, made again only for the records that changed."""

from __future__ import annotations

import dataclasses
import json

from bench.fleet import fleet
from gt_mcp_tmux.collector.cache_text import CacheText
from gt_mcp_tmux.model import Event, Snapshot, to_json
from tests.bigmail import big_mail
from tests.viewkit import hostile_town, town_and_city


def printed(snapshot: Snapshot) -> str:
    """What `gt-mcp status --json` prints the long way (output.print_json)."""
    return json.dumps(to_json(snapshot), indent=2, ensure_ascii=False) + "\n"


def with_mail(snapshot: Snapshot) -> Snapshot:
    return dataclasses.replace(snapshot, agent_mail=big_mail())


def test_the_text_is_what_status_json_prints() -> None:
    for snapshot in (
        fleet(200),
        with_mail(fleet(10)),
        hostile_town(),
        town_and_city(),
        Snapshot(0, "v"),
    ):
        assert CacheText().text(snapshot) == printed(snapshot)


def test_only_what_changed_is_made_again() -> None:
    text = CacheText()
    first = with_mail(fleet(1000))
    assert text.text(first) == printed(first) and text.made > 1000
    again = with_mail(fleet(1000))  # equal records, new objects: as the readers rebuild them
    assert text.text(again) == printed(again) and text.made == 0
    town = again.gastown
    agents = list(town.agents)
    agents[500] = dataclasses.replace(agents[500], state="stuck", work_title='a "new" title')
    new_event = Event("2026-12-02T03:00:00Z", "sling", "mayor", "slung ⛽ work")
    events = [*town.events[1:], new_event]  # one in, the oldest out: every item moved
    changed = dataclasses.replace(
        again,
        collected_at=again.collected_at + 1,
        gastown=dataclasses.replace(town, agents=agents, events=events),
    )
    assert text.text(changed) == printed(changed)
    assert text.made == 2  # the agent that changed, the new event
