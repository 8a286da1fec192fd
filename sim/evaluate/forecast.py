"""What a batch of replications predicts, in the form scores need.

A `Forecast` is built from a `Results` (a batch's, or a History's in memory: calibration
evaluates thousands of these); a `CountedForecast` from a batch's `Summary`, tallied chunk
by chunk, so that `score` runs in memory flat in the number of runs. Both answer the
scores' questions with the same numbers, bit for bit.
"""

from dataclasses import dataclass
from datetime import date
from functools import cached_property

import numpy as np

from sim.engine.history import History
from sim.engine.world import World
from sim.results.outcomes import DEADLOCK, QUANTILES, counted_quantiles, quantiles
from sim.results.results import Results
from sim.results.summary import Summary, linear_quantiles


@dataclass
class Forecast:
    """Per replication: the outcome, its round, supporters by round, holdouts; and
    per member x candidate, the mean round of first declaration (never = one past the end)."""

    world: World
    outcomes: list[str]  # winner id, or DEADLOCK
    appointed_round: np.ndarray  # (R,), -1 on deadlock
    supporters: np.ndarray  # (R, T+1, C)
    first_round: dict[tuple[str, str], float]
    holdouts: list[list[str]]

    @property
    def runs(self) -> int:
        return len(self.outcomes)

    def probabilities(self, until: date | None = None) -> dict[str, float]:
        """Share of replications ending in each candidate's appointment, or in deadlock.

        With `until`, an appointment on or after that date counts as none (yet): the
        question becomes who, if anyone, was appointed before it.
        """
        outcomes = self.outcomes
        if until is not None:
            late = self.appointment_dates() >= until.toordinal()
            outcomes = [DEADLOCK if lt else o for o, lt in zip(outcomes, late, strict=True)]
        keys = [*self.world.candidates, DEADLOCK]
        return {k: outcomes.count(k) / self.runs for k in keys}

    def round_of(self, day: date) -> int:
        """The last round dated on or before `day` (clamped to the calendar)."""
        return _round_of(self.world, day)

    def appointment_dates(self) -> np.ndarray:
        """Appointment date of each replication as a day number; a deadlock counts as one
        round after the last (it is censored: the appointment came later, if at all)."""
        days, deadlock = day_numbers(self.world)
        return np.where(self.appointed_round >= 0, days[self.appointed_round], deadlock)

    def mean_supporters(self, t: int, candidate: int) -> float:
        """Mean supporters of a candidate in round t over the replications."""
        return self.supporters[:, t, candidate].mean()

    def date_quantiles(self) -> np.ndarray:
        """5/25/50/75/95% of `appointment_dates` (the one quantile rule)."""
        return quantiles(self.appointment_dates())

    def appointed_date_quantiles(self) -> np.ndarray | None:
        """5/25/50/75/95% of the appointment dates of the replications that appointed
        anyone (day numbers); None if none did."""
        days, _ = day_numbers(self.world)
        done = self.appointed_round[self.appointed_round >= 0]
        return quantiles(days[done]) if len(done) else None

    @property
    def appointed_runs(self) -> int:
        """Replications that appointed anyone (the others have no last holdouts)."""
        return int((self.appointed_round >= 0).sum())

    def holdout_runs(self, member: str) -> int:
        """Replications that name `member` among their last holdouts."""
        return sum(member in h for h in self.holdouts)

    def supporter_quantiles(self) -> np.ndarray:
        """(5, T+1, C) the 5/25/50/75/95% supporters by round (the fan chart's)."""
        return np.quantile(self.supporters, QUANTILES, axis=0)

    @classmethod
    def from_history(cls, history: History) -> "Forecast":
        """The forecast of the replications in a history (calibration evaluates many)."""
        return cls.from_results(Results.from_history(history), history.world)

    @classmethod
    def from_results(cls, results: Results, world: World, point: int = 0) -> "Forecast":
        """One point of a batch's results (failed replications left out).

        Args:
            results: the batch's results.
            world: the world that point ran on.
            point: the sweep point.

        Returns:
            The forecast.
        """
        keep = results.ok(point)
        runs = results.columns["run"][keep]
        winner = results.columns["winner"][keep].astype(np.int64)
        labels = [*results.candidates, DEADLOCK]
        outcomes = [labels[w] if w >= 0 else DEADLOCK for w in winner.tolist()]
        n, never = len(runs), world.n_rounds + 1
        dec = results.events["declarations"]
        mine = np.isin(dec["run"], runs)
        m_count, c_count = len(results.members), len(results.candidates)
        flat = dec["member"][mine].astype(np.int64) * c_count + dec["candidate"][mine]
        sums = np.bincount(flat, weights=dec["round"][mine], minlength=m_count * c_count)
        counts = np.bincount(flat, minlength=m_count * c_count)
        first = (sums + never * (n - counts)) / max(n, 1)
        hold = results.events["holdouts"]
        position = {int(r): k for k, r in enumerate(runs.tolist())}
        holdouts: list[list[str]] = [[] for _ in range(n)]
        order = np.lexsort((-hold["rank"], hold["run"]))  # in the order they came round
        for r, m in zip(hold["run"][order].tolist(), hold["member"][order].tolist(), strict=True):
            if r in position:
                holdouts[position[r]].append(results.members[m])
        return cls(
            world=world,
            outcomes=outcomes,
            appointed_round=results.columns["appointed_round"][keep].astype(np.int64),
            supporters=results.supporters(point),
            first_round={
                (m, c): float(first[i * c_count + k])
                for i, m in enumerate(results.members)
                for k, c in enumerate(results.candidates)
            },
            holdouts=holdouts,
        )


