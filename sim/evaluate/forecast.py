"""What a batch of replications predicts, in the form scores need.

Built from a `Results` (a batch's, or a History's in memory: calibration evaluates
thousands of these), so every forecast is scored alike.
"""

from dataclasses import dataclass
from datetime import date

import numpy as np

from sim.engine.history import History
from sim.engine.world import World
from sim.results.outcomes import DEADLOCK
from sim.results.results import Results


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
        dates = self.world.dates
        return int(np.clip(np.searchsorted(dates, day, side="right") - 1, 0, len(dates) - 1))

    def appointment_dates(self) -> np.ndarray:
        """Appointment date of each replication as a day number; a deadlock counts as one
        round after the last (it is censored: the appointment came later, if at all)."""
        days = np.array([d.toordinal() for d in self.world.dates])
        step = self.world.scenario.calendar.round_days
        return np.where(self.appointed_round >= 0, days[self.appointed_round], days[-1] + step)

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
