"""One kept-alive HTTP/1.1 connection to an Agent Mail server, for the many small reads of one
refresh: a connection set up once instead of once per request.

Plain `http://` only (https goes through `http_lite`, one connection per request). Each answer is
read to its `Content-Length` or last chunk, at most `max_bytes`, before one overall deadline; an
event stream is read to its first whole event and the connection then closed. Anything unusual
(the server closed, a malformed answer) closes the connection: the next request opens a new one.
A request that fails on a reused connection before any byte came back is sent once more on a new
one (the server may have closed an idle connection). Raises only `HttpError`.
"""

from __future__ import annotations

import re
import socket
import time
import urllib.parse
from collections.abc import Mapping

from gt_mcp_tmux.sources.http_lite import HttpError, Response

_EVENT_END = re.compile(rb"\r?\n\r?\n")
_HEAD_LIMIT = 64 * 1024


class _Closed(Exception):
    """The server closed a reused connection before answering."""


class KeepAlive:
    """Requests to one `http://host:port` over a connection kept open between them."""

    def __init__(self, base_url: str) -> None:
        parts = urllib.parse.urlsplit(base_url)
        if parts.scheme != "http" or not parts.hostname:
            raise HttpError(f"unsupported URL {base_url!r}")
        self.host = parts.hostname
        self.port = parts.port or 80
        self._host_header = self.host if self.port == 80 else f"{self.host}:{self.port}"
        self._sock: socket.socket | None = None
        self._buffer = bytearray()
        self._answered = False  # a byte of the current answer came back
        self.connections = 0  # opened so far (for the benchmark and the tests)
        self.requests = 0

    def close(self) -> None:
        sock, self._sock = self._sock, None
        self._buffer.clear()
        if sock is not None:
            sock.close()

    def __enter__(self) -> KeepAlive:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float = 2.0,
        max_bytes: int = 16 * 1024 * 1024,
    ) -> Response:
        deadline = time.monotonic() + timeout
        lines = [
            f"{method} {path} HTTP/1.1",
            f"Host: {self._host_header}",
            "Connection: keep-alive",
            f"Content-Length: {len(body or b'')}",
        ]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        wire = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b"")
        self.requests += 1
        reused = self._sock is not None
        try:
            try:
                return self._exchange(wire, deadline, max_bytes)
            except (_Closed, ConnectionResetError, BrokenPipeError):
                if not reused or self._answered:
                    raise
                self.close()  # the server dropped the idle connection: once more, on a new one
                return self._exchange(wire, deadline, max_bytes)
        except _Closed:
            self.close()
            raise HttpError("connection closed without an answer") from None
        except HttpError:
            self.close()
            raise
        except ConnectionRefusedError:
            self.close()
            raise HttpError("connection refused", refused=True) from None
        except TimeoutError:
            self.close()
            raise HttpError(f"timed out: no answer within {timeout:g}s") from None
        except OSError as err:
            self.close()
            raise HttpError(err.strerror or str(err)) from None

    # --- the exchange -------------------------------------------------------------------------

    def _connected(self, deadline: float) -> socket.socket:
        if self._sock is None:
            remaining = max(0.001, deadline - time.monotonic())
            self._sock = socket.create_connection((self.host, self.port), timeout=remaining)
            self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.connections += 1
        return self._sock

    def _recv(self, deadline: float) -> bytes:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        assert self._sock is not None
        self._sock.settimeout(remaining)
        return self._sock.recv(65536)

    def _fill(self, deadline: float, max_bytes: int, at_start: bool) -> None:
        chunk = self._recv(deadline)
        if not chunk:
            if at_start and not self._buffer:
                raise _Closed
            raise HttpError("connection closed in the middle of an answer")
        self._buffer += chunk
        self._answered = True
        if len(self._buffer) > max_bytes + _HEAD_LIMIT:
            raise HttpError(f"answer larger than {max_bytes} bytes")

    def _exchange(self, wire: bytes, deadline: float, max_bytes: int) -> Response:
        sock = self._connected(deadline)
        self._buffer.clear()
        self._answered = False
        sock.sendall(wire)
        while (end := self._buffer.find(b"\r\n\r\n")) < 0:
            if len(self._buffer) > _HEAD_LIMIT:
                raise HttpError("malformed HTTP answer (headers too long)")
            self._fill(deadline, max_bytes, at_start=True)
        status, headers = _head(bytes(self._buffer[:end]))
        del self._buffer[: end + 4]
        if "text/event-stream" in headers.get("content-type", "").lower():
            body = self._first_event(deadline, max_bytes)
            self.close()  # such a stream may stay open
            return Response(status, headers, body)
        if "chunked" in headers.get("transfer-encoding", "").lower():
            body = self._chunked(deadline, max_bytes)
        elif headers.get("content-length", "").isdigit():
            size = int(headers["content-length"])
            if size > max_bytes:
                raise HttpError(f"answer larger than {max_bytes} bytes")
            while len(self._buffer) < size:
                self._fill(deadline, max_bytes, at_start=False)
            body = bytes(self._buffer[:size])
            del self._buffer[:size]
        else:  # no length: the body runs to the close
            while True:
                try:
                    self._fill(deadline, max_bytes, at_start=False)
                except HttpError as err:
                    if "closed" not in str(err):
                        raise
                    break
            body = bytes(self._buffer)
            self.close()
            return Response(status, headers, body)
        connection = headers.get("connection", "").lower()
        if connection == "close" or (
            headers[":version"] == "HTTP/1.0" and connection != "keep-alive"
        ):
            self.close()
        return Response(status, headers, body)

    def _first_event(self, deadline: float, max_bytes: int) -> bytes:
        while True:
            at = self._buffer.find(b"data:")
            if at >= 0 and _EVENT_END.search(self._buffer, at):
                return bytes(self._buffer)
            self._fill(deadline, max_bytes, at_start=False)

    def _chunked(self, deadline: float, max_bytes: int) -> bytes:
        out = bytearray()
        while True:
            while (end := self._buffer.find(b"\r\n")) < 0:
                self._fill(deadline, max_bytes, at_start=False)
            try:
                size = int(bytes(self._buffer[:end]).split(b";")[0], 16)
            except ValueError:
                raise HttpError("malformed chunked answer") from None
            del self._buffer[: end + 2]
            if size == 0:
                while self._buffer.find(b"\r\n") < 0:  # the (empty) trailer
                    self._fill(deadline, max_bytes, at_start=False)
                del self._buffer[: self._buffer.find(b"\r\n") + 2]
                return bytes(out)
            if len(out) + size > max_bytes:
                raise HttpError(f"answer larger than {max_bytes} bytes")
            while len(self._buffer) < size + 2:
                self._fill(deadline, max_bytes, at_start=False)
            out += self._buffer[:size]
            del self._buffer[: size + 2]


def _head(raw: bytes) -> tuple[int, dict[str, str]]:
    status_line, *header_lines = raw.decode("latin-1").split("\r\n")
    try:
        status = int(status_line.split()[1])
    except (IndexError, ValueError):
        raise HttpError(f"malformed status line {status_line[:40]!r}") from None
    headers: dict[str, str] = {":version": status_line.split(" ", 1)[0].upper()}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers
