"""A small HTTP/1.1 client for the collector: plain sockets for `http://`, urllib only for https.

Why not urllib for everything: importing it pulls in ssl, email and http.client, about 8 MB of
the collector's memory, for a server that is almost always plain HTTP on loopback. Every call
has one overall deadline, reads at most `max_bytes`, and never raises anything but HttpError.
"""

from __future__ import annotations

import re
import socket
import time
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

MAX_BYTES = 16 * 1024 * 1024
_EVENT_END = re.compile(rb"\r?\n\r?\n")


class HttpError(Exception):
    """The request got no HTTP answer: refused, timed out, reset, malformed. One line."""

    def __init__(self, message: str, refused: bool = False) -> None:
        super().__init__(message)
        self.refused = refused


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    headers: dict[str, str]  # names lower-cased
    body: bytes


def request(
    method: str,
    url: str,
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = 2.0,
    max_bytes: int = MAX_BYTES,
) -> Response:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme == "https":
        return _request_tls(method, url, body, headers or {}, timeout)
    if parts.scheme != "http" or not parts.hostname:
        raise HttpError(f"unsupported URL {url!r}")
    deadline = time.monotonic() + timeout
    port = parts.port or 80
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    host_header = parts.hostname if port == 80 else f"{parts.hostname}:{port}"
    lines = [
        f"{method} {path} HTTP/1.1",
        f"Host: {host_header}",
        "Connection: close",
        f"Content-Length: {len(body or b'')}",
    ]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    wire = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b"")
    try:
        with socket.create_connection((parts.hostname, port), timeout=timeout) as conn:
            conn.sendall(wire)
            raw = _read_answer(conn, deadline, max_bytes)
    except ConnectionRefusedError:
        raise HttpError("connection refused", refused=True) from None
    except TimeoutError:
        raise HttpError(f"timed out: no answer within {timeout:g}s") from None
    except OSError as err:
        raise HttpError(err.strerror or str(err)) from None
    return _parse(raw)


def _read_answer(conn: socket.socket, deadline: float, max_bytes: int) -> bytes:
    """Until the server closes, or, for an event stream, until its first complete event."""
    data = bytearray()
    event_stream = False
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        conn.settimeout(remaining)
        chunk = conn.recv(65536)
        if not chunk:
            return bytes(data)
        data += chunk
        if len(data) > max_bytes:
            raise HttpError(f"answer larger than {max_bytes} bytes")
        head_end = data.find(b"\r\n\r\n")
        if head_end < 0:
            continue
        if not event_stream:
            event_stream = b"text/event-stream" in data[:head_end].lower()
        if event_stream:  # such a stream may stay open: stop after the first whole event
            body = bytes(data[head_end + 4 :])
            at = body.find(b"data:")
            if at >= 0 and _EVENT_END.search(body, at):
                return bytes(data)


def _parse(raw: bytes) -> Response:
    head, sep, body = raw.partition(b"\r\n\r\n")
    if not sep:
        raise HttpError("malformed HTTP answer")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    try:
        status = int(status_line.split()[1])
    except (IndexError, ValueError):
        raise HttpError(f"malformed status line {status_line[:40]!r}") from None
    headers: dict[str, str] = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if "chunked" in headers.get("transfer-encoding", "").lower():
        body = _dechunk(body)
    elif headers.get("content-length", "").isdigit():
        body = body[: int(headers["content-length"])]
    return Response(status, headers, body)


def _dechunk(body: bytes) -> bytes:
    out = bytearray()
    rest = body
    while rest:
        size_line, sep, rest = rest.partition(b"\r\n")
        if not sep:
            break
        try:
            size = int(size_line.split(b";")[0], 16)
        except ValueError:
            raise HttpError("malformed chunked answer") from None
        if size == 0:
            break
        out += rest[:size]
        rest = rest[size + 2 :]
    return bytes(out)


def _request_tls(
    method: str, url: str, body: bytes | None, headers: Mapping[str, str], timeout: float
) -> Response:
    """https: rare for Agent Mail, so urllib (and ssl) load only here. Redirects are not
    followed (as on plain http): they would carry the Authorization header elsewhere."""
    import urllib.error
    import urllib.request

    class NoRedirects(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirects)
    req = urllib.request.Request(url, data=body, headers=dict(headers), method=method)
    try:
        with opener.open(req, timeout=timeout) as answer:
            return Response(
                answer.status,
                {k.lower(): v for k, v in answer.headers.items()},
                answer.read(MAX_BYTES),
            )
    except urllib.error.HTTPError as err:
        return Response(
            err.code, {k.lower(): v for k, v in err.headers.items()}, err.read(MAX_BYTES)
        )
    except (urllib.error.URLError, OSError, ValueError) as err:
        reason = getattr(err, "reason", err)
        raise HttpError(str(reason), refused=isinstance(reason, ConnectionRefusedError)) from None
