"""The face every orchestrator source shows the collector: Gas Town's and Gas City's.

An orchestrator reader finds its town (or city) once, then answers four kinds of refresh at its
own pace: the cheap look (files and its tmux server, every second or two, no CLI call), the
status (its CLI or API, gently, from a worker thread), the convoys (likewise) and the events
that appeared since the last take. Everything it gives back is a record of `model.py`: the
collector, the bridge, the alerts and every view speak records, never `gt` or `gc`.
"""

from __future__ import annotations

from typing import Protocol, TypeVar

from gt_mcp_tmux.model import Event, SourceHealth

View = TypeVar("View", covariant=True)


class OrchestratorReader(Protocol[View]):
    """What the collector and a one-off collection need of an orchestrator's sources; `View`
    is its merged record (`GasTown` for a town, `GasCity` for a city)."""

    def refresh_cheap(self, now: float) -> None:
        """Files and the orchestrator's tmux server: cheap enough for every cycle."""

    def refresh_status(self, fast: bool) -> None:
        """The orchestrator's status (bounded; slow, so off the main loop)."""

    def refresh_convoys(self) -> None:
        """Batches of work and how far along they are (bounded)."""

    def take_new_events(self) -> list[Event]:
        """Events that appeared since the last call (never the backlog found at start)."""

    def view(self, now: float) -> View:
        """The merged view of the latest results; no I/O."""

    def health(self) -> list[SourceHealth]:
        """One entry per source: interval, last success, last error."""

    @property
    def wants_full_status(self) -> bool:
        """The last full status was partial: ask for a full one at the next turn."""

    def close(self) -> None:
        """The watcher ends: let go of anything shared (the town's poll lock)."""