@dataclass
class CountedForecast:
    """A `Forecast` read off a batch's per-chunk tallies (`Summary`) rather than its
    replications: the same answers to every score, in memory that does not grow with the
    number of runs."""

    world: World
    summary: Summary
    point: int = 0

    @property
    def runs(self) -> int:
        return int(self.summary.outcomes[self.point].sum())

    def probabilities(self, until: date | None = None) -> dict[str, float]:
        """As `Forecast.probabilities`."""
        counts = [int(k) for k in self.summary.outcomes[self.point]]
        if until is not None and self.point in self.summary.appointed:
            # an appointment on or after `until` counts as none (yet), as in `Forecast`
            late = [d >= until for d in self.summary.dates[self.point]]
            moved = self.summary.appointed[self.point][:, late].sum(axis=1)
            for c, m in enumerate(moved.tolist()):
                counts[c] -= m
                counts[-1] += m
        keys = [*self.world.candidates, DEADLOCK]
        return {k: n / self.runs for k, n in zip(keys, counts, strict=True)}

    def round_of(self, day: date) -> int:
        """As `Forecast.round_of`."""
        return _round_of(self.world, day)

    def date_quantiles(self) -> np.ndarray:
        """As `Forecast.date_quantiles`: appointments counted by round, deadlocks as one
        round after the last."""
        days, deadlock = day_numbers(self.world)
        by_round = self._appointed_by_round()
        deadlocks = self.runs - int(by_round.sum())
        return counted_quantiles(
            np.append(days[: len(by_round)], deadlock), np.append(by_round, deadlocks)
        )

    def appointed_date_quantiles(self) -> np.ndarray | None:
        """As `Forecast.appointed_date_quantiles`, from the counts by round."""
        days, _ = day_numbers(self.world)
        by_round = self._appointed_by_round()
        if not by_round.sum():
            return None
        return counted_quantiles(days[: len(by_round)], by_round)

    def _appointed_by_round(self) -> np.ndarray:
        """Appointments (of any candidate) in each round of the point."""
        table = self.summary.appointed.get(self.point)
        return table.sum(axis=0) if table is not None else np.zeros(0, np.int64)

    def mean_supporters(self, t: int, candidate: int) -> float:
        """As `Forecast.mean_supporters` (a sum of integers over a count: the same float)."""
        return np.float64(self.summary.support_sums[self.point][t, candidate]) / self.runs

    @cached_property
    def first_round(self) -> dict[tuple[str, str], float]:
        """As `Forecast.first_round`."""
        members, cands = self.world.members, self.world.candidates
        c_count, n = len(cands), self.runs
        sums, counts = self.summary.declared.get(
            self.point, np.zeros((2, len(members) * c_count), np.int64)
        )
        first = (sums.astype(np.float64) + (self.world.n_rounds + 1) * (n - counts)) / max(n, 1)
        return {
            (m, c): float(first[i * c_count + k])
            for i, m in enumerate(members)
            for k, c in enumerate(cands)
        }

    @property
    def appointed_runs(self) -> int:
        """As `Forecast.appointed_runs`."""
        return int(self._appointed_by_round().sum())

    def holdout_runs(self, member: str) -> int:
        """As `Forecast.holdout_runs`."""
        held = self.summary.held_out.get(self.point)
        return int(held[self.world.members.index(member)]) if held is not None else 0

    def supporter_quantiles(self) -> np.ndarray:
        """As `Forecast.supporter_quantiles` (needs the point's fan counts)."""
        return linear_quantiles(self.summary.fans[self.point])


def _round_of(world: World, day: date) -> int:
    """The last round of `world` dated on or before `day` (clamped to the calendar)."""
    dates = world.dates
    return int(np.clip(np.searchsorted(dates, day, side="right") - 1, 0, len(dates) - 1))


def deadlock_day(world: World) -> int:
    """The day number a deadlock counts as: one round (the calendar's `round_days`) after
    the last round (censored: the appointment came later, if at all). The one rule for
    scores, forecasts and the sensitivity analysis's median date."""
    return world.dates[-1].toordinal() + world.scenario.calendar.round_days


def day_numbers(world: World) -> tuple[np.ndarray, int]:
    """Each round's date as a day number, and the day a deadlock counts as (`deadlock_day`)."""
    days = np.array([d.toordinal() for d in world.dates], dtype=np.int64)
    return days, deadlock_day(world)
