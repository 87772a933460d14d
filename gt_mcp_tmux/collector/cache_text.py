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
import math
from json.encoder import encode_basestring
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
    """One value as `json.dumps(to_json(value), indent=2, ensure_ascii=False)` writes it
    `depth` levels in. Written here straight from the records: Python's indenting encoder is
    its pure one, and through `to_json` an agent's record cost ~0.1 ms (100-300 of them change
    every second in a busy 1,000-agent fleet, their activity moving)."""
    out: list[str] = []
    _dump(value, depth, out)
    return "".join(out)


_FIELDS: dict[type, tuple[str, ...]] = {}


def _field_names(record: Any) -> tuple[str, ...]:
    kind = type(record)
    names = _FIELDS.get(kind)
    if names is None:
        names = _FIELDS[kind] = tuple(f.name for f in dataclasses.fields(record))
    return names


def _dump(value: Any, depth: int, out: list[str]) -> None:
    """`value` as `json.dumps(to_json(value), indent=2, ensure_ascii=False)`, in the encoder's
    own order of checks."""
    if isinstance(value, str):
        out.append(encode_basestring(value))
    elif value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, int):
        out.append(int.__repr__(value))
    elif isinstance(value, float):
        out.append(_float(value))
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        _pairs([(name, getattr(value, name)) for name in _field_names(value)], depth, out)
    elif isinstance(value, list | tuple):
        if not value:
            out.append("[]")
            return
        inner = _pad(depth + 1)
        out.append("[" + inner)
        for index, item in enumerate(value):
            if index:
                out.append("," + inner)
            _dump(item, depth + 1, out)
        out.append(_pad(depth) + "]")
    elif isinstance(value, dict):
        _pairs(list({str(key): item for key, item in value.items()}.items()), depth, out)
    else:  # what json cannot write: its own error
        out.append(json.dumps(to_json(value), indent=2, ensure_ascii=False))


def _pairs(pairs: list[tuple[str, Any]], depth: int, out: list[str]) -> None:
    if not pairs:
        out.append("{}")
        return
    inner = _pad(depth + 1)
    out.append("{" + inner)
    for index, (key, item) in enumerate(pairs):
        if index:
            out.append("," + inner)
        out.append(encode_basestring(key) + ": ")
        _dump(item, depth + 1, out)
    out.append(_pad(depth) + "}")


def _float(value: float) -> str:
    if value != value:
        return "NaN"
    if value == math.inf:
        return "Infinity"
    if value == -math.inf:
        return "-Infinity"
    return float.__repr__(value)


class CacheText:
    """The snapshot's text, its unchanged list items' texts kept from the last call.

    The text is made as a list of pieces (the kept texts themselves, never joined), written to
    the file piece by piece: at 1,000 agents it is ~4 MB, and each joined copy of it stayed in
    the collector's memory as heap that is not given back."""

    def __init__(self) -> None:
        self._kept: dict[tuple[str, ...], list[tuple[Any, str]]] = {}
        #: Each record below the snapshot with its pieces: the same object again (Agent Mail
        #: between its reads) costs no look at its items at all.
        self._whole: dict[tuple[str, ...], tuple[Any, list[str] | None]] = {}
        self.made = 0  # item texts made (not kept) by the last call, for tests and benchmarks

    def text(self, snapshot: Any) -> str:
        return "".join(self.pieces(snapshot))

    def pieces(self, snapshot: Any) -> list[str]:
        """The text in pieces, in order (`"".join` of them is `text`)."""
        self.made = 0  # the paths are the records' field names: a fixed, small set
        out: list[str] = []
        self._value(snapshot, (), 0, out)
        out.append("\n")
        return out

    def _value(self, value: Any, path: tuple[str, ...], depth: int, out: list[str]) -> None:
        if depth == 0 or not dataclasses.is_dataclass(value):
            self._made(value, path, depth, out)
            return
        whole = self._whole.get(path)
        again = whole is not None and whole[0] is value
        if again and whole is not None and whole[1] is not None:
            out.extend(whole[1])  # the same record (Agent Mail between its reads)
            return
        start = len(out)
        self._made(value, path, depth, out)
        # a record seen once (the town: new each cycle) keeps no pieces; seen twice, it does
        self._whole[path] = (value, out[start:] if again else None)

    def _made(self, value: Any, path: tuple[str, ...], depth: int, out: list[str]) -> None:
        if (
            depth < CONTAINER_DEPTH
            and dataclasses.is_dataclass(value)
            and not isinstance(value, type)
        ):
            names = _field_names(value)
            if not names:
                out.append("{}")
                return
            inner = _pad(depth + 1)
            lead = "{" + inner
            for name in names:
                out.append(lead + encode_basestring(name) + ": ")
                self._value(getattr(value, name), (*path, name), depth + 1, out)
                lead = "," + inner
            out.append(_pad(depth) + "}")
            return
        if isinstance(value, list) and value and depth <= CONTAINER_DEPTH:
            inner = _pad(depth + 1)
            lead, between = "[" + inner, "," + inner
            for text in self._items(value, path, depth + 1):
                out += (lead, text)
                lead = between
            out.append(_pad(depth) + "]")
            return
        out.append(leaf_text(value, depth))

    def _items(self, values: list[Any], path: tuple[str, ...], depth: int) -> list[str]:
        kept = self._kept.get(path, [])
        if _same([old for old, _ in kept], values):
            return [text for _, text in kept]
        # the same objects first, wherever they moved (kept ones are alive: ids are unique)
        by_id = {id(old): text for old, text in kept}
        reused = {id(value) for value in values if id(value) in by_id}
        made: list[tuple[Any, str]] = []
        shift = 0
        for i, value in enumerate(values):
            text = by_id.get(id(value))
            if text is None:
                text = _find(kept, i + shift, value, reused)
            if text is None and not _changed_in_place(kept, i + shift, value):
                # an equal item rebuilt, moved a little (not one of the reused)
                for delta in range(1, SHIFT_WINDOW + 1):
                    for moved in (shift + delta, shift - delta):
                        text = _find(kept, i + moved, value, reused)
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


def _same(old: list[Any], new: list[Any]) -> bool:
    """The same objects, in the same order."""
    return len(old) == len(new) and all(a is b for a, b in zip(old, new, strict=True))


def _changed_in_place(kept: list[tuple[Any, str]], index: int, value: Any) -> bool:
    """The item at `index` is this one changed (the same first field: an agent's address, an
    alert's id), not a neighbour moved: looking further would compare a whole window in vain
    (100-300 agents change each second in a busy fleet)."""
    if not 0 <= index < len(kept) or not dataclasses.is_dataclass(value):
        return False
    old = kept[index][0]
    if type(old) is not type(value):
        return False
    names = _field_names(value)
    return bool(names) and getattr(old, names[0]) == getattr(value, names[0])


def _find(kept: list[tuple[Any, str]], index: int, value: Any, reused: set[int]) -> str | None:
    if 0 <= index < len(kept):
        old, text = kept[index]
        if id(old) not in reused and type(old) is type(value) and old == value:
            return text
    return None
