"""Run every benchmark: `python -m bench` (from the project root, in the installed venv)."""

from __future__ import annotations

import sys

from bench import (
    agent_mail,
    collector,
    host,
    passthrough,
    popup_paint,
    publish,
    status_json,
)

BENCHMARKS = {
    "passthrough": passthrough.main,
    "collector": collector.main,
    "agent_mail": agent_mail.main,
    "popup_paint": popup_paint.main,
    "host": host.main,
    "status_json": status_json.main,
    "publish": publish.main,
}

if __name__ == "__main__":
    chosen = sys.argv[1:] or list(BENCHMARKS)
    for name in chosen:
        BENCHMARKS[name]()
