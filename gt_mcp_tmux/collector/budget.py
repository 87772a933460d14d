"""How soon the next collection cycle may run: every `files_interval`, unless cycles cost more
of a core than `collector_cpu` allows.

A cycle's cost grows with the fleet (1,000 agents whose panes print: tens of milliseconds of
CPU, every agent merged, judged and written to the cache). Rather than spend a few percent of a
core on a bar that changes a little every second, a cycle that cost `c` seconds of CPU is
followed by a pause of at least `c / share`, so the cycles together stay within the share; never
longer than `MOST_GAP`, so the bar and the cache follow a big fleet within seconds. A small fleet
(a cycle of a few ms) runs every `files_interval` as before. What must not wait (a user's
request: `gt-mcp queue ack` signals the collector; an ESTOP appearing in the town's folder) runs
after `files_interval` whatever the budget.
"""

from __future__ import annotations

from dataclasses import dataclass

#: The longest pause the budget may make between two cycles, in seconds.
MOST_GAP = 5.0


@dataclass
class CycleBudget:
    """`share`: of one core (0.01 = 1%); 0 = no budget. `interval`: the ordinary pause."""

    share: float
    interval: float = 1.0
    last_start: float = 0.0
    last_cost: float = 0.0

    def gap(self) -> float:
        """The pause the last cycle's cost asks for, between `interval` and `MOST_GAP`."""
        if self.share <= 0:
            return self.interval
        return min(max(self.interval, self.last_cost / self.share), max(MOST_GAP, self.interval))

    def next_at(self, urgent: bool = False) -> float:
        """When (monotonic) the next cycle may start; `urgent`: only `interval` after the last."""
        return self.last_start + (self.interval if urgent else self.gap())

    def ran(self, started: float, cpu_seconds: float) -> None:
        """Record a cycle that started at `started` (monotonic) and cost `cpu_seconds`."""
        self.last_start = started
        self.last_cost = max(cpu_seconds, 0.0)
