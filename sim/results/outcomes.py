"""runs.csv boiled down: outcome counts per point, appointment dates, Wilson intervals.

runs.csv is read once, keeping one small number per replication (point, outcome,
appointment day) and counters for the rest, so that 100,000 replications take a few
megabytes. Failed replications are counted and left out of every probability.
"""

import csv
from array import array
from collections import Counter
from dataclasses import dataclass
from datetime import date
from operator import itemgetter
from pathlib import Path
from statistics import NormalDist

import numpy as np

Z95 = NormalDist().inv_cdf(0.975)
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
DEADLOCK = -2  # outcome code while reading; becomes len(candidates) once they are all known


def wilson(k, n, z: float = Z95):
    """The Wilson score interval (lo, hi) of the proportion k/n; (0, 1) when n is 0."""
    k, n = np.asarray(k, dtype=float), np.asarray(n, dtype=float)
    safe = np.maximum(n, 1.0)
    p = k / safe
    denom = 1 + z**2 / safe
    centre = (p + z**2 / (2 * safe)) / denom
    half = z * np.sqrt(p * (1 - p) / safe + z**2 / (4 * safe**2)) / denom
    # lo <= p <= hi holds exactly, but not always in floating point at p = 0 or 1.
    lo = np.where(n > 0, np.clip(np.minimum(centre - half, p), 0.0, 1.0), 0.0)
    hi = np.where(n > 0, np.clip(np.maximum(centre + half, p), 0.0, 1.0), 1.0)
    return lo, hi


@dataclass
class Runs:
    """runs.csv boiled down: arrays of one number per replication, counters for the rest."""

    candidates: list[str]
    point: np.ndarray  # (R,) sweep point
    outcome: np.ndarray  # (R,) candidate index, len(candidates) for deadlock, -1 failed
    day: np.ndarray  # (R,) date ordinal of the appointment, 0 if none
    withdrawals: Counter  # (candidate, point, round) -> replications
    holdouts: Counter  # member -> replications with it among the last holdouts
    groups: Counter  # sorted tuple of last holdouts -> replications
    conceded: int  # replications with any concession
    courted: Counter  # member -> replications in which it was offered a concession
    errors: Counter  # error message -> replications
    first: dict  # point 0: (winner, round) -> [replications, first run, its seed]

    @property
    def labels(self) -> list[str]:
        return [*self.candidates, "deadlock"]

    @property
    def n(self) -> int:
        return int((self.outcome >= 0).sum())

    @property
    def appointed(self) -> int:
        return int(((self.outcome >= 0) & (self.outcome < len(self.candidates))).sum())

    def counts(self, points: int) -> np.ndarray:
        """(points, outcomes) replications per point and outcome, failed ones left out."""
        ok = self.outcome >= 0
        k = len(self.labels)
        flat = self.point[ok].astype(np.int64) * k + self.outcome[ok]
        return np.bincount(flat, minlength=points * k).reshape(points, k)

    def modal(self) -> tuple[str, int | None, int, int] | None:
        """Point 0's most frequent (winner, appointment round), with its first run and seed.

        Ties go to the outcome whose first replication came first.
        """
        if not self.first:
            return None
        (winner, at), (_, run, seed) = max(
            self.first.items(), key=lambda item: (item[1][0], -item[1][1])
        )
        return winner, at, run, seed


def read_runs(path: Path, candidates: list[str]) -> Runs:
    """Read runs.csv row by row, keeping only what the report needs."""
    candidates = list(candidates)
    index = {c: i for i, c in enumerate(candidates)}
    points, outcomes, days = array("i"), array("i"), array("i")
    # The event columns repeat a lot: tally their texts now, take them apart once at the end.
    withdrawn_texts, held_texts, conceded_texts, errors = Counter(), Counter(), Counter(), Counter()
    first, ordinals = {}, {"": 0}
    names = ("run", "seed", "point", "winner", "appointed_round", "appointed_date",
             "withdrawn", "last_holdouts", "concessions", "error")  # fmt: skip
    with Path(path).open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        column = {name: i for i, name in enumerate(next(reader))}
        fields = itemgetter(*(column[name] for name in names))
        for row in reader:
            run, seed, point, winner, at, day, withdrawn, held, concessions, error = fields(row)
            point = int(point)
            points.append(point)
            if error:
                errors[error] += 1
                outcomes.append(-1)
                days.append(0)
                continue
            if winner and winner not in index:  # a sweep may add candidates after point 0's
                index[winner] = len(candidates)
                candidates.append(winner)
            outcomes.append(index[winner] if winner else DEADLOCK)
            if day not in ordinals:
                ordinals[day] = date.fromisoformat(day).toordinal()
            days.append(ordinals[day])
            if withdrawn:
                withdrawn_texts[point, withdrawn] += 1
            if held:
                held_texts[held] += 1
            if concessions:
                conceded_texts[concessions] += 1
            if point == 0:
                key = (winner, int(at) if at else None)
                if key in first:
                    first[key][0] += 1
                else:
                    first[key] = [1, int(run), int(seed)]
    withdrawals, holdouts, groups, courted = Counter(), Counter(), Counter(), Counter()
    for (point, text), k in withdrawn_texts.items():
        for item in text.split(";"):
            cand, _, t = item.partition("@")
            withdrawals[cand, point, int(t)] += k
    for text, k in held_texts.items():
        members = text.split(";")
        for m in members:
            holdouts[m] += k
        groups[tuple(sorted(members))] += k
    for text, k in conceded_texts.items():
        for m in {item.partition("@")[0] for item in text.split(";")}:
            courted[m] += k
    outcome = np.array(outcomes, dtype=np.int32)
    outcome[outcome == DEADLOCK] = len(candidates)
    return Runs(candidates, np.array(points, dtype=np.int32), outcome,
                np.array(days, dtype=np.int32), withdrawals, holdouts, groups,
                conceded_texts.total(), courted, errors, first)  # fmt: skip


def date_quantiles(days: np.ndarray) -> list[date] | None:
    """5/25/50/75/95% of date ordinals, each an actual date of the sample (inverted CDF)."""
    if not len(days):
        return None
    q = np.quantile(days, QUANTILES, method="inverted_cdf")
    return [date.fromordinal(int(d)) for d in q]
