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
import math
import threading
import time
import urllib.parse
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from gt_mcp_tmux.model import MailAgent, MailMessage, MailProject, Reservation
from gt_mcp_tmux.sources.agent_mail import http_memo
from gt_mcp_tmux.sources.agent_mail.http_memo import Memo, Seen
from gt_mcp_tmux.sources.agent_mail.keepalive import KeepAlive
from gt_mcp_tmux.sources.agent_mail.liveness import is_loopback
from gt_mcp_tmux.sources.agent_mail.reading import (
    VARIANT_PYPI,
    VARIANT_RUST,
    VARIANT_UPSTREAM,
    MailReadError,
    MailReading,
    iso_utc,
    parse_ts,
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
#: Requests in flight at once during one refresh of a remote server, each on its own kept-alive
#: connection (hides the network's round trips). A loopback server gets one at a time: the Python
#: servers answer one request at a time (one process, CPU-bound): on 2 cores 4 at once were no
#: faster (0.85-1.49x the time of one at a time, more server CPU; `bench agent_mail`).
PARALLEL = 4
LOOPBACK_PARALLEL = 1
#: Views begin at most this many seconds into a refresh; the rest are "still being counted"
#: (withheld, never 0) and asked first by the next refresh, which reuses what this one counted.
#: A fleet's first refresh so shows every agent and its exact unread count at once, and its
#: urgent and ack counts over the next cycles (upstream 0.2.1 answers about 60 views a second).
COUNT_FOR = 3.5
#: Views every refresh may begin whatever COUNT_FOR says (within its deadline): a fleet whose
#: directories alone take that long is still counted, a few at each refresh.
MIN_VIEWS = 20
#: Newest messages asked for first; when they are all new since the last refresh, up to
#: FEED_MORE (the servers give at most 1,000) to see every message since.
FEED_FIRST = 20
FEED_MORE = 500
#: Reservations asked per page (the Rust port's most; the Python servers answer all at once),
#: and at most this many pages per project (the byte budget usually stops far earlier).
RESERVATION_PAGE = 250
MAX_RESERVATION_PAGES = 400
#: Servers that refused the paging parameters (a strict URI template): asked without them.
_UNPAGED: set[str] = set()
#: Views not begun this close to the deadline are left for the next refresh (withheld).
VIEW_RESERVE = 0.25


class _NotFound(Exception):
    """HTTP 404: the caller may try another path."""


class _ViewTooLarge(Exception):
    """A view answered more than `VIEW_MAX_BYTES`: its count is withheld, the refresh goes on."""


class RpcError(Exception):
    """A JSON-RPC `error` answer (unknown resource, bad project, ...)."""


class HttpMailReader:
    """One bounded read of an Agent Mail server over HTTP (see the module docstring)."""

    def __init__(
        self,
        url: str,
        token: str | None = None,
        *,
        call_timeout: float = 2.0,
        recent_limit: int = 20,
        parallel: int | None = None,
        max_bytes: int = MAX_REFRESH_BYTES,
        incremental: bool = True,
        count_for: float | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self._token = token
        self.call_timeout = call_timeout
        self.recent_limit = recent_limit
        self.path_used: str | None = None
        self.used_tooling_projects = False
        if parallel is None:
            parallel = LOOPBACK_PARALLEL if is_loopback(self.url) else PARALLEL
        self.parallel = max(1, parallel)
        #: Seconds into a refresh after which no view begins (None: COUNT_FOR at the read).
        self.count_for = count_for
        self._views_until = math.inf
        self._lock = threading.Lock()
        self._local = threading.local()  # in_view: the thread is reading a view
        self._idle: list[KeepAlive] = []
        self._made: list[KeepAlive] = []
        self.requests_sent = 0  # for the benchmark and the tests
        self.max_bytes = max_bytes
        self.bytes_read = 0
        #: Reuse the view counts of the last refresh where they cannot have changed (http_memo).
        self.incremental = incremental
        self.views_asked = 0  # for the benchmark and the tests
        self.reservation_reads = 0
        self.calls_logged: list[Call] | None = None

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
        """The view's count, or why there is none (`NEEDS_TOKEN`, `NOT_OFFERED`, `NOT_IN_TIME`):
        never a 0 made up for a count the server did not give."""
        now = time.monotonic()
        if now > deadline - VIEW_RESERVE:
            return NOT_IN_TIME
        with self._lock:
            if now > self._views_until and self.views_asked >= MIN_VIEWS:
                return COUNTING
            self.views_asked += 1
        query = urllib.parse.urlencode({"project": slug, "limit": 100000})
        uri = f"resource://views/{view}/{urllib.parse.quote(agent, safe='')}?{query}"
        self._local.in_view = True
        try:
            found = self.resource(uri, deadline)
        except _ViewTooLarge:
            return TOO_LARGE
        except RpcError as err:
            return NEEDS_TOKEN if "token" in str(err).lower() else NOT_OFFERED
        except MailReadError as err:
            if "timed out" in err.message:
                return NOT_IN_TIME
            raise
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

    def _project(
        self, slug: str, kept: list[Reservation] | None, deadline: float
    ) -> tuple[Any, list[Reservation]]:
        """A project's agent directory (decoded JSON) and its unreleased reservations: `kept`
        when given (still true, see http_memo), else read (which makes the server sweep)."""
        quoted = urllib.parse.quote(slug, safe="")
        try:
            directory = self.resource(f"resource://agents/{quoted}", deadline)
            if kept is not None:
                return directory, kept
            held = self._held(quoted, deadline)
        except RpcError as err:
            raise MailReadError("error", f"project {slug}: {err}") from None
        return directory, [
            _reservation(item)
            for item in held
            if isinstance(item, dict) and not _released(item.get("released_ts"))
        ]

    def _held(self, quoted_slug: str, deadline: float) -> list[Any]:
        """A project's unreleased reservations, every page of them.

        The Rust port answers at most `limit` (20 by default, 250 at most) from `offset`; the
        Python servers know neither and answer all at once. So: pages of RESERVATION_PAGE until
        one is short, or longer (all at once), or repeats the last (the offset was ignored)."""
        found: list[Any] = []
        seen: set[Any] = set()
        base = f"resource://file_reservations/{quoted_slug}?active_only=true"
        for page in range(MAX_RESERVATION_PAGES):
            if self.url in _UNPAGED:
                answer = self.resource(base, deadline)
            else:
                paging = f"&limit={RESERVATION_PAGE}&offset={page * RESERVATION_PAGE}"
                try:
                    answer = self.resource(base + paging, deadline)
                except RpcError:
                    if page:
                        raise
                    answer = self.resource(base, deadline)  # a strict template without them
                    _UNPAGED.add(self.url)
            with self._lock:
                self.reservation_reads += 1
            items = answer if isinstance(answer, list) else []
            ids = {item.get("id") for item in items if isinstance(item, dict)}
            if page and ids <= seen:
                break  # the same rows again: a server that ignores `offset`
            found += items
            seen |= ids
            if len(items) != RESERVATION_PAGE:
                break
        return found

    def _map(self, work: Callable[[T], R], items: Sequence[T]) -> list[R]:
        """`work` over `items`, at most `parallel` at once, in order; the first failure raises."""
        if self.parallel == 1 or len(items) < 2:
            return [work(item) for item in items]
        with ThreadPoolExecutor(max_workers=min(self.parallel, len(items))) as pool:
            return list(pool.map(work, items))

    def read(self, deadline: float) -> MailReading:
        self.bytes_read = 0
        budget = COUNT_FOR if self.count_for is None else self.count_for
        self._views_until = time.monotonic() + budget
        try:
            return self._read(deadline)
        finally:
            self.close()

    # --- what changed since the last refresh (see http_memo) -----------------------------------

    def _tool_calls(self, deadline: float) -> tuple[dict[str, int] | None, datetime | None]:
        """The server's count of calls per tool and its clock then; (None, None) if not offered."""
        try:
            found = self.resource("resource://tooling/metrics", deadline)
        except RpcError:
            return None, None
        tools = found.get("tools") if isinstance(found, dict) else None
        if not isinstance(tools, list):
            return None, None
        calls = {
            item["name"]: item["calls"]
            for item in tools
            if isinstance(item, dict)
            and isinstance(item.get("name"), str)
            and _is_int(item.get("calls"))
        }
        return calls, parse_ts(found.get("generated_at"))

    def _calls_since(
        self, memo: Memo, calls: dict[str, int], at: datetime | None, deadline: float
    ) -> list[Call] | None:
        """The tool calls the server made since `memo`'s count, from its log; None when it
        cannot account for every one (it restarted, its log ran over, no clock to go by)."""
        if memo.calls is None or memo.at is None or at is None:
            return None
        if http_memo.restarted(memo.calls, calls):
            return None
        new = {
            name: count - memo.calls.get(name, 0)
            for name, count in calls.items()
            if count != memo.calls.get(name, 0)
        }
        if not new:
            return []
        # A call's count goes up as it starts, its log entry is written (server clock) as it
        # ends: one logged after the last count either began after it or was still under way
        # then (so the last refresh's reads may have missed it). One logged before had ended.
        since = memo.at
        window = max(1, math.ceil((at - since).total_seconds()) + 1)
        if window > http_memo.LOG_WINDOW_MAX:
            return None  # a memo this old: its log would be long, and likely ran over
        try:
            found = self.resource(f"resource://tooling/recent/{window}", deadline)
        except RpcError:
            return None
        entries = found.get("entries") if isinstance(found, dict) else None
        if not isinstance(entries, list) or len(entries) >= http_memo.RECENT_KEPT - 96:
            return None
        logged: list[Call] = []
        for entry in entries:
            if not isinstance(entry, dict) or not isinstance(entry.get("tool"), str):
                return None
            moment = parse_ts(entry.get("timestamp"))
            if moment is None:
                return None
            if moment > since:
                project, agent = entry.get("project"), entry.get("agent")
                logged.append(
                    Call(
                        entry["tool"],
                        project if isinstance(project, str) else None,
                        agent if isinstance(agent, str) else None,
                    )
                )
        for name, count in new.items():
            if sum(1 for call in logged if call.tool == name) < count:
                return None  # a call the log does not show (yet): take nothing on trust
        return logged

    def _inbox(self, limit: int, deadline: float, *, bounded: bool = False) -> list[Any] | None:
        """`GET /mail/api/unified-inbox?limit=N`'s messages, newest first; None when the server
        has no such page. `bounded`: counted like a view (its own cap, outside the budget)."""
        self._local.in_view = bounded
        try:
            found = self.get_json(f"/mail/api/unified-inbox?limit={int(limit)}", deadline)
        finally:
            self._local.in_view = False
        items = found.get("messages") if isinstance(found, dict) else None
        return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else None

    def _feed(self, memo: Memo | None, deadline: float) -> tuple[list[Any], bool]:
        """The newest messages (raw) and whether they hold every message since `memo`'s newest."""
        limit = max(self.recent_limit, FEED_FIRST)
        items = self._inbox(limit, deadline)
        if items is None:
            return [], False
        if memo is None or _covers(items, memo.top_id, limit):
            return items, memo is not None
        if len(items) < limit:
            return items, False  # the newest message is gone: another database, or rewound
        try:
            more = self._inbox(FEED_MORE, deadline, bounded=True)
        except _ViewTooLarge:
            return items, False
        if more is None or not _covers(more, memo.top_id, FEED_MORE):
            return items, False
        return more, True

    # --- the read -------------------------------------------------------------------------------

    def _read(self, deadline: float) -> MailReading:
        memo = http_memo.recall(self.url) if self.incremental else None
        # Counts and messages first: whatever happens after them shows at the next refresh.
        calls, at = self._tool_calls(deadline) if self.incremental else (None, None)
        feed, covered = self._feed(memo, deadline)
        entries = [e for e in self._projects(deadline) if e.get("slug")]
        slugs = [str(e["slug"]) for e in entries]
        made = {str(e["slug"]): str(e.get("created_at") or "") for e in entries}
        now = time.time()
        # Reservation lists are all read again every FULL_EVERY; counts each on its own age.
        fresh = memo is not None and 0 <= now - memo.full_at < http_memo.FULL_EVERY
        log = (
            self._calls_since(memo, calls, at, deadline)
            if memo is not None and calls is not None
            else None
        )
        self.calls_logged = log  # for the tests: what the server's log said changed
        stirred = _stirred(log, entries)
        kept = {
            key: held
            for key, held in (memo.held.items() if memo is not None else ())
            if fresh and stirred is not None and key[0] not in stirred
        }
        answers = self._map(
            lambda slug: self._project(slug, kept.get((slug, made[slug])), deadline), slugs
        )
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
                    listed.append((slug, {**item, _IDENT: _ident(item, made[slug])}))
                    saw_agents = True
                    saw_active_flag = saw_active_flag or "is_active" in item
                    saw_integer_times = saw_integer_times or _is_int(item.get("last_active_ts"))
        # Without the tool log (a server that has none) only what the feed vouches for is kept.
        reuse = memo is not None and covered
        counted: dict[tuple[str, str, str], int | str] = {}
        taken: dict[tuple[str, str, str], float] = {}  # when a reused count was asked
        recheck: list[tuple[str, str, str]] = []
        if reuse:
            assert memo is not None
            acked = _acked(log)
            counted, taken, recheck = _reused(
                memo, listed, _got_mail(feed, memo.top_id), acked, now
            )
        # Per agent: urgent unread only when there is unread mail at all, acks pending always.
        # Urgent first: when the refresh's time for views runs out, the rest wait for the next.
        views = [
            (slug, str(item["name"]), view)
            for view in ("urgent-unread", "ack-required")
            for slug, item in listed
            if (slug, str(item["name"]), view) not in counted
            and (view == "ack-required" or _int(item.get("unread_count")))
        ]
        # Then, with the time left, counts soon too old to reuse, oldest first: asked again a
        # few at a time before they must be, they never turn "still being counted".
        views += recheck
        counts = self._map(lambda v: self._view_count(v[2], v[1], v[0], deadline), views)
        for key, value in zip(views, counts, strict=True):
            if value in (COUNTING, NOT_IN_TIME) and key in counted:
                continue  # not asked again in time: the reused count still holds
            counted[key] = value
            taken.pop(key, None)
        if self.incremental:
            now_held = {
                (slug, made[slug]): found for slug, (_d, found) in zip(slugs, answers, strict=True)
            }
            self._remember(
                memo, reuse, bool(kept), now, feed, calls, at, listed, counted, taken, now_held
            )
        withheld: dict[str, str] = {}
        projects = []
        for entry, slug, (_directory, held) in zip(entries, slugs, answers, strict=True):
            agents = [
                _agent(item, counted, slug, withheld) for owner, item in listed if owner == slug
            ]
            projects.append(
                MailProject(
                    slug=slug,
                    human_key=str(entry.get("human_key") or ""),
                    agents=agents,
                    reservations=list(held),
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
            messages=_messages(feed, self.recent_limit),
            withheld=withheld,
        )

    def _remember(
        self,
        memo: Memo | None,
        reused: bool,
        kept_held: bool,
        now: float,
        feed: list[Any],
        calls: dict[str, int] | None,
        at: datetime | None,
        listed: list[tuple[str, dict[str, Any]]],
        counted: dict[tuple[str, str, str], int | str],
        taken: dict[tuple[str, str, str], float],
        held: dict[tuple[str, str], list[Reservation]],
    ) -> None:
        """Keep this refresh's counts for the next (only numbers: a withheld one is asked again),
        each with when the server gave it (`taken` for a reused one, else now)."""

        def number(key: tuple[str, str, str]) -> int | None:
            value = counted.get(key, 0)  # not asked: no unread mail, so no urgent unread
            return value if isinstance(value, int) else None

        ids = [item["id"] for item in feed if _is_int(item.get("id"))]
        agents = {
            (slug, str(item["name"])): Seen(
                ident=str(item[_IDENT]),
                unread=_int(item.get("unread_count")),
                urgent=number((slug, str(item["name"]), "urgent-unread")),
                acks=number((slug, str(item["name"]), "ack-required")),
                urgent_at=taken.get((slug, str(item["name"]), "urgent-unread"), now),
                acks_at=taken.get((slug, str(item["name"]), "ack-required"), now),
            )
            for slug, item in listed
        }
        full_at = memo.full_at if kept_held and memo is not None else now
        top = max(ids, default=memo.top_id if memo is not None and reused else 0)
        http_memo.remember(self.url, Memo(top, calls, at, full_at, agents, held))


@dataclass(frozen=True, slots=True)
class Call:
    """One tool call of the server's log: the tool, and the project and agent it named."""

    tool: str
    project: str | None
    agent: str | None


def _acked(log: list[Call] | None) -> set[str] | None:
    """Lower-cased names of the agents that acknowledged in `log`; None: not known."""
    if log is None:
        return None
    acks = [call for call in log if call.tool == http_memo.ACK_TOOL]
    if any(call.agent is None for call in acks):
        return None
    return {str(call.agent).lower() for call in acks}


def _stirred(log: list[Call] | None, entries: list[dict[str, Any]]) -> set[str] | None:
    """Slugs of the projects whose reservations a call in `log` may have changed (a tool that
    reserves, releases or sweeps, naming the project by slug or path); None: any of them."""
    if log is None:
        return None
    slug_of = {str(e["slug"]): str(e["slug"]) for e in entries}
    slug_of.update({str(e.get("human_key") or ""): str(e["slug"]) for e in entries})
    found: set[str] = set()
    for call in log:
        if call.tool in http_memo.QUIET_TOOLS:
            continue
        slug = slug_of.get(call.project or "")
        if slug is None:
            return None  # no project, or one not told apart: every project
        found.add(slug)
    return found


def _covers(items: list[Any], top_id: int, limit: int) -> bool:
    """Whether `items` (newest first, at most `limit`) hold every message newer than `top_id`:
    they reach back to it, or there were none before and these are all there is."""
    ids = [item["id"] for item in items if _is_int(item.get("id"))]
    if top_id == 0:
        return len(items) < min(limit, FEED_FIRST)
    return bool(ids) and max(ids) >= top_id and min(ids) <= top_id


def _got_mail(feed: list[Any], top_id: int) -> set[tuple[str, str]]:
    """(project slug, agent name) of every recipient of a message newer than `top_id`."""
    found: set[tuple[str, str]] = set()
    for item in feed:
        if not _is_int(item.get("id")) or item["id"] <= top_id:
            continue
        slug = str(item.get("project_slug") or "")
        found.update((slug, name) for name in _recipients(item))
    return found


def _reused(
    memo: Memo,
    listed: list[tuple[str, dict[str, Any]]],
    got_mail: set[tuple[str, str]],
    acked: set[str] | None,
    now: float,
) -> tuple[
    dict[tuple[str, str, str], int | str],
    dict[tuple[str, str, str], float],
    list[tuple[str, str, str]],
]:
    """The view counts of the last refresh still true now (see http_memo), by view key; when
    each was asked; and those to ask again if there is time (old enough), oldest first. A count
    asked FULL_EVERY or more ago is not reused: it is asked again."""
    counted: dict[tuple[str, str, str], int | str] = {}
    taken: dict[tuple[str, str, str], float] = {}
    for slug, item in listed:
        name = str(item["name"])
        seen = memo.agents.get((slug, name))
        if seen is not None and seen.ident != item[_IDENT]:
            seen = None  # another agent (or server) of that name
        mail = (slug, name) in got_mail
        unread = _int(item.get("unread_count"))
        urgent = http_memo.reuse_urgent(seen, unread, mail)
        acks = http_memo.reuse_acks(seen, mail, acked, name)
        for view, value, asked in (
            ("urgent-unread", urgent, seen.urgent_at if seen and unread else now),
            ("ack-required", acks, seen.acks_at if seen else now),
        ):
            if value is None or not 0 <= now - asked < http_memo.FULL_EVERY:
                continue
            counted[(slug, name, view)] = value
            if asked != now:
                taken[(slug, name, view)] = asked
    due = http_memo.FULL_EVERY - http_memo.RECHECK_BEFORE
    recheck = sorted(
        (k for k, asked in taken.items() if now - asked >= due), key=lambda k: taken[k]
    )
    return counted, taken, recheck


#: Where `_read` keeps an agent's identity in its directory entry (not a server field).
_IDENT = " ident"


def _ident(item: dict[str, Any], project_made: str) -> str:
    return f"{item.get('id')}|{item.get('inception_ts')}|{project_made}"


def _recipients(item: dict[str, Any]) -> list[str]:
    recipients = item.get("recipients") or ""
    if isinstance(recipients, str):
        return [part.strip() for part in recipients.split(",") if part.strip()]
    return [str(part) for part in recipients] if isinstance(recipients, list) else []


def _messages(feed: list[Any], limit: int) -> list[MailMessage]:
    messages: list[MailMessage] = []
    for item in feed:
        if len(messages) >= limit:
            break
        if not isinstance(item.get("id"), int):
            continue
        messages.append(
            MailMessage(
                id=item["id"],
                project=str(item.get("project_slug") or ""),
                subject=str(item.get("subject") or ""),
                sender=str(item.get("sender") or ""),
                recipients=sorted(set(_recipients(item))),
                importance=str(item.get("importance") or "normal"),
                created_ts=iso_utc(item.get("created_ts")),
            )
        )
    return messages


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
NOT_IN_TIME = "not counted in time (the next refresh goes on)"
COUNTING = "still being counted (the next refresh goes on)"
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


def _released(value: Any) -> bool:
    """Whether a `released_ts` says released. The Rust port keeps 0 or less (shown as the epoch,
    or earlier) and the texts '0', 'null', 'none' for "not released"."""
    if value is None or isinstance(value, bool):
        return False
    if isinstance(value, str) and value.strip().lower() in ("", "0", "null", "none"):
        return False
    moment = parse_ts(value)
    if moment is None:
        return True  # something we cannot read: the server says it was released
    return moment.timestamp() > 0


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
