"""Read MCP Agent Mail over HTTP: JSON-RPC `resources/read` calls and one JSON page, nothing else.

Only reads without side effects on every variant: `resource://projects` (upstream:
`resource://tooling/projects`), `resource://agents/<slug>` (unread counts),
`resource://file_reservations/<slug>?active_only=true`, the `views/urgent-unread` and
`views/ack-required` views per agent, and `GET /mail/api/unified-inbox?limit=N` for recent
messages. Never `GET /mcp/` (an endless event stream), never `fetch_inbox` (marks mail read on
Rust), never `X-Forwarded-For` (defeats the localhost exemption). Plain `http://` goes through
`http_lite` (no urllib, ssl or email in the collector); a redirect is an error, never followed, so
the token cannot go elsewhere.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
import urllib.parse
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from gt_mcp_tmux.model import MailAgent, MailMessage, MailProject, Reservation
from gt_mcp_tmux.sources.agent_mail.keepalive import KeepAlive
from gt_mcp_tmux.sources.agent_mail.reading import (
    VARIANT_PYPI,
    VARIANT_RUST,
    VARIANT_UPSTREAM,
    MailReadError,
    MailReading,
    iso_utc,
)
from gt_mcp_tmux.sources.http_lite import HttpError, Response, request

T = TypeVar("T")
R = TypeVar("R")
MCP_PATHS = ("/mcp/", "/api/")
#: Most bytes one refresh reads, all answers together; past it the refresh stops with one line
#: saying so, rather than a memory spike (a 200-agent fleet answers under 2 MB).
MAX_REFRESH_BYTES = 4 * 1024 * 1024
#: Most bytes of one view (urgent, acks: only counted, then dropped; four may be in flight).
VIEW_MAX_BYTES = 512 * 1024
#: Which MCP path answered last time, per base URL (upstream needs `/api/`: skip the 404 next time).
_PATH_SEEN: dict[str, str] = {}
_IDS = itertools.count(1)
#: Requests in flight at once during one refresh, each on its own kept-alive connection.
PARALLEL = 4


class _NotFound(Exception):
    """HTTP 404: the caller may try another path."""


class _ViewTooLarge(Exception):
    """A view answered more than `VIEW_MAX_BYTES`: its count is withheld, the refresh goes on."""


class RpcError(Exception):
    """A JSON-RPC `error` answer (unknown resource, bad project, ...)."""


def is_loopback(url: str) -> bool:
    host = (urllib.parse.urlsplit(url).hostname or "").lower()
    return host in ("localhost", "::1") or host.startswith("127.")


class HttpMailReader:
    """One bounded read of an Agent Mail server over HTTP (see the module docstring)."""

    def __init__(
        self,
        url: str,
        token: str | None = None,
        *,
        call_timeout: float = 2.0,
        recent_limit: int = 20,
        parallel: int = PARALLEL,
        max_bytes: int = MAX_REFRESH_BYTES,
    ) -> None:
        self.url = url.rstrip("/")
        self._token = token
        self.call_timeout = call_timeout
        self.recent_limit = recent_limit
        self.path_used: str | None = None
        self.used_tooling_projects = False
        self.parallel = max(1, parallel)
        self._lock = threading.Lock()
        self._local = threading.local()  # in_view: the thread is reading a view
        self._idle: list[KeepAlive] = []
        self._made: list[KeepAlive] = []
        self.requests_sent = 0  # for the benchmark and the tests
        self.max_bytes = max_bytes
        self.bytes_read = 0

    def __repr__(self) -> str:  # never show the token
        return f"HttpMailReader({self.url!r})"

    # --- transport ------------------------------------------------------------------------------

    def _call(self, path: str, deadline: float, data: bytes | None = None) -> Response:
        """One request (POST with `data`, else GET); any status but 200 becomes an exception."""
        remaining = deadline - time.monotonic()
        target = self.url + path.split("?")[0]
        if remaining <= 0:
            raise MailReadError("error", f"timed out reading {self.url}")
        headers = {"Accept": "application/json, text/event-stream"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        if self._token:
            headers["Authorization"] = "Bearer " + self._token
        try:
            response = self._send(
                "POST" if data is not None else "GET",
                path,
                data,
                headers,
                min(self.call_timeout, remaining),
            )
        except HttpError as err:
            raise MailReadError("error", f"{err} ({target})") from None
        status = response.status
        if status in (401, 403):
            raise MailReadError("auth", f"HTTP {status} from {target}: token missing or refused")
        if status == 404:
            raise _NotFound(target)
        if 300 <= status < 400:
            raise MailReadError("error", f"HTTP {status} redirect from {target} (not followed)")
        if status != 200:
            raise MailReadError("error", f"HTTP {status} from {target}")
        return response

    def _send(
        self, method: str, path: str, data: bytes | None, headers: dict[str, str], timeout: float
    ) -> Response:
        """Over an idle kept-alive connection of this reader's (plain http), else a new one;
        at most what is left of the refresh's byte budget. A view's answer is only counted and
        dropped: it has a cap of its own (`VIEW_MAX_BYTES`) and leaves the budget alone."""
        if getattr(self._local, "in_view", False):
            try:
                return self._send_bounded(method, path, data, headers, timeout, VIEW_MAX_BYTES)
            except HttpError as err:
                if "larger than" in str(err):
                    raise _ViewTooLarge from None
                raise
        with self._lock:
            left = self.max_bytes - self.bytes_read
        if left <= 0:
            raise self._over_budget(path)
        try:
            response = self._send_bounded(method, path, data, headers, timeout, left)
        except HttpError as err:
            if "larger than" in str(err):
                raise self._over_budget(path) from None
            raise
        with self._lock:
            self.bytes_read += len(response.body)
        return response

    def _over_budget(self, path: str) -> MailReadError:
        return MailReadError(
            "error",
            f"{self.url} answered over {self.max_bytes // (1024 * 1024)} MB in one refresh:"
            f" stopped at {path.split('?')[0]} (the rest of this refresh is cut)",
        )

    def _send_bounded(
        self,
        method: str,
        path: str,
        data: bytes | None,
        headers: dict[str, str],
        timeout: float,
        max_bytes: int,
    ) -> Response:
        if not self.url.startswith("http://"):
            return request(
                method, self.url + path, data, headers, timeout=timeout, max_bytes=max_bytes
            )
        with self._lock:
            if self._idle:
                conn = self._idle.pop()
            else:
                conn = KeepAlive(self.url)
                self._made.append(conn)
        try:
            return conn.request(method, path, data, headers, timeout=timeout, max_bytes=max_bytes)
        finally:
            with self._lock:
                self._idle.append(conn)
                self.requests_sent += 1

    @property
    def connections_opened(self) -> int:
        """TCP connections opened so far (kept-alive ones count once)."""
        return sum(conn.connections for conn in self._made)

    def close(self) -> None:
        """Close the kept-alive connections (a later call opens new ones)."""
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()

    def _body(self, response: Response) -> Any:
        """The JSON answer, plain or as the first JSON-RPC event of an event stream."""
        if "text/event-stream" in response.headers.get("content-type", "").lower():
            return _first_event(response.body)
        try:
            return json.loads(response.body)
        except ValueError:
            raise MailReadError("error", f"answer from {self.url} is not JSON") from None

    def rpc(self, method: str, params: dict[str, Any], deadline: float) -> Any:
        """A JSON-RPC call; returns `result` or raises RpcError / MailReadError."""
        payload = {"jsonrpc": "2.0", "id": next(_IDS), "method": method, "params": params}
        data = json.dumps(payload).encode()
        seen = _PATH_SEEN.get(self.url)
        paths = [seen] + [p for p in MCP_PATHS if p != seen] if seen else list(MCP_PATHS)
        for path in paths:
            try:
                response = self._call(path, deadline, data)
            except _NotFound:
                continue
            _PATH_SEEN[self.url] = self.path_used = path
            answer = self._body(response)
            if not isinstance(answer, dict):
                raise MailReadError("error", f"{self.url}{path} answered something not JSON-RPC")
            if answer.get("error") is not None:
                error = answer["error"]
                text = error.get("message") if isinstance(error, dict) else error
                raise RpcError(str(text)[:200])
            return answer.get("result")
        raise MailReadError("error", f"no MCP endpoint at {self.url}/mcp/ or {self.url}/api/")

    def resource(self, uri: str, deadline: float) -> Any:
        """`resources/read` of one URI, its JSON text decoded.

        A server started with `MCP_AGENT_MAIL_OUTPUT_FORMAT=toon` (upstream >= 0.3) wraps each
        answer as `{"format", "data", "meta"}`: JSON data is unwrapped, and for TOON the URI is
        asked again with `format=json` (only then: older servers know no such parameter)."""
        found = self._resource_once(uri, deadline)
        if not _is_envelope(found):
            return found
        if found["format"] == "json":
            return found["data"]
        again = self._resource_once(_with_query(uri, format="json"), deadline)
        if _is_envelope(again):
            if again["format"] != "json":
                raise MailReadError("error", f"{uri.split('?')[0]} answers only {found['format']}")
            return again["data"]
        return again

    def _resource_once(self, uri: str, deadline: float) -> Any:
        result = self.rpc("resources/read", {"uri": uri}, deadline)
        try:
            text = result["contents"][0]["text"]
            return json.loads(text)
        except (KeyError, IndexError, TypeError, ValueError):
            raise MailReadError("error", f"unexpected answer for {uri.split('?')[0]}") from None

    def get_json(self, path: str, deadline: float) -> Any:
        """A plain JSON page (GET); None when the server has no such page."""
        try:
            response = self._call(path, deadline)
        except _NotFound:
            return None
        return self._body(response)

    # --- the read -------------------------------------------------------------------------------

    def _projects(self, deadline: float) -> list[dict[str, Any]]:
        try:
            found = self.resource("resource://projects", deadline)
        except RpcError:
            self.used_tooling_projects = True
            try:
                found = self.resource("resource://tooling/projects", deadline)
            except RpcError as err:
                raise MailReadError("error", f"cannot list projects: {err}") from None
        if isinstance(found, dict):
            found = found.get("projects", [])
        return [p for p in found if isinstance(p, dict)] if isinstance(found, list) else []

    def _view_count(self, view: str, agent: str, slug: str, deadline: float) -> int | str:
        """The view's count, or why there is none (`NEEDS_TOKEN`, `NOT_OFFERED`): never a 0
        made up for a count the server did not give."""
        query = urllib.parse.urlencode({"project": slug, "limit": 100000})
        uri = f"resource://views/{view}/{urllib.parse.quote(agent, safe='')}?{query}"
        self._local.in_view = True
        try:
            found = self.resource(uri, deadline)
        except _ViewTooLarge:
            return TOO_LARGE
        except RpcError as err:
            return NEEDS_TOKEN if "token" in str(err).lower() else NOT_OFFERED
        finally:
            self._local.in_view = False
        if isinstance(found, dict) and found.get("error") is not None:
            return NEEDS_TOKEN if "token" in str(found["error"]).lower() else NOT_OFFERED
        if not isinstance(found, dict):
            return NOT_OFFERED
        count = found.get("count")
        if isinstance(count, int) and not isinstance(count, bool):
            return count
        messages = found.get("messages")
        return len(messages) if isinstance(messages, list) else NOT_OFFERED

    def _project(self, slug: str, deadline: float) -> tuple[Any, Any]:
        """A project's agent directory and its unreleased reservations, as decoded JSON."""
        quoted = urllib.parse.quote(slug, safe="")
        try:
            directory = self.resource(f"resource://agents/{quoted}", deadline)
            held = self.resource(
                f"resource://file_reservations/{quoted}?active_only=true", deadline
            )
        except RpcError as err:
            raise MailReadError("error", f"project {slug}: {err}") from None
        return directory, held

    def _map(self, work: Callable[[T], R], items: Sequence[T]) -> list[R]:
        """`work` over `items`, at most `parallel` at once, in order; the first failure raises."""
        if self.parallel == 1 or len(items) < 2:
            return [work(item) for item in items]
        with ThreadPoolExecutor(max_workers=min(self.parallel, len(items))) as pool:
            return list(pool.map(work, items))

    def read(self, deadline: float) -> MailReading:
        self.bytes_read = 0
        try:
            return self._read(deadline)
        finally:
            self.close()

    def _read(self, deadline: float) -> MailReading:
        entries = [e for e in self._projects(deadline) if e.get("slug")]
        slugs = [str(e["slug"]) for e in entries]
        answers = self._map(lambda slug: self._project(slug, deadline), slugs)
        saw_active_flag = saw_retired = saw_agents = saw_integer_times = False
        listed: list[tuple[str, dict[str, Any]]] = []
        for slug, (directory, _held) in zip(slugs, answers, strict=True):
            raw_agents: list[Any] = []
            if isinstance(directory, dict):
                raw_agents = directory.get("agents") or []
                saw_retired = saw_retired or "retired_agents" in directory
            elif isinstance(directory, list):
                raw_agents = directory
            for item in raw_agents:
                if isinstance(item, dict) and item.get("name"):
                    listed.append((slug, item))
                    saw_agents = True
                    saw_active_flag = saw_active_flag or "is_active" in item
                    saw_integer_times = saw_integer_times or _is_int(item.get("last_active_ts"))
        # Per agent: acks pending always; urgent unread only when there is unread mail at all.
        views = [(slug, str(item["name"]), "ack-required") for slug, item in listed]
        views += [
            (slug, str(item["name"]), "urgent-unread")
            for slug, item in listed
            if _int(item.get("unread_count"))
        ]
        counts = self._map(lambda v: self._view_count(v[2], v[1], v[0], deadline), views)
        counted = dict(zip(views, counts, strict=True))
        withheld: dict[str, str] = {}
        projects = []
        for entry, slug, (_directory, held) in zip(entries, slugs, answers, strict=True):
            agents = [
                _agent(item, counted, slug, withheld) for owner, item in listed if owner == slug
            ]
            reservations = [
                _reservation(item)
                for item in (held if isinstance(held, list) else [])
                if isinstance(item, dict) and item.get("released_ts") is None
            ]
            projects.append(
                MailProject(
                    slug=slug,
                    human_key=str(entry.get("human_key") or ""),
                    agents=agents,
                    reservations=reservations,
                )
            )
        variant = _variant(
            upstream_marks=self.path_used == "/api/" or self.used_tooling_projects or saw_retired,
            saw_active_flag=saw_active_flag,
            saw_agents=saw_agents,
            integer_times=saw_integer_times,
        )
        return MailReading(
            variant=variant,
            projects=projects,
            messages=self._recent(deadline),
            withheld=withheld,
        )

    def _recent(self, deadline: float) -> list[MailMessage]:
        if self.recent_limit <= 0:
            return []
        found = self.get_json(f"/mail/api/unified-inbox?limit={int(self.recent_limit)}", deadline)
        items = found.get("messages") if isinstance(found, dict) else None
        messages = []
        for item in items if isinstance(items, list) else []:
            if not isinstance(item, dict) or not isinstance(item.get("id"), int):
                continue
            recipients = item.get("recipients") or ""
            if isinstance(recipients, str):
                names = [part.strip() for part in recipients.split(",") if part.strip()]
            else:
                names = [str(part) for part in recipients]
            messages.append(
                MailMessage(
                    id=item["id"],
                    project=str(item.get("project_slug") or ""),
                    subject=str(item.get("subject") or ""),
                    sender=str(item.get("sender") or ""),
                    recipients=sorted(set(names)),
                    importance=str(item.get("importance") or "normal"),
                    created_ts=iso_utc(item.get("created_ts")),
                )
            )
        return messages[: self.recent_limit]


