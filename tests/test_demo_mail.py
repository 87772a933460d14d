"""Seeding Agent Mail for the demo against the tool shapes of servers not installed here.

Upstream >= v0.3.1 (its app.py at v0.3.1: `register_agent` answers a `registration_token`;
`send_message` wants it as `sender_token`; `mark_message_read` and `file_reservation_paths` as
`registration_token`; a missing or wrong one is a tool error naming the parameter). Older servers
know no such arguments, so they must not get them. The real fork and upstream 0.2.1 are seeded
for real in test_demo.py.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from gt_mcp_tmux.demo.mail import MESSAGES, RESERVATIONS, MailSetupError, seed_mail

TOKEN_TOOLS = {
    "send_message": ("sender_name", "sender_token"),
    "mark_message_read": ("agent_name", "registration_token"),
    "file_reservation_paths": ("agent_name", "registration_token"),
}


class ToolServer:
    """Answers `tools/call` like upstream >= 0.3.1 (`tokens`) or an older server (unknown
    arguments refused, as a strict tool schema would)."""

    def __init__(self, tokens: bool) -> None:
        self.tokens = tokens
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.issued: dict[tuple[str, str], str] = {}
        self.next_id = 0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                answer = fake.answer(body["params"]["name"], body["params"]["arguments"])
                raw = json.dumps({"jsonrpc": "2.0", "id": body["id"], "result": answer}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def answer(self, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
        self.calls.append((tool, arguments))
        if tool in TOKEN_TOOLS:
            who, param = TOKEN_TOOLS[tool]
            if not self.tokens and param in arguments:
                return failed(f"Unexpected keyword argument {param!r}")
            issued = self.issued.get((arguments["project_key"], arguments[who]))
            if self.tokens and arguments.get(param) != issued:
                return failed(
                    f"AUTHENTICATION_REQUIRED: {tool} requires {param} matching a registered agent"
                )
        if tool == "register_agent":
            result = {"name": arguments["name"], "project_key": arguments["project_key"]}
            if self.tokens:
                token = f"tok-{len(self.issued)}"
                self.issued[(arguments["project_key"], arguments["name"])] = token
                result["registration_token"] = token
            return done(result)
        if tool == "send_message":
            self.next_id += 1
            return done({"deliveries": [{"payload": {"id": self.next_id}}]})
        return done({"ok": True})

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def done(result: dict[str, Any]) -> dict[str, Any]:
    return {
        "content": [{"type": "text", "text": json.dumps(result)}],
        "structuredContent": result,
        "isError": False,
    }


def failed(text: str) -> dict[str, Any]:
    return {"content": [{"type": "text", "text": f"Error calling tool:\n{text}"}], "isError": True}


@pytest.fixture(params=[True, False], ids=["v0.3.1-tokens", "older"])
def tool_server(request: pytest.FixtureRequest) -> Iterator[ToolServer]:
    server = ToolServer(tokens=request.param)
    yield server
    server.close()


def test_seeding_proves_each_agent_only_to_a_server_that_asks(
    tool_server: ToolServer, tmp_path: Path
) -> None:
    summary = seed_mail(tool_server.url, None, tmp_path)
    assert summary.startswith("3 projects, 5 agents")
    sent = [args for tool, args in tool_server.calls if tool == "send_message"]
    held = [args for tool, args in tool_server.calls if tool == "file_reservation_paths"]
    assert (len(sent), len(held)) == (len(MESSAGES), len(RESERVATIONS))
    for tool, args in tool_server.calls:
        if tool in TOKEN_TOOLS:
            assert (TOKEN_TOOLS[tool][1] in args) is tool_server.tokens, (tool, args)


def test_a_refused_tool_is_one_line(tmp_path: Path) -> None:
    server = ToolServer(tokens=True)
    server.issued[("never", "anyone")] = "x"
    original = server.answer

    def refuse_reservations(tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
        if tool == "file_reservation_paths":
            return failed("RESERVATION_DENIED:\nnot today")
        return original(tool, arguments)

    server.answer = refuse_reservations  # type: ignore[method-assign]
    try:
        with pytest.raises(MailSetupError) as raised:
            seed_mail(server.url, None, tmp_path)
    finally:
        server.close()
    assert "\n" not in str(raised.value)
    assert "file_reservation_paths failed" in str(raised.value) and "not today" in str(raised.value)
