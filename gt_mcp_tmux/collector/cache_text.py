"""The cache file's text: exactly what `gt-mcp status --json` prints, so that a fresh cache is
printed as its bytes, unparsed; and made again only for the records that changed.

A snapshot at 1,000 agents is 1.5 MB of indented JSON (Python's indenting encoder is the pure
one: ~70 ms). The collector rewrites the cache whenever something changed, which with one event a
second is every second; but from one second to the next, most agents, projects and reservations
are equal to what they were. `CacheText` keeps each list item's text with the item it was made
from and makes it again only when the item differs (`==`, field by field). The result is the same
text `json.dumps(to_json(snapshot), indent=2, ensure_ascii=False)` gives (a test checks it).
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from gt_mcp_tmux.model import to_json

#: Records this deep are written field by field (the snapshot, its town, mail, city, bridge);
#: the items of their lists are the units kept between writes.
CONTAINER_DEPTH = 2
#: How far a list's items may have moved since the last write (events come in, old ones go)
#: and still be found.
SHIFT_WINDOW = 8


def _pad(depth: int) -> str:
    return "\n" + "  " * depth


def leaf_text(value: Any, depth: int) -> str:
    """One value as `json.dumps(..., indent=2)` writes it `depth` levels in."""
    text = json.dumps(to_json(value), indent=2, ensure_ascii=False)
    return text.replace("\n", _pad(depth)) if depth else text


class CacheText:
    """The snapshot's text, its unchanged list items' texts kept from the last call."""

    def __init__(self) -> None:
        self._kept: dict[tuple[str, ...], list[tuple[Any, str]]] = {}
        #: Each record below the snapshot with its whole text: the same object again (Agent
        #: Mail between its reads) costs no look at its items at all.
        self._whole: dict[tuple[str, ...], tuple[Any, str | None]] = {}
        self.made = 0  # item texts made (not kept) by the last call, for tests and benchmarks

    def text(self, snapshot: Any) -> str:
        self.made = 0  # the paths are the records' field names: a fixed, small set
        text = self._value(snapshot, (), 0)
        return text + "\n"

    def _value(self, value: Any, path: tuple[str, ...], depth: int) -> str:
        if depth == 0:
            return self._made(value, path, depth)
        if not dataclasses.is_dataclass(value):
            return self._made(value, path, depth)
        whole = self._whole.get(path)
        again = whole is not None and whole[0] is value
        if again and whole is not None and whole[1] is not None:
            return whole[1]  # the same record (Agent Mail between its reads)
        text = self._made(value, path, depth)
        # a record seen once (the town: new each cycle) keeps no text; seen twice, it does
        self._whole[path] = (value, text if again else None)
        return text

    def _made(self, value: Any, path: tuple[str, ...], depth: int) -> str:
        if (
            depth < CONTAINER_DEPTH
            and dataclasses.is_dataclass(value)
            and not isinstance(value, type)
        ):
            names = [f.name for f in dataclasses.fields(value)]
            if not names:
                return "{}"
            inner = _pad(depth + 1)
            parts = [
                inner
                + json.dumps(name, ensure_ascii=False)
                + ": "
                + self._value(getattr(value, name), (*path, name), depth + 1)
                for name in names
            ]
            return "{" + ",".join(parts) + _pad(depth) + "}"
        if isinstance(value, list) and value and depth <= CONTAINER_DEPTH:
            inner = _pad(depth + 1)
            items = self._items(value, path, depth + 1)
            return "[" + ",".join(inner + item for item in items) + _pad(depth) + "]"
        return leaf_text(value, depth)

    def _items(self, values: list[Any], path: tuple[str, ...], depth: int) -> list[str]:
        kept = self._kept.get(path, [])
        if len(kept) == len(values) and all(
            old is value for (old, _), value in zip(kept, values, strict=True)
        ):
            return [text for _, text in kept]  # the same items (the agents, mostly)
        made: list[tuple[Any, str]] = []
        shift = 0
        for i, value in enumerate(values):
            text = _find(kept, i + shift, value)
            if text is None:
                for delta in range(1, SHIFT_WINDOW + 1):
                    for moved in (shift + delta, shift - delta):
                        text = _find(kept, i + moved, value)
                        if text is not None:
                            shift = moved
                            break
                    if text is not None:
                        break
            if text is None:
                text = leaf_text(value, depth)
                self.made += 1
            made.append((value, text))
        self._kept[path] = made
        return [text for _, text in made]


def _find(kept: list[tuple[Any, str]], index: int, value: Any) -> str | None:
    if 0 <= index < len(kept):
        old, text = kept[index]
        if old is value or (type(old) is type(value) and old == value):
            return text
    return None
