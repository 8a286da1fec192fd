"""The page's batch: the replications `coalition-sim batch` would run, held in memory.

One function, `run_batch`, stands between the page and the Python API (`sim.batch`).
"""

import time
from dataclasses import dataclass
from datetime import date

import numpy as np

from sim.api import batch
from sim.engine.world import World
from sim.results.outcomes import QUANTILES, date_quantiles, wilson


@dataclass
class BatchView:
    """A batch of one point: outcome, appointment day and supporters of every replication."""

    world: World
    seed: int
    outcome: np.ndarray  # (R,) candidate index; len(candidates) for deadlock
    day: np.ndarray  # (R,) date ordinal of the appointment, 0 on deadlock
    supporters: np.ndarray  # (R, T+1, C), a finished replication carried forward
    seconds: float

    @property
    def labels(self) -> list[str]:
        return [*self.world.candidates, "deadlock"]

    def probabilities(self) -> list[dict]:
        """Per outcome: probability, 95% Wilson interval, median appointment date."""
        n = len(self.outcome)
        counts = np.bincount(self.outcome, minlength=len(self.labels))
        lo, hi = wilson(counts, n)
        rows = []
        for k, label in enumerate(self.labels):
            q = (
                date_quantiles(self.day[self.outcome == k])
                if k < len(self.world.candidates)
                else None
            )
            rows.append({"outcome": label, "probability": counts[k] / n, "low": float(lo[k]),
                         "high": float(hi[k]), "median": q[2] if q else None})  # fmt: skip
        return rows

    def fan_quantiles(self) -> np.ndarray:
        """(5, T+1, C) quantiles 5/25/50/75/95% of supporters by round."""
        return np.quantile(self.supporters, QUANTILES, axis=0)

    def dates_histogram(self) -> tuple[list[str], np.ndarray, int]:
        """Appointment dates (every round date in the span), counts (D*C) by winner, deadlocks."""
        c = len(self.world.candidates)
        won = self.outcome < c
        days = np.unique(self.day[won])
        if len(days):
            span = [d.toordinal() for d in self.world.dates if days[0] <= d.toordinal() <= days[-1]]
            days = np.union1d(days, span)
        at = np.searchsorted(days, self.day[won]) * c + self.outcome[won]
        counts = np.bincount(at, minlength=len(days) * c)
        labels = [date.fromordinal(int(d)).isoformat() for d in days]
        return labels, counts, int((~won).sum())


def run_batch(world: World, runs: int, seed: int) -> BatchView:
    """Run replications 0..runs-1 of the world's scenario through `sim.batch`, in memory.

    Args:
        world: the compiled scenario (with the page's overrides).
        runs: replications.
        seed: the batch seed (`--seed`); the replications get the seeds `coalition-sim
            batch` gives them.
    Returns:
        the batch, in memory.
    """
    began = time.perf_counter()
    results = batch(world.scenario, runs=runs, seed=seed, progress=False)
    ok = results.ok(0)
    outcome = results.outcome_codes()[ok]
    rounds = results.columns["appointed_round"][ok].astype(int)
    ordinals = np.array([d.toordinal() for d in world.dates])
    day = np.where(outcome < len(world.candidates), ordinals[np.maximum(rounds, 0)], 0)
    supporters = results.supporters(0)
    return BatchView(world, seed, outcome, day, supporters, time.perf_counter() - began)
