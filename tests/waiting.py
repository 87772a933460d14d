"""The one way the tests (and the benchmarks) wait for something a real process will do."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def retry_until(check: Callable[[], T], timeout: float = 15.0, every: float = 0.1) -> T:
    """Ask `check` until its answer is truthy or `timeout` seconds pass; its last answer."""
    deadline = time.monotonic() + timeout
    value = check()
    while not value and time.monotonic() < deadline:
        time.sleep(every)
        value = check()
    return value
