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
import time
import urllib.parse
from typing import Any

from gt_mcp_tmux.model import MailAgent, MailMessage, MailProject, Reservation
from gt_mcp_tmux.sources.agent_mail.reading import (
    VARIANT_PYPI,
    VARIANT_RUST,
    VARIANT_UPSTREAM,
    MailReadError,
    MailReading,
    iso_utc,
)
from gt_mcp_tmux.sources.http_lite import HttpError, Response, request

MCP_PATHS = ("/mcp/", "/api/")
#: Largest answer read (bytes); a bigger one is an error rather than a memory spike.
MAX_ANSWER = 64 * 1024 * 1024
#: Which MCP path answered last time, per base URL (upstream needs `/api/`: skip the 404 next time).
_PATH_SEEN: dict[str, str] = {}
_IDS = itertools.count(1)


class _NotFound(Exception):
    """HTTP 404: the caller may try another path."""


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
    ) -> None:
        self.url = url.rstrip("/")
        self._token = token
        self.call_timeout = call_timeout
        self.recent_limit = recent_limit
        self.path_used: str | None = None
        self.used_tooling_projects = False

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
            response = request(
                "POST" if data is not None else "GET",
                self.url + path,
                body=data,
                headers=headers,
                timeout=min(self.call_timeout, remaining),
                max_bytes=MAX_ANSWER,
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
        """`resources/read` of one URI, its JSON text decoded."""
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

    def _view_count(self, view: str, agent: str, slug: str, deadline: float) -> int:
        query = urllib.parse.urlencode({"project": slug, "limit": 100000})
        uri = f"resource://views/{view}/{urllib.parse.quote(agent, safe='')}?{query}"
        try:
            found = self.resource(uri, deadline)
        except RpcError:
            return 0  # the view does not exist on this variant
        if not isinstance(found, dict):
            return 0
        count = found.get("count")
        if isinstance(count, int):
            return count
        messages = found.get("messages")
        return len(messages) if isinstance(messages, list) else 0

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

    def read(self, deadline: float) -> MailReading:
        entries = [e for e in self._projects(deadline) if e.get("slug")]
        slugs = [str(e["slug"]) for e in entries]
        answers = [self._project(slug, deadline) for slug in slugs]
        saw_active_flag = saw_retired = saw_agents = False
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
        # Per agent: acks pending always; urgent unread only when there is unread mail at all.
        views = [(slug, str(item["name"]), "ack-required") for slug, item in listed]
        views += [
            (slug, str(item["name"]), "urgent-unread")
            for slug, item in listed
            if _int(item.get("unread_count"))
        ]
        # Sequential on purpose: the server answers one at a time (4 threads measured no faster).
        counted = {view: self._view_count(view[2], view[1], view[0], deadline) for view in views}
        projects = []
        for entry, slug, (_directory, held) in zip(entries, slugs, answers, strict=True):
            agents = [
                MailAgent(
                    name=str(item["name"]),
                    program=str(item.get("program") or ""),
                    model=str(item.get("model") or ""),
                    unread=_int(item.get("unread_count")),
                    urgent_unread=counted.get((slug, str(item["name"]), "urgent-unread"), 0),
                    acks_pending=counted.get((slug, str(item["name"]), "ack-required"), 0),
                    last_active=iso_utc(item.get("last_active_ts")),
                    task_description=str(item.get("task_description") or "")[:200],
                )
                for owner, item in listed
                if owner == slug
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
        if self.path_used == "/api/" or self.used_tooling_projects or saw_retired:
            variant: str | None = VARIANT_UPSTREAM
        elif saw_active_flag:
            variant = VARIANT_PYPI
        elif saw_agents:
            variant = VARIANT_RUST
        else:
            variant = None
        return MailReading(variant=variant, projects=projects, messages=self._recent(deadline))

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
