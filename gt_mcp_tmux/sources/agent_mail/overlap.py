"""When two reservations conflict: each server's own rule, so the view agrees with the server.

A server decides when a reservation is asked for, against each one already held: the rule takes
the held (earlier) pattern first and the asked-for (later) one second. The readers order a
project's reservations by id, which is that order.

- The PyPI fork (`pypi`): equal, or `fnmatch` either way, as typed (no `./` dropped): its
  `_file_reservations_conflict`.
- Upstream Python (`upstream`) and, until its own rule is known here, the Rust port: the held
  pattern as a `pathspec` gitwildmatch spec matches the asked-for path (`\\` -> `/`, leading `/`
  dropped): upstream 0.2.1's `_file_reservations_conflict`. So `lib/**/*.py` overlaps
  `lib/util.py`, `/setup.py` overlaps `setup.py`, `src/` overlaps `src/app.py`, `docs/*.md` does
  *not* overlap `docs/guide/intro.md`, and `src/app.py` held does not stop `src/*.py` asked for.

`overlapping_pairs` finds every conflicting pair of a project's patterns without calling the rule
on every pair where it can: under fnmatch a literal path matches only itself.
"""

from __future__ import annotations

import fnmatch
import warnings
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

from gt_mcp_tmux.sources.agent_mail.reading import VARIANT_PYPI

Rule = Callable[[str, str], bool]
_GLOB_CHARS = frozenset("*?[")


def fnmatch_overlap(held: str, asked: str) -> bool:
    """The fork's rule: equal, or either matches the other as an fnmatch pattern."""
    if held == asked:
        return True
    if _GLOB_CHARS.isdisjoint(held) and _GLOB_CHARS.isdisjoint(asked):
        return False
    return fnmatch.fnmatchcase(held, asked) or fnmatch.fnmatchcase(asked, held)


def _upstream_normal(path: str) -> str:
    return path.replace("\\", "/").lstrip("/")


@lru_cache(maxsize=4096)
def _spec(pattern: str) -> Any:
    """One gitwildmatch pattern as a `PathSpec` (pathspec >= 1 warns that the name is old)."""
    import pathspec  # loaded only for servers that use it

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return pathspec.PathSpec.from_lines("gitwildmatch", [pattern])


def gitwildmatch_overlap(held: str, asked: str) -> bool:
    """Upstream's rule: the held pattern, as a gitwildmatch spec, matches the asked-for path."""
    return bool(_spec(held).match_file(_upstream_normal(asked)))


def rule_for(variant: str | None) -> Rule:
    """The fork's rule for the fork and for a server not yet told apart, gitwildmatch otherwise."""
    return fnmatch_overlap if variant in (VARIANT_PYPI, None) else gitwildmatch_overlap


def overlapping_pairs(
    patterns: Sequence[str], rule: Rule = fnmatch_overlap
) -> list[tuple[int, int]]:
    """Index pairs (i < j) of patterns where `rule(patterns[i], patterns[j])`: i held first."""
    if rule is not fnmatch_overlap:
        return [
            (i, j)
            for i in range(len(patterns))
            for j in range(i + 1, len(patterns))
            if rule(patterns[i], patterns[j])
        ]
    normal = list(patterns)
    pairs: set[tuple[int, int]] = set()
    literal_groups: dict[str, list[int]] = {}
    globs = []
    for index, pattern in enumerate(normal):
        if _GLOB_CHARS.isdisjoint(pattern):
            literal_groups.setdefault(pattern, []).append(index)
        else:
            globs.append(index)
    for group in literal_groups.values():
        pairs.update((a, b) for n, a in enumerate(group) for b in group[n + 1 :])
    is_glob = set(globs)
    for g in globs:
        glob = normal[g]
        for other, pattern in enumerate(normal):
            if other == g:
                continue
            # A literal matched as a pattern matches only itself: one fnmatch is enough for it.
            if (
                glob == pattern
                or fnmatch.fnmatchcase(pattern, glob)
                or (other in is_glob and fnmatch.fnmatchcase(glob, pattern))
            ):
                pairs.add((min(g, other), max(g, other)))
    return sorted(pairs)
