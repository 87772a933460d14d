"""Reading TOML on every supported Python: tomllib (3.11+), else its twin tomli.

Imported only where a TOML file is read: the collector keeps its memory small.
"""

from __future__ import annotations

import sys
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

TOMLDecodeError = tomllib.TOMLDecodeError


def loads(text: str) -> dict[str, Any]:
    """The document as a dict; raises TOMLDecodeError on a syntax error."""
    data: dict[str, Any] = tomllib.loads(text)
    return data
