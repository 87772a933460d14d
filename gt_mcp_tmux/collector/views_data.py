"""Where the views get their data: the collector's snapshot cache (or a saved snapshot file).

Views never query sources themselves; this is the one place that decides where a snapshot comes
from, so popups, the dashboard and the commands all paint the same thing. A fresh cache costs no
collection stack: the sources load only when one collection is needed.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

from gt_mcp_tmux import __version__
from gt_mcp_tmux.collector.cache import read_snapshot, snapshot_path
from gt_mcp_tmux.private_files import FRESH_WITHIN, fresh_text, written_at

if TYPE_CHECKING:
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
    cached = read_snapshot()
    if cached is not None and time.time() - cached.collected_at <= FRESH_WITHIN:
        return cached
    from gt_mcp_tmux.collector.once import collect_once

    return collect_once(settings)


def fresh_cache_json() -> str | None:
    """`gt-mcp status --json`'s text straight from a fresh cache that this version wrote: the
    snapshot's JSON as the model would print it, without loading the model; else None (the
    caller goes the long way)."""
    if os.environ.get(SNAPSHOT_ENV):
        return None
    path = snapshot_path()
    text = fresh_text(__version__, str(path))  # written as printed: its bytes, unparsed
    if text is not None:
        return text
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, ValueError):
        return None
    if written_at(text, __version__) is not None:
        return None  # written as printed, and stale (or cut short)
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("version") != __version__:
        return None
    collected = data.get("collected_at")
    if not isinstance(collected, (int, float)) or time.time() - collected > FRESH_WITHIN:
        return None
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
