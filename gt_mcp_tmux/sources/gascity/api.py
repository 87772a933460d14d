"""The Gas City supervisor's HTTP API (`gc supervisor run`, loopback, JSON, no auth): one GET
instead of a `gc` process. Every call is bounded and returns data or a `SourceError`."""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

from gt_mcp_tmux.model import FailureKind, SourceError
from gt_mcp_tmux.sources.http_lite import HttpError, request

SOURCE = "city_api"
#: An answer bigger than this is not a city's (hundreds of sessions are ~200 kB).
MAX_BYTES = 8 * 1024 * 1024


class SupervisorApi:
    """GETs against one city's routes (`/v0/city/<name>/...`) of one supervisor."""

    def __init__(self, base_url: str, city: str, timeout: float = 2.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.city = city
        self.timeout = timeout
        self.requests = 0  # for tests and benchmarks

    def city_path(self, route: str) -> str:
        return f"/v0/city/{urllib.parse.quote(self.city, safe='')}/{route.lstrip('/')}"

    def get(self, path: str, source: str = SOURCE) -> Any:
        """The JSON at `path` (e.g. `/health`), or a SourceError saying why not in one line."""
        self.requests += 1
        url = self.base_url + path
        try:
            answer = request("GET", url, timeout=self.timeout, max_bytes=MAX_BYTES)
        except HttpError as err:
            kind: FailureKind = (
                "down" if err.refused else "timeout" if "timed out" in str(err) else "error"
            )
            return SourceError(source, kind, f"supervisor at {self.base_url}: {err}")
        if answer.status == 404:
            return SourceError(source, "not_found", f"{path}: not served by this supervisor")
        if answer.status != 200:
            return SourceError(source, "error", f"{path}: HTTP {answer.status}")
        try:
            return json.loads(answer.body)
        except (ValueError, RecursionError):
            return SourceError(source, "bad_output", f"{path}: not JSON")

    def get_city(self, route: str, source: str = SOURCE) -> Any:
        return self.get(self.city_path(route), source)
