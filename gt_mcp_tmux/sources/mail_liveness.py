"""Is MCP Agent Mail up? `GET {url}/health/liveness` (never `/health`), needs no auth."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Liveness:
    up: bool
    latency_ms: float
    error: str | None = None


def check_liveness(url: str, timeout: float = 0.5) -> Liveness:
    """One bounded probe. A refused connection is `down`; anything else unexpected is an error."""
    target = url.rstrip("/") + "/health/liveness"
    started = time.monotonic()
    try:
        request = urllib.request.Request(target, headers={"Accept": "application/json"})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read(4096)
        latency = (time.monotonic() - started) * 1000
        status = json.loads(body or b"{}").get("status")
        if status != "alive":
            return Liveness(False, latency, f"unexpected answer from {target}")
        return Liveness(True, latency)
    except urllib.error.HTTPError as err:
        return Liveness(
            False, (time.monotonic() - started) * 1000, f"HTTP {err.code} from {target}"
        )
    except (urllib.error.URLError, OSError, ValueError) as err:
        reason = getattr(err, "reason", err)
        text = "connection refused" if isinstance(reason, ConnectionRefusedError) else str(reason)
        return Liveness(False, (time.monotonic() - started) * 1000, f"{text} ({target})")
