"""How soon the next collection cycle may run: every `files_interval`, unless the collector
costs more of a core than `collector_cpu` allows.

A cycle's cost grows with the fleet (1,000 agents whose panes print: tens of milliseconds of
CPU, every agent merged, judged and written to the cache), and the workers' (gt's answers
parsed, Agent Mail read) come on top. Rather than spend a few percent of a core on a bar that
changes a little every second, the collector's CPU since the last cycle began (all its threads)
sets the pause before the next: `c` seconds of CPU wait `c / share`, so the process stays
within the share; never longer than `MOST_GAP`, so the bar and the cache follow even a
1,000-agent fleet within seconds. A small fleet (a few ms a cycle) runs every `files_interval`
as before. What must not wait (a user's request: `gt-mcp queue ack`, a jump's acknowledgement,
SIGUSR1; an ESTOP appearing in the town's folder) runs `interval` after the last cycle whatever
the budget.
"""

from __future__ import annotations

from dataclasses import dataclass

#: The longest pause the budget may make between two cycles, in seconds.
MOST_GAP = 10.0


@dataclass
class CycleBudget:
    """`share`: of one core (0.01 = 1%); 0 = no budget. `interval`: the ordinary pause."""

    share: float
    interval: float = 1.0
    #: The longest pause: `MOST_GAP`, or less so that the bar's heartbeat (every third of
    #: `stale_after`) is never late.
    most: float = MOST_GAP
    last_start: float = 0.0
    last_cost: float = 0.0

    def gap(self) -> float:
        """The pause the last cycle's cost asks for, between `interval` and `most`."""
        if self.share <= 0:
            return self.interval
        return min(max(self.interval, self.last_cost / self.share), max(self.most, self.interval))

    def next_at(self, urgent: bool = False) -> float:
        """When (monotonic) the next cycle may start; `urgent`: only `interval` after the last."""
        return self.last_start + (self.interval if urgent else self.gap())

    def ran(self, started: float, cpu_seconds: float) -> None:
        """Record a cycle that started at `started` (monotonic); `cpu_seconds`: the process's
        CPU since the cycle before it started."""
        self.last_start = started
        self.last_cost = max(cpu_seconds, 0.0)
