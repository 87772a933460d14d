"""What the real-town and real-city kits (tests/realtown.py, tests/realcity.py) share: finding a
real binary, saying loudly when something real is missing, compiling the stand-in agent, a command on the orchestrator's own tmux server."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import pytest


@dataclass(frozen=True, slots=True)
class RealKit:
    """One real orchestrator's test kit: `what` it is (in the loud line), the `variable` naming
    its binary, and the `default` binary (the shared copy beside the project)."""

    what: str
    variable: str
    default: Path

    def missing(self, reason: str) -> NoReturn:
        """Loud: a failure in CI, a skip (with the reason) elsewhere."""
        message = f"REAL {self.what} MISSING: {reason} (set {self.variable})"
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)

    def binary(self) -> Path:
        configured = os.environ.get(self.variable, "")
        path = Path(configured) if configured else self.default
        if not (path.is_file() and os.access(path, os.X_OK)):
            self.missing(f"no executable {self.default.name} at {path}")
        return path

    def compile_agent(self, source: Path, binary: Path) -> Path:
        """The stand-in agent `source` (gtagent.c) compiled to `binary`, unless it is there."""
        if binary.exists():
            return binary
        if not source.is_file():
            self.missing(f"no stand-in agent source at {source}")
        try:
            subprocess.run(["cc", "-O2", "-o", str(binary), str(source)], check=True, timeout=120)
        except (OSError, subprocess.CalledProcessError) as err:
            self.missing(f"cannot compile {source}: {err}")
        return binary


def tmux_on(
    socket_path: str, env: dict[str, str], args: Sequence[str], check: bool
) -> subprocess.CompletedProcess[str]:
    """`tmux -S socket_path args` in the orchestrator's environment, bounded."""
    return subprocess.run(
        ["tmux", "-S", socket_path, *args],
        capture_output=True,
        text=True,
        check=check,
        timeout=20,
        env=env,
    )
