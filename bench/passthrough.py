"""What `gt-mcp <cmd>` costs over `gt <cmd>`: median wall time of each, same stand-in gt, same run.

Goal: overhead <= 30 ms median.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from bench.common import GT_MCP, median, report, time_command


def main(runs: int = 60) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        gt = Path(tmp) / "gt"
        gt.write_text("#!/bin/sh\nexit 0\n")
        gt.chmod(0o755)
        env = {**os.environ, "GT_MCP_GT": str(gt)}
        argv = ["sling", "gt-123", "mayor", "--quality=chrome"]
        time_command([str(gt), *argv], 5, env)  # warm the page cache for both
        time_command([GT_MCP, *argv], 5, env)
        direct = median(time_command([str(gt), *argv], runs, env))
        wrapped = median(time_command([GT_MCP, *argv], runs, env))
    overhead = wrapped - direct
    report(
        "passthrough (gt-mcp sling ... vs gt sling ...)",
        {
            "gt directly (baseline)": f"{direct:.1f} ms median of {runs}",
            "through gt-mcp": f"{wrapped:.1f} ms median of {runs}",
            "overhead": f"{overhead:.1f} ms (goal <= 30 ms) {'OK' if overhead <= 30 else 'OVER'}",
            "ratio": f"{wrapped / direct:.1f}x the baseline",
        },
    )
    return {"direct_ms": direct, "wrapped_ms": wrapped, "overhead_ms": overhead}


if __name__ == "__main__":
    main()
