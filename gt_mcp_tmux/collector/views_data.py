"""Where the views get their data: the collector's snapshot cache (or a saved snapshot file).

Views never query sources themselves; this is the one place that decides where a snapshot comes
from, so popups, the dashboard and the commands all paint the same thing.
"""

from __future__ import annotations

import os
from pathlib import Path

from gt_mcp_tmux.collector.cache import read_snapshot, snapshot_path
from gt_mcp_tmux.config import Settings
from gt_mcp_tmux.model import Snapshot

#: Show this snapshot file instead of the collector's cache (demos, bug reports, tests).
SNAPSHOT_ENV = "GT_MCP_SNAPSHOT"


def snapshot_file() -> Path:
    """The file the views read: $GT_MCP_SNAPSHOT, else this tmux server's cache."""
    chosen = os.environ.get(SNAPSHOT_ENV)
    return Path(chosen) if chosen else snapshot_path()


def cached_snapshot() -> Snapshot | None:
    """The snapshot as the collector last wrote it, whatever its age; None when there is none."""
    return read_snapshot(snapshot_file())


def cached_or_collected(settings: Settings) -> Snapshot | None:
    """For commands and first paints: the cache when fresh, else one bounded collection here."""
    if os.environ.get(SNAPSHOT_ENV):
        return cached_snapshot()
    from gt_mcp_tmux.collector.once import current_snapshot

    return current_snapshot(settings)
