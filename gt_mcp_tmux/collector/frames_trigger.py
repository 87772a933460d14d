"""When the popups' first frames are rendered again (ui/frames.py): the collector's side.

The collector's loop imports no rich, so it renders nothing itself: when the cache changed and a
client is attached, it starts one short-lived renderer (`python -m gt_mcp_tmux.ui.frames` with
the clients' sizes), at most every `EVERY` seconds and within `SHARE` of a core, one at a
time, killed (its process group) past `LIMIT` seconds. Nothing changed, or no client: no
process, and no tmux call.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys

from gt_mcp_tmux.sources.tmux.runner import run_tmux

#: At most one renderer this often (s): a popup opened in between shows the frame it has (which
#: says when its data is from: `as of 14:03:07`), and repaints it at once when the data moved
#: on; each popup also keeps its own first screen as the frame for next time. A renderer run is
#: mostly Python importing rich (about 0.2-0.6 s of CPU): every 30 s would be 1-2% of a core,
#: so the pause after a run is also its CPU over `SHARE`.
EVERY = 30.0
#: The share of one core the renderers may take together (0.4 s of CPU: a run every 80 s).
SHARE = 0.005
#: The longest pause the share may ask for (a slow machine's frames are still this fresh).
MOST_EVERY = 120.0
#: A renderer still running after this long is killed.
LIMIT = 30.0
#: Frames for at most this many client sizes.
MOST_SIZES = 4
#: What the renderer is told: each client's size, and where popup.sh looks for frames now.
CLIENTS_FORMAT = "#{client_width}x#{client_height}\t#{@_gtmcp_frames}"


class FrameTrigger:
    """Offered every cycle whether the cache changed; starts the renderer when due."""

    def __init__(self, socket_path: str, every: float = EVERY) -> None:
        self.socket_path = socket_path
        self.every = every
        self.pending = True  # the frames left by an earlier collector may be of other data
        self.next_at = 0.0
        self.process: subprocess.Popen[bytes] | None = None
        self.started_at = 0.0
        self.starts = 0  # renderers started (the tests and the bench count them)
        self.cost = 0.0  # CPU seconds of the last renderer run, itself and its children

    def offer(self, changed: bool, now: float) -> None:
        """`changed`: the cache was rewritten with other content; `now`: time.monotonic()."""
        self.pending = self.pending or changed
        if self.process is not None:
            if not self._reaped():
                if now - self.started_at > LIMIT:
                    self.stop()
                return
            self.process = None
            # a costly run (a slow machine, a big fleet) waits longer for the next
            self.next_at = max(self.next_at, self.started_at + min(self.cost / SHARE, MOST_EVERY))
        if not self.pending or now < self.next_at:
            return
        self.next_at = now + self.every
        listed = run_tmux(["-S", self.socket_path, "list-clients", "-F", CLIENTS_FORMAT])
        if listed is None or listed.returncode != 0:
            return
        sizes: list[str] = []
        folders: set[str] = set()
        for line in listed.stdout.splitlines():
            size, _, folder = line.partition("\t")
            folders.add(folder)
            if size not in sizes and len(sizes) < MOST_SIZES:
                sizes.append(size)
        if not sizes:
            return  # nobody to show a popup to: render when a client is there
        self.pending = False
        argv = [sys.executable, "-m", "gt_mcp_tmux.ui.frames", *sizes]
        for folder in sorted(folders):
            argv += ["--known", folder]  # the renderer names its folder when tmux has another
        environment = {**os.environ, "TMUX": f"{self.socket_path},0,0"}
        try:
            self.process = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env=environment,
                start_new_session=True,  # its own process group: killed whole past LIMIT
            )
        except OSError:
            return
        self.started_at = now
        self.starts += 1
        self.cost = 0.0  # learnt when it is reaped here (not when someone else waited for it)

    def _reaped(self) -> bool:
        """The renderer has ended (reaped here, to learn its CPU: `cost`)."""
        assert self.process is not None
        if self.process.returncode is not None:
            return True
        try:
            pid, status, usage = os.wait4(self.process.pid, os.WNOHANG)
        except ChildProcessError:  # reaped elsewhere
            self.process.returncode = self.process.returncode or 0
            return True
        if pid == 0:
            return False
        self.process.returncode = os.waitstatus_to_exitcode(status)
        self.cost = usage.ru_utime + usage.ru_stime
        return True

    def stop(self) -> None:
        """Kill a renderer still running (and whatever it started)."""
        if self.process is None:
            return
        with contextlib.suppress(OSError):
            os.killpg(self.process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired, OSError):
            self.process.wait(timeout=2)
        self.process = None
