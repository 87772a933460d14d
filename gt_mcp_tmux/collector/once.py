"""A Snapshot on demand: the collector's cache when fresh, else one bounded collection right here."""

from __future__ import annotations

import threading
import time
from dataclasses import replace

from gt_mcp_tmux import __version__
from gt_mcp_tmux.bridge import link
from gt_mcp_tmux.collector.alerts import state_conditions, urgency
from gt_mcp_tmux.collector.queue import load_state, queue_items
from gt_mcp_tmux.config import Settings
from gt_mcp_tmux.model import AgentMail, GasCity, GasTown, Queue, Snapshot
from gt_mcp_tmux.private_files import current_server_socket
from gt_mcp_tmux.proc import stop_all_children
from gt_mcp_tmux.sources.agent_mail.reader import read_agent_mail
from gt_mcp_tmux.sources.gascity.city import find_city
from gt_mcp_tmux.sources.gascity.reader import GasCityReader
from gt_mcp_tmux.sources.gastown.reader import GasTownReader
from gt_mcp_tmux.sources.gastown.town import find_town
from gt_mcp_tmux.sources.orchestrator import OrchestratorReader

#: A one-off collection never takes longer than this, whatever gt does.
ONCE_BUDGET = 8.0


def collect_once(settings: Settings, budget: float = ONCE_BUDGET) -> Snapshot:
    """Run every source once, the slow ones in parallel, and give up on any still running at `budget`."""
    # gt is killed before the budget ends, so no gt outlives this command
    settings = replace(settings, gt_timeout=min(settings.gt_timeout, max(budget - 0.5, 1.0)))
    town = find_town(configured=settings.town_root or None)
    reader: OrchestratorReader[GasTown] = GasTownReader(settings, town)
    city = find_city(configured=settings.city_root or None) if settings.gascity else None
    city_reader: OrchestratorReader[GasCity] = GasCityReader(settings, city)
    mail_box: list[AgentMail] = []

    def mail_job() -> None:
        mail_box.append(
            read_agent_mail(settings, timeout=max(budget - 1.0, 1.0))
            if settings.agent_mail
            else AgentMail(settings.agent_mail_url, "off")
        )

    # a full status: a fast one has no mail counts, and "0 unread" would be a guess
    def city_job() -> None:
        city_reader.refresh_status(fast=False)
        city_reader.refresh_convoys()

    jobs = [lambda: reader.refresh_status(fast=False), reader.refresh_convoys, mail_job, city_job]
    threads = [threading.Thread(target=job, daemon=True) for job in jobs]
    for thread in threads:
        thread.start()
    now = time.time()
    reader.refresh_cheap(now)
    city_reader.refresh_cheap(now)
    deadline = time.monotonic() + budget
    for thread in threads:
        thread.join(max(deadline - time.monotonic(), 0))
    if any(thread.is_alive() for thread in threads):
        stop_all_children()  # out of time: no gt outlives this command; their sources say so
        for thread in threads:
            thread.join(2.0)
    now = time.time()
    gastown = reader.view(now)
    gascity = city_reader.view(now)
    mail = (
        mail_box[0]
        if mail_box
        else AgentMail(settings.agent_mail_url, "error", error="no answer in time")
    )
    snapshot = Snapshot(
        collected_at=now,
        version=__version__,
        gastown=gastown,
        agent_mail=mail,
        bridge=link(gastown, mail, gascity) if mail.state != "off" else None,
        sources=[*reader.health(), *city_reader.health()],
        gascity=gascity,
    )
    return replace(snapshot, queue=once_queue(snapshot))


def once_queue(snapshot: Snapshot) -> Queue:
    """The queue one collection sees: what holds right now (no event history, no debouncing),
    with the snoozes and acknowledgements the collector of this tmux server keeps (read only)."""
    socket = current_server_socket()
    state = load_state(socket)
    alerts = sorted(state_conditions(snapshot).values(), key=urgency)
    return state.apply(queue_items(snapshot, alerts, dict(state.first_seen)), snapshot.collected_at)
