"""A Gas Town on disk, as the real one lays it out, and the JSON its `gt` answers with.

One implementation for the demo town and the tests' stand-in towns: `mayor/town.json`,
`mayor/rigs.json`, rig folders, `.runtime/heartbeats/<session>.json`, `.events.jsonl`, and the
answer files the stand-in `gt` prints (`demo/standin_gt.py`). Shapes: shared/reference/gastown.md.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any


def iso(age_seconds: float = 0.0) -> str:
    """An RFC 3339 UTC time `age_seconds` ago, as Gas Town writes them."""
    moment = datetime.now(timezone.utc) - timedelta(seconds=age_seconds)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def write_atomic(path: Path, text: str) -> None:
    """Replace `path` with `text` at once: a reader sees the old file or the new, never half."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix="." + path.name + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_town(
    root: Path,
    rigs: Mapping[str, str],
    *,
    name: str | None = None,
    owner: str = "jane@example.com",
) -> None:
    """`mayor/town.json`, `mayor/rigs.json` (rig name -> beads prefix) and each rig's folder."""
    (root / "mayor").mkdir(parents=True, exist_ok=True)
    town_name = name or root.name
    town = {
        "type": "town",
        "version": 2,
        "name": town_name,
        "owner": owner,
        "public_name": town_name,
        "created_at": iso(86400),
    }
    (root / "mayor" / "town.json").write_text(json.dumps(town))
    registry = {
        "version": 1,
        "rigs": {
            rig: {
                "git_url": f"https://example.com/{rig}.git",
                "added_at": iso(3600),
                "beads": {"repo": "", "prefix": prefix},
            }
            for rig, prefix in rigs.items()
        },
    }
    (root / "mayor" / "rigs.json").write_text(json.dumps(registry))
    for rig in rigs:
        (root / rig / "polecats").mkdir(parents=True, exist_ok=True)


def agent_record(name: str, address: str, session: str, role: str, **extra: Any) -> dict[str, Any]:
    """One agent of `gt status --json` (AgentRuntime); `extra` adds or overrides fields."""
    record: dict[str, Any] = {
        "name": name,
        "address": address,
        "session": session,
        "role": role,
        "running": True,
        "acp": False,
        "has_work": False,
        "unread_mail": 0,
    }
    record.update(extra)
    return record


def write_answer(data: Path, key: str, payload: Any, *, exit_code: int | None = None) -> Path:
    """What the stand-in prints for a command key (`status`, `status-fast`, `convoy_list`, ...).

    A str is printed as is (`<key>.txt`), anything else as JSON (`<key>.json`). Other files of the
    key (an old exit code, a hang) are removed; the answer itself is replaced atomically.
    """
    target = data / (f"{key}.txt" if isinstance(payload, str) else f"{key}.json")
    for old in data.glob(key + ".*"):
        if old != target:
            old.unlink()
    write_atomic(target, payload if isinstance(payload, str) else json.dumps(payload))
    if exit_code is not None:
        (data / f"{key}.exit").write_text(str(exit_code))
    return target


def heartbeat_path(root: Path, session: str) -> Path:
    return root / ".runtime" / "heartbeats" / f"{session}.json"


def write_heartbeat(
    root: Path, session: str, state: str = "working", age: float = 0.0, bead: str | None = None
) -> None:
    """`.runtime/heartbeats/<session>.json`: {timestamp, state[, bead]}."""
    path = heartbeat_path(root, session)
    path.parent.mkdir(parents=True, exist_ok=True)
    beat: dict[str, Any] = {"timestamp": iso(age), "state": state}
    if bead:
        beat["bead"] = bead
    write_atomic(path, json.dumps(beat))


def event_line(
    type_: str, actor: str = "mayor", payload: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    return {
        "ts": iso(),
        "source": "gt",
        "type": type_,
        "actor": actor,
        "payload": dict(payload or {}),
        "visibility": "feed",
    }


def append_event(
    root: Path, type_: str, actor: str = "mayor", payload: Mapping[str, Any] | None = None
) -> None:
    """One line appended to `<town>/.events.jsonl`, whole (one write call)."""
    line = json.dumps(event_line(type_, actor, payload), ensure_ascii=False) + "\n"
    with (root / ".events.jsonl").open("a", encoding="utf-8") as fh:
        fh.write(line)
