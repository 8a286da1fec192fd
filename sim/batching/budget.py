"""What a batch will cost before it starts: peak memory and time, estimated from its shape.

The figures are upper bounds (every replication is assumed to play every round),
fitted to benchmarks/RESULTS.md: a replication-round costs about
0.3 us x N^0.86 x C^0.78 in `simulate`, and a chunk's tables about 1.5x more.
"""

import os
from dataclasses import dataclass

from sim.batching.plan import Plan
from sim.errors import Problem, ScenarioError
from sim.scenario.limits import rounds_of

WARN_SECONDS = 600.0  # say what a batch will cost when it may take longer than this
WARN_SHARE = 0.5  # ... or may need more than this share of the free memory
US_PER_CELL = 0.3  # microseconds per replication-round at N^0.86 x C^0.78 = 1
TABLES_FACTOR = 2.5  # run_chunk time / simulate time (benchmarks: simulate is 41% of it)


@dataclass(frozen=True)
class Estimate:
    """Upper bounds: peak bytes in memory and seconds of wall time."""

    memory: int
    seconds: float

    def describe(self) -> str:
        return f"estimated up to {self.memory / 2**30:,.2f} GB of memory and {self.seconds:,.0f} s"


def available_memory() -> int:
    """Bytes of memory free for new work (MemAvailable), or all of it if unknown."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def estimate(plan: Plan, workers: int) -> Estimate:
    """Peak memory and wall time of running `plan` on `workers` processes."""
    scenario = plan.points[0].scenario
    n, c = len(scenario.members), len(scenario.candidates)
    rounds = rounds_of(scenario) + 1
    # Per replication in a worker: stances (int16) and objections (bool) per round, the
    # trajectory arrays, and the text of its support rows (~45 bytes each) and declarations.
    per_rep = rounds * (2 * n + n * c + c + 12 * c + 2 + 45 * c) + 30 * n * c
    in_flight = min(plan.chunk, plan.runs) * per_rep * 2 * max(1, workers)
    # Merging keeps every replication's trajectory arrays of the batch at once.
    merged = plan.total_runs * rounds * (12 * c + 2)
    seconds = plan.total_runs * rounds * US_PER_CELL * 1e-6 * n**0.86 * c**0.78 * TABLES_FACTOR
    cores = min(max(1, workers), os.cpu_count() or 1)
    return Estimate(memory=int(in_flight + merged), seconds=seconds / cores)


def check_budget(plan: Plan, workers: int) -> list[str]:
    """Lines to show before a costly batch; raise ScenarioError if it cannot fit in memory."""
    cost = estimate(plan, workers)
    free = available_memory()
    if cost.memory > free:
        msg = (f"{plan.total_runs:,} replications: {cost.describe()}, more memory than is free "
               f"({free / 2**30:,.1f} GB); run fewer replications or fewer workers")  # fmt: skip
        raise ScenarioError([Problem("batch", None, "", msg)])
    if cost.seconds > WARN_SECONDS or cost.memory > WARN_SHARE * free:
        return [f"{plan.total_runs:,} replications: {cost.describe()}"]
    return []
