"""Run every benchmark: `python -m bench` (from the project root, in the installed venv);
`python -m bench NAME ...` some of them; `--quick` makes each shorter where it can (the growth
matrix's three rows, shorter windows). A benchmark that fails says why in one line and the others
still run; the exit status is then 1."""

from __future__ import annotations

import os
import sys

from bench import (
    agent_mail,
    collector,
    dashboard,
    growth,
    host,
    passthrough,
    popup_paint,
    publish,
    status_json,
    town_search,
)

BENCHMARKS = {
    "passthrough": passthrough.main,
    "collector": collector.main,
    "growth": growth.main,
    "agent_mail": agent_mail.main,
    "popup_paint": popup_paint.main,
    "dashboard": dashboard.main,
    "host": host.main,
    "status_json": status_json.main,
    "publish": publish.main,
    "town_search": town_search.main,
}

if __name__ == "__main__":
    # every program the benchmarks start reads its .pyc files, as an installed package does
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    args = sys.argv[1:]
    if "--quick" in args:
        args.remove("--quick")
        os.environ["BENCH_QUICK"] = "1"
    chosen = args or list(BENCHMARKS)
    unknown = [name for name in chosen if name not in BENCHMARKS]
    if unknown:
        sys.exit(f"bench: no benchmark {unknown[0]!r}; there are: {', '.join(BENCHMARKS)}")
    failed: list[str] = []
    for name in chosen:
        try:
            BENCHMARKS[name]()
        except SystemExit as stop:
            if stop.code not in (None, 0):
                failed.append(name)
                print(f"\n== bench {name}: FAILED: {stop.code}", flush=True)
        except Exception as err:  # one benchmark's failure must not hide the others' figures
            failed.append(name)
            print(f"\n== bench {name}: FAILED: {type(err).__name__}: {err}", flush=True)
    if failed:
        sys.exit(f"bench: {len(failed)} of {len(chosen)} failed: {', '.join(failed)}")
