"""The snapshot cache: one JSON file per tmux server, private to the user, replaced atomically.

Popups, the dashboard and `gt-mcp status` read it to paint at once; only the collector writes it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

from gt_mcp_tmux.private_files import cache_file, runtime_dir, sha256_hex, write_private

if TYPE_CHECKING:
    from gt_mcp_tmux.collector.cache_text import CacheText
    from gt_mcp_tmux.model import Snapshot


def snapshot_path(socket_path: str | None = None) -> Path:
    """This server's cache (`cache_file`), in the runtime folder made and checked ours."""
    return runtime_dir() / os.path.basename(cache_file(socket_path))


def write_snapshot(
    snapshot: Snapshot, path: Path | None = None, text: CacheText | None = None
) -> Path:
    """The snapshot as `status --json` prints it (see `cache_text`); `text`: the collector's
    own, which keeps the texts of unchanged records between writes."""
    from gt_mcp_tmux.collector.cache_text import CacheText  # the model: not for `status --json`

    target = path or snapshot_path()
    write_private(target, (text or CacheText()).pieces(snapshot))
    return target


def cache_content(snapshot: Snapshot) -> tuple[object, ...]:
    """What a rewrite of the cache is for: the town's, the city's and Agent Mail's records, the
    queue and the open alerts' ids (`gt-mcp alerts --ack ID` reads them from the cache). Two of these compare
    with `==`, field by field, and stop at the first difference (the records are frozen
    dataclasses, rebuilt by the readers each cycle): no serialising, as there was, of the whole
    snapshot every second to see whether anything changed."""
    return (
        snapshot.gastown,
        snapshot.gascity,
        snapshot.agent_mail,
        tuple(alert.id for alert in snapshot.alerts),
        snapshot.queue,  # a snooze or an ack shows in `gt-mcp queue` at once
    )


def read_snapshot(path: Path | None = None) -> Snapshot | None:
    """The cached snapshot, or None when there is none or it cannot be read."""
    from gt_mcp_tmux.model import snapshot_from_json

    try:
        data = json.loads((path or snapshot_path()).read_text(encoding="utf-8"))
        return snapshot_from_json(data)
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None


def frames_dir(snapshot_file: Path) -> Path:
    """Where the popups' pre-rendered first frames of `snapshot_file` live (ui/frames.py): one
    private folder per snapshot file, in the user's runtime folder."""
    return runtime_dir() / f"frames-{sha256_hex(os.path.realpath(snapshot_file).encode())[:12]}"
