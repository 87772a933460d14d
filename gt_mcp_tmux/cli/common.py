"""What every gt-mcp command shares: the parser class, the settings (loaded once per command),
the snapshot a command shows, the console, and running a view inside a popup."""

from __future__ import annotations

import argparse
import functools
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from gt_mcp_tmux.config import ConfigError, Settings, load_settings
from gt_mcp_tmux.output import error_line

if TYPE_CHECKING:
    from rich.console import Console

    from gt_mcp_tmux.model import Snapshot


class CommandParser(argparse.ArgumentParser):
    """argparse that fails with our one-line error format instead of a usage block."""

    def error(self, message: str) -> None:  # type: ignore[override]
        error_line(f"{message} (see `gt-mcp --help`)")
        raise SystemExit(2)


@functools.cache
def loaded_settings(strict: bool) -> tuple[Settings, tuple[str, ...]]:
    """Defaults < config file < environment < this tmux server's options, read once per command.

    `strict`: a bad option stops the command with its one line; otherwise it is named in the
    returned problems and its default used (the diagnostics run on)."""
    from gt_mcp_tmux.config import read_tmux_options

    tmux_values = read_tmux_options() if os.environ.get("TMUX") else {}
    settings, problems = load_settings(tmux_values=tmux_values, strict=strict)
    return settings, tuple(problems)


def command_settings(strict: bool = True) -> Settings:
    return loaded_settings(strict)[0]


def command_snapshot(settings: Settings) -> Snapshot:
    """The snapshot the commands show: $GT_MCP_SNAPSHOT, the fresh cache, or one collection."""
    from gt_mcp_tmux.collector.views_data import SNAPSHOT_ENV, cached_or_collected

    snapshot = cached_or_collected(settings)
    if snapshot is None:
        raise ConfigError(f"cannot read the snapshot in ${SNAPSHOT_ENV}")
    return snapshot


def console() -> Console:
    from gt_mcp_tmux.output import console as make_console

    return make_console()


def interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def in_popup(body: Callable[[], None]) -> int:
    """Run a popup's body; on failure show one line and wait for a key before closing."""
    if interactive():
        # The terminal knows its size; COLUMNS/LINES inherited from wherever the tmux server was
        # started would pin rich to a stale one (a popup is not the size of that shell).
        os.environ.pop("COLUMNS", None)
        os.environ.pop("LINES", None)
    try:
        body()
        return 0
    except (KeyboardInterrupt, EOFError):
        return 0
    except Exception as err:
        if os.environ.get("GT_MCP_DEBUG"):
            raise
        # our own one-line errors say what is wrong as they are; anything else names its kind
        what = str(err) if isinstance(err, ConfigError) else f"{type(err).__name__}: {err}"
        sys.stdout.write("\n" + " ".join(f"gt-mcp: {what}".split()) + "\n(any key closes)")
        sys.stdout.flush()
        if interactive():
            from gt_mcp_tmux.ui.keys import KeyReader

            with KeyReader() as keys:
                keys.read(None)
            return 0  # seen and closed: a failure status would make tmux show the command line
        return 1


def in_popup_returning(body: Callable[[], int]) -> int:
    """`in_popup` for a body that has an exit code of its own."""
    outcome: list[int] = []
    failed = in_popup(lambda: outcome.append(body()))
    return failed or (outcome[0] if outcome else 0)