def _is_envelope(found: Any) -> bool:
    """Upstream's output-format wrapper: `{"format": "toon"|"json", "data": ..., "meta": ...}`."""
    return (
        isinstance(found, dict)
        and isinstance(found.get("format"), str)
        and "data" in found
        and set(found) <= {"format", "data", "meta"}
    )


def _with_query(uri: str, **extra: str) -> str:
    base, _, query = uri.partition("?")
    pairs = [*urllib.parse.parse_qsl(query, keep_blank_values=True), *extra.items()]
    return f"{base}?{urllib.parse.urlencode(pairs)}"


#: Why a view gave no count.
NEEDS_TOKEN = "needs agent token"
NOT_OFFERED = "not offered by this server"
TOO_LARGE = "answer too large to count"
#: The view behind each count an agent record carries.
_COUNT_OF_VIEW = {"urgent-unread": "urgent_unread", "ack-required": "acks_pending"}


def _agent(
    item: dict[str, Any],
    counted: dict[tuple[str, str, str], int | str],
    slug: str,
    withheld: dict[str, str],
) -> MailAgent:
    """One agent of the directory with its view counts; a count the server withheld is 0 and
    named in `withheld` (the agent's, and the reading's with the reason)."""
    name = str(item["name"])
    counts: dict[str, int] = {}
    missing = []
    for view, field_name in _COUNT_OF_VIEW.items():
        value = counted.get((slug, name, view), 0)  # not asked: no unread mail, so no urgent
        if isinstance(value, str):
            missing.append(field_name)
            withheld.setdefault(field_name, value)
            value = 0
        counts[field_name] = value
    return MailAgent(
        name=name,
        program=str(item.get("program") or ""),
        model=str(item.get("model") or ""),
        unread=_int(item.get("unread_count")),
        urgent_unread=counts["urgent_unread"],
        acks_pending=counts["acks_pending"],
        last_active=iso_utc(item.get("last_active_ts")),
        task_description=str(item.get("task_description") or "")[:200],
        withheld=sorted(missing),
    )


