"""The small HTTP client: the answers servers really give, and every way a call can fail."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator

import pytest

from gt_mcp_tmux.sources.http_lite import HttpError, request
from tests.conftest import closed_port

Handler = Callable[[socket.socket, bytes], None]


@pytest.fixture
def raw_server() -> Iterator[Callable[[Handler], str]]:
    """A loopback server answering each connection with a handler: `serve(handler) -> base url`."""
    listeners: list[socket.socket] = []

    def serve(handler: Handler) -> str:
        listener = socket.create_server(("127.0.0.1", 0))
        listeners.append(listener)

        def loop() -> None:
            while True:
                try:
                    conn, _ = listener.accept()
                except OSError:
                    return
                with conn:
                    request_bytes = conn.recv(65536)
                    handler(conn, request_bytes)

        threading.Thread(target=loop, daemon=True).start()
        return f"http://127.0.0.1:{listener.getsockname()[1]}"

    yield serve
    for listener in listeners:
        listener.close()


def answer(status: str, headers: dict[str, str], body: bytes) -> Handler:
    def handler(conn: socket.socket, _: bytes) -> None:
        head = f"HTTP/1.1 {status}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        conn.sendall(head.encode() + b"\r\n" + body)

    return handler


def test_content_length_and_what_was_sent(raw_server: Callable[[Handler], str]) -> None:
    seen: list[bytes] = []

    def handler(conn: socket.socket, got: bytes) -> None:
        seen.append(got)
        answer(
            "200 OK",
            {"Content-Length": "15", "Content-Type": "application/json"},
            b'{"status":"ok"}trailing-garbage',
        )(conn, got)

    base = raw_server(handler)
    response = request("POST", base + "/mcp/?x=1", b'{"a":1}', {"Authorization": "Bearer s3cret"})
    assert response.status == 200 and json.loads(response.body) == {"status": "ok"}
    assert response.headers["content-type"] == "application/json"
    sent = seen[0].decode()
    assert sent.startswith("POST /mcp/?x=1 HTTP/1.1\r\n") and "Authorization: Bearer s3cret" in sent
    assert sent.endswith('\r\n\r\n{"a":1}')


def test_chunked(raw_server: Callable[[Handler], str]) -> None:
    base = raw_server(
        answer(
            "200 OK", {"Transfer-Encoding": "chunked"}, b"5\r\nhello\r\n7\r\n, world\r\n0\r\n\r\n"
        )
    )
    assert request("GET", base + "/").body == b"hello, world"


def test_event_stream_that_stays_open(raw_server: Callable[[Handler], str]) -> None:
    hold = threading.Event()

    def handler(conn: socket.socket, got: bytes) -> None:
        answer(
            "200 OK",
            {"Content-Type": "text/event-stream"},
            b'event: message\r\ndata: {"result": 1}\r\n\r\n',
        )(conn, got)
        hold.wait(5)  # never closes on its own

    base = raw_server(handler)
    response = request("POST", base + "/mcp/", b"{}", timeout=3)
    hold.set()
    assert b'data: {"result": 1}' in response.body


def test_refused_timeout_and_garbage(raw_server: Callable[[Handler], str]) -> None:
    with pytest.raises(HttpError) as refused:
        request("GET", f"http://127.0.0.1:{closed_port()}/")
    assert refused.value.refused

    def say_nothing(conn: socket.socket, got: bytes) -> None:
        threading.Event().wait(3)

    silent = raw_server(say_nothing)
    with pytest.raises(HttpError, match=r"timed out: no answer within 0\.3s"):
        request("GET", silent + "/", timeout=0.3)
    garbage = raw_server(lambda conn, got: conn.sendall(b"\x00\x01 not http at all\r\n\r\n"))
    with pytest.raises(HttpError, match="malformed"):
        request("GET", garbage + "/")
    with pytest.raises(HttpError, match="unsupported"):
        request("GET", "ftp://example/")


def test_huge_answers_are_cut_off(raw_server: Callable[[Handler], str]) -> None:
    base = raw_server(answer("200 OK", {}, b"x" * 200_000))
    with pytest.raises(HttpError, match="larger than"):
        request("GET", base + "/", max_bytes=100_000)


def test_plain_http_does_not_load_ssl() -> None:
    code = (
        "import sys; import gt_mcp_tmux.sources.http_lite;"
        "print(sorted(m for m in ('ssl', 'email', 'http.client', 'urllib.request') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_https_failures_are_http_errors(raw_server: Callable[[Handler], str]) -> None:
    with pytest.raises(HttpError) as refused:
        request("GET", f"https://127.0.0.1:{closed_port()}/")
    assert refused.value.refused
    plain = raw_server(answer("200 OK", {}, b"not tls"))  # TLS to a plain server: no answer
    with pytest.raises(HttpError):
        request("GET", plain.replace("http://", "https://") + "/", timeout=2)
