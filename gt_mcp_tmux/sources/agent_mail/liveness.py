"""Is MCP Agent Mail up? `GET {url}/health/liveness` (never `/health`), needs no auth."""

from __future__ import annotations

import json
import time
import urllib.parse
from dataclasses import dataclass

from gt_mcp_tmux.sources.http_lite import HttpError, request


@dataclass(frozen=True, slots=True)
class Liveness:
    up: bool
    latency_ms: float
    error: str | None = None
    refused: bool = False


def is_loopback(url: str) -> bool:
    host = (urllib.parse.urlsplit(url).hostname or "").lower()
    return host in ("localhost", "::1") or host.startswith("127.")


def check_liveness(url: str, timeout: float = 0.5) -> Liveness:
    """One bounded probe. A refused connection is `down`; anything else unexpected is an error."""
    target = url.rstrip("/") + "/health/liveness"
    started = time.monotonic()
    try:
        response = request("GET", target, headers={"Accept": "application/json"}, timeout=timeout)
    except HttpError as err:
        return Liveness(
            False, (time.monotonic() - started) * 1000, f"{err} ({target})", err.refused
        )
    latency = (time.monotonic() - started) * 1000
    if response.status != 200:
        return Liveness(False, latency, f"HTTP {response.status} from {target}")
    try:
        status = json.loads(response.body or b"{}").get("status")
    except (ValueError, AttributeError):
        status = None
    if status != "alive":
        return Liveness(False, latency, f"unexpected answer from {target}")
    return Liveness(True, latency)