def _variant(
    *, upstream_marks: bool, saw_active_flag: bool, saw_agents: bool, integer_times: bool
) -> str | None:
    """Upstream when it shows itself (`/api/`, the tooling project list, retired agents); the
    fork by `is_active`; Rust by integer timestamps; else (agents, no `is_active`, ISO times)
    upstream 0.2.1, which has neither; None while there are no agents."""
    if upstream_marks:
        return VARIANT_UPSTREAM
    if saw_active_flag:
        return VARIANT_PYPI
    if integer_times:
        return VARIANT_RUST
    return VARIANT_UPSTREAM if saw_agents else None


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _reservation(item: dict[str, Any]) -> Reservation:
    return Reservation(
        id=_int(item.get("id")),
        agent=str(item.get("agent") or item.get("agent_name") or ""),
        path_pattern=str(item.get("path_pattern") or ""),
        exclusive=bool(item.get("exclusive", True)),
        reason=str(item.get("reason") or ""),
        created_ts=iso_utc(item.get("created_ts")),
        expires_ts=iso_utc(item.get("expires_ts")),
    )


def _first_event(body: bytes) -> Any:
    """The first event-stream event whose `data:` is a JSON-RPC answer (result or error)."""
    lines: list[str] = []
    for raw in [*body.decode("utf-8", "replace").splitlines(), ""]:
        if raw.startswith("data:"):
            lines.append(raw[5:].removeprefix(" "))
            continue
        if raw or not lines:
            continue  # `event:`, `id:`, comments, or a blank line before any data
        try:
            event = json.loads("\n".join(lines))
        except ValueError:
            event = None
        lines = []
        if isinstance(event, dict) and ("result" in event or "error" in event):
            return event
    raise MailReadError("error", "event stream ended without an answer")
