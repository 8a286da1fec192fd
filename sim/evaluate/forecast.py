"""What a batch of replications predicts, in the form scores need.

Built either in memory from a History (calibration evaluates thousands of these)
or from a finished batch folder (the `score` command), so both are scored alike.
"""

import csv
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

from sim.engine.history import History
from sim.engine.holdouts import holdout_order
from sim.engine.rules import NEVER, UNDECIDED
from sim.engine.world import World
from sim.results.tables import support_counts

DEADLOCK = "deadlock"


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
        world, f = history.world, history.final
        never = world.n_rounds + 1
        first = np.where(f.first_declared == NEVER, never, f.first_declared).mean(axis=0)
        order = holdout_order(history)
        return cls(
            world=world,
            outcomes=[world.candidates[c] if c != UNDECIDED else DEADLOCK for c in f.appointed],
            appointed_round=f.appointed_round.copy(),
            supporters=support_counts(history)["supporters"],
            first_round={
                (m, c): float(first[i, k])
                for i, m in enumerate(world.members)
                for k, c in enumerate(world.candidates)
            },
            holdouts=[[world.members[i] for i in row if i >= 0] for row in order],
        )

    @classmethod
    def from_folder(cls, out: Path, world: World, point: int = 0) -> "Forecast":
        """A finished batch folder's point (failed replications left out)."""
        from sim.batching.folder import load_trajectories

        out = Path(out)
        keep, outcomes, rounds, holdouts, runs = [], [], [], [], set()
        with (out / "runs.csv").open(newline="") as fh:
            for k, row in enumerate(r for r in csv.DictReader(fh) if int(r["point"]) == point):
                if row["error"]:
                    continue
                keep.append(k)
                runs.add(row["run"])
                outcomes.append(row["winner"] or DEADLOCK)
                rounds.append(int(row["appointed_round"]) if row["appointed_round"] else -1)
                holdouts.append(row["last_holdouts"].split(";") if row["last_holdouts"] else [])
        never = world.n_rounds + 1
        sums: dict[tuple[str, str], float] = defaultdict(float)
        counts: dict[tuple[str, str], int] = defaultdict(int)
        with (out / "declarations.csv").open(newline="") as fh:
            for row in csv.DictReader(fh):
                if row["run"] in runs:
                    key = (row["member"], row["candidate"])
                    sums[key] += int(row["round"])
                    counts[key] += 1
        first = {
            (m, c): (sums[(m, c)] + never * (len(runs) - counts[(m, c)])) / max(len(runs), 1)
            for m in world.members
            for c in world.candidates
        }
        return cls(
            world=world,
            outcomes=outcomes,
            appointed_round=np.array(rounds, dtype=np.int64),
            supporters=load_trajectories(out, point)["supporters"][keep],
            first_round=first,
            holdouts=holdouts,
        )
