"""`Summary`: every number a batch's report prints or draws, tallied chunk by chunk.

A batch of a million replications is reported without holding them: each number of
report.md, of the closing lines and of the figures is a count, and each quantile is read
off counts exactly (the value `numpy.quantile` gives on the replications themselves).
Chunks are tallied one at a time (`Summary.of`) and the tallies added in plan order
(`add`), so that a most-common list breaks ties as it would on the whole batch. A
`Summary` of a whole `Results` is the same object: the report reads only this.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

import numpy as np

from sim.results.outcomes import (
    DEADLOCK,
    QUANTILES,
    candidate_index,
    counted_quantiles,
    date_median_interval,
    modal_outcome,
    outcome_modes,
    probability_rows,
)

if TYPE_CHECKING:
    import pandas as pd

    from sim.results.results import Results

FAN_POINTS = 4  # a fan panel per point up to this many points, else the most different two
ARRAYS = ("appointed", "withdrawn", "fans", "support_sums", "declared", "held_out")


@dataclass
class Summary:
    """Counts of a batch's outcomes, dates, withdrawals, holdouts, concessions, errors and
    supporters by round, from which its report is written."""

    scenario: str
    members: list[str]
    candidates: list[str]
    points: list[dict]
    swept: list[str] = field(default_factory=list)
    seed: int | None = None
    runs_per_point: int | None = None
    dates: dict[int, list[date]] = field(default_factory=dict)
    sessions: dict[int, list] = field(default_factory=dict)
    n_runs: int = 0  # replications, failed ones included
    outcomes: np.ndarray | None = None  # (points, candidates + 1) replications per outcome
    appointed: dict[int, np.ndarray] = field(default_factory=dict)  # point -> (C, T_p) by round
    withdrawn: dict[int, np.ndarray] = field(default_factory=dict)  # point -> (C, T_p) by round
    holdout_members: Counter = field(default_factory=Counter)  # member -> events
    holdout_groups: Counter = field(default_factory=Counter)  # sorted members -> replications
    conceded: int = 0  # replications with at least one concession
    courted: Counter = field(default_factory=Counter)  # member -> replications offered one
    errors: Counter = field(default_factory=Counter)  # error text -> replications
    modes: dict[int, dict] = field(
        default_factory=dict
    )  # point -> (winner, round) -> [n, run, seed]
    fans: dict[int, np.ndarray] = field(default_factory=dict)  # point -> (T_p, C, N+1) counts
    # What `score` reads, per point, of the replications that did not fail:
    support_sums: dict[int, np.ndarray] = field(default_factory=dict)  # (T_p, C) supporters
    declared: dict[int, np.ndarray] = field(default_factory=dict)  # (2, M*C) rounds, events
    held_out: dict[int, np.ndarray] = field(default_factory=dict)  # (M,) runs naming each

    # --- building -------------------------------------------------------------------------

    @classmethod
    def of(cls, results: Results, fans: bool | list[int] = True) -> Summary:
        """The tally of `results` (a chunk, or a whole batch).

        Args:
            results: the replications.
            fans: which points' supporters to count by round (True: every point's; the
                fan chart needs only the points it shows).
        """
        c = results.columns
        n_c = len(results.candidates)
        s = cls(
            scenario=results.scenario,
            members=list(results.members),
            candidates=list(results.candidates),
            points=results.points,
            swept=list(results.swept),
            seed=results.seed,
            runs_per_point=results.runs_per_point,
            dates=dict(results.dates),
            sessions=dict(results.sessions),
            n_runs=results.n_runs,
        )
        full = results.counts()  # (all points, K); a chunk holds some of them
        s.outcomes = full
        code = results.outcome_codes()
        point = c["point"].astype(np.int64)
        at = c["appointed_round"].astype(np.int64)
        # Every point's counts in one pass (a chunk of a sweep holds many points): each
        # point's rows in a block of its own, then each block cut to that point's rounds.
        held = np.unique(point)
        won = (code >= 0) & (code < n_c)
        wd = _events(results, "withdrawals")
        wd_point = results._point_of(wd["run"]).astype(np.int64)
        for name, rows, what, when in (
            ("appointed", np.searchsorted(held, point[won]), code[won], at[won]),
            ("withdrawn", np.searchsorted(held, wd_point), wd["candidate"].astype(np.int64),
             wd["round"].astype(np.int64)),
        ):  # fmt: skip
            for p, table in zip(held.tolist(), _per_point(results, held, rows, what, n_c, when),
                                strict=True):  # fmt: skip
                getattr(s, name)[p] = table
        s.modes = outcome_modes(results, point)
        hold = _events(results, "holdouts")
        names = results.members
        s.holdout_members = Counter(names[m] for m in hold["member"].tolist())
        groups = np.split(hold["member"], np.flatnonzero(np.diff(hold["run"])) + 1)
        s.holdout_groups = Counter(
            tuple(sorted(names[m] for m in g.tolist())) for g in groups if len(g)
        )
        conc = _events(results, "concessions")
        s.conceded = len(np.unique(conc["run"]))
        if len(conc["run"]):
            pair = conc["run"].astype(np.int64) * len(names) + conc["member"]
            _, first = np.unique(pair, return_index=True)
            s.courted = Counter(names[m] for m in conc["member"][np.sort(first)].tolist())
        s.errors = Counter(results.errors.values())
        _score_tallies(s, results)
        chosen = range(results.n_points) if fans is True else (fans or [])
        s.add_fans(results, [p for p in chosen if p in s.appointed])
        return s

    def add_fans(self, results: Results, points: list[int]) -> None:
        """Count the supporters of each candidate by round at these points, from `results`."""
        for p in points:
            supporters = results.supporters(p)  # (R_p, T_p, C), failed ones left out
            if not len(supporters):
                continue
            rounds, n_c, values = supporters.shape[1], supporters.shape[2], len(self.members) + 1
            cell = (np.arange(rounds)[:, None] * n_c + np.arange(n_c)[None, :]) * values
            flat = (cell[None] + supporters.astype(np.int64)).ravel()
            counts = np.bincount(flat, minlength=rounds * n_c * values)
            counts = counts.reshape(rounds, n_c, values)
            self.fans[p] = self.fans[p] + counts if p in self.fans else counts

    def add(self, other: Summary) -> Summary:
        """Add the tally of the chunk that follows this one in plan order; return self."""
        self.n_runs += other.n_runs
        self.outcomes = other.outcomes if self.outcomes is None else self.outcomes + other.outcomes
        self.dates.update(other.dates)
        self.sessions.update(other.sessions)
        for mine, theirs in ((self.appointed, other.appointed), (self.withdrawn, other.withdrawn),
                             (self.fans, other.fans), (self.support_sums, other.support_sums),
                   (self.declared, other.declared), (self.held_out, other.held_out)):  # fmt: skip
            for p, counts in theirs.items():
                mine[p] = mine[p] + counts if p in mine else counts
        self.holdout_members.update(other.holdout_members)
        self.holdout_groups.update(other.holdout_groups)
        self.conceded += other.conceded
        self.courted.update(other.courted)
        self.errors.update(other.errors)
        for p, modes in other.modes.items():
            mine = self.modes.setdefault(p, {})
            for key, (n, run, seed) in modes.items():
                if key in mine:
                    mine[key][0] += n
                    if run < mine[key][1]:
                        mine[key][1:] = [run, seed]
                else:
                    mine[key] = [n, run, seed]
        self.dates = dict(sorted(self.dates.items()))
        self.sessions = dict(sorted(self.sessions.items()))
        return self

    # --- a file of its own (summary.json), so a finished batch is reported again ---------

    def to_dict(self) -> dict:
        """Everything, as JSON types (Counters as [key, n] pairs, in their order)."""
        arrays = {name: {str(p): a.tolist() for p, a in getattr(self, name).items()}
                  for name in ARRAYS}  # fmt: skip
        return {
            "scenario": self.scenario, "members": self.members, "candidates": self.candidates,
            "points": self.points, "swept": self.swept, "seed": self.seed,
            "runs_per_point": self.runs_per_point,
            "dates": {str(p): [d.isoformat() for d in ds] for p, ds in self.dates.items()},
            "sessions": {str(p): [list(x) if x else None for x in ss]
                         for p, ss in self.sessions.items()},
            "n_runs": self.n_runs, "outcomes": self.outcomes.tolist(), **arrays,
            "holdout_members": list(self.holdout_members.items()),
            "holdout_groups": [[list(g), n] for g, n in self.holdout_groups.items()],
            "conceded": self.conceded, "courted": list(self.courted.items()),
            "errors": list(self.errors.items()),
            "modes": {str(p): [[w, a, *v] for (w, a), v in sorted(m.items())]
                      for p, m in self.modes.items()},
        }  # fmt: skip

    @classmethod
    def from_dict(cls, d: dict) -> Summary:
        """The inverse of `to_dict`."""
        arrays = {
            name: {int(p): np.array(a, dtype=np.int64) for p, a in d.get(name, {}).items()}
            for name in ARRAYS
        }  # fmt: skip (a file from before the score tallies: none)
        return cls(
            scenario=d["scenario"], members=d["members"], candidates=d["candidates"],
            points=d["points"], swept=d["swept"], seed=d["seed"],
            runs_per_point=d["runs_per_point"],
            dates={int(p): [date.fromisoformat(x) for x in ds] for p, ds in d["dates"].items()},
            sessions={int(p): [tuple(x) if x else None for x in ss]
                      for p, ss in d["sessions"].items()},
            n_runs=d["n_runs"], outcomes=np.array(d["outcomes"], dtype=np.int64), **arrays,
            holdout_members=Counter(dict(d["holdout_members"])),
            holdout_groups=Counter({tuple(g): n for g, n in d["holdout_groups"]}),
            conceded=d["conceded"], courted=Counter(dict(d["courted"])),
            errors=Counter(dict(d["errors"])),
            modes={int(p): {(w, a): [n, r, s] for w, a, n, r, s in m}
                   for p, m in d["modes"].items()},
        )  # fmt: skip

    # --- reading --------------------------------------------------------------------------

    @property
    def labels(self) -> list[str]:
        """Outcome labels: each candidate, then deadlock."""
        return [*self.candidates, DEADLOCK]

    @property
    def n_points(self) -> int:
        return len(self.points)

    @property
    def n_ok(self) -> int:
        """Replications that did not fail."""
        return int(self.outcomes.sum())

    @property
    def failed(self) -> int:
        return sum(self.errors.values())

    def counts(self) -> np.ndarray:
        """(points, outcomes) replications per point and outcome, failed ones left out."""
        return self.outcomes

    def probabilities(self, by_point: bool = False) -> pd.DataFrame:
        """As `Results.probabilities`: outcome, probability, low, high, replications, n."""
        import pandas as pd

        return pd.DataFrame(probability_rows(self.outcomes, self.labels, by_point))

    def appointment_counts(
        self, outcome: str | None = None, points: list[int] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(date ordinals, appointments on each) of one candidate (or any), at these points."""
        days, counts = [], []
        which = [candidate_index(self.candidates, outcome)] if outcome is not None else slice(None)
        for p in points if points is not None else sorted(self.appointed):
            if p not in self.appointed:
                continue
            days.append(np.array([d.toordinal() for d in self.dates[p]], dtype=np.int64))
            counts.append(self.appointed[p][which].sum(axis=0))
        if not days:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        return np.concatenate(days), np.concatenate(counts)

    def appointments(self) -> int:
        """Replications with an appointment."""
        return int(sum(a.sum() for a in self.appointed.values()))

    def appointment_dates(
        self, outcome: str | None = None, points: list[int] | None = None
    ) -> list[date] | None:
        """5/25/50/75/95% appointment dates (the one quantile rule), or None."""
        return _dates(*self.appointment_counts(outcome, points))

    def median_appointment_interval(
        self, outcome: str | None = None, points: list[int] | None = None
    ) -> tuple[date, date] | None:
        """The 95% interval of the median appointment date (`outcomes.median_interval`)."""
        return date_median_interval(*self.appointment_counts(outcome, points))

    def appointments_by_day(self) -> tuple[np.ndarray, np.ndarray]:
        """(date ordinals with an appointment, (days, C) appointments of each candidate)."""
        per_candidate = [self.appointment_counts(c) for c in self.candidates]
        days = np.unique(np.concatenate([d[k > 0] for d, k in per_candidate]))
        table = np.zeros((len(days), len(self.candidates)), dtype=np.int64)
        for c, (d, k) in enumerate(per_candidate):
            np.add.at(table[:, c], np.searchsorted(days, d[k > 0]), k[k > 0])
        return days, table

    def withdrawals(self, candidate: str) -> tuple[int, date | None]:
        """How many replications the candidate withdrew in, and the median date of those."""
        c = self.candidates.index(candidate)
        days, counts = [], []
        for p, table in sorted(self.withdrawn.items()):
            days.append(np.array([d.toordinal() for d in self.dates[p]], dtype=np.int64))
            counts.append(table[c])
        if not days:
            return 0, None
        q = _dates(np.concatenate(days), np.concatenate(counts))
        return int(sum(k.sum() for k in counts)), q[2] if q else None

    def fan(self, point: int) -> np.ndarray | None:
        """(5, T_p, C) the 5/25/50/75/95% supporters of each candidate by round (the
        fan chart's `numpy.quantile`, default linear rule, read off the counts), or None."""
        counts = self.fans.get(point)
        if counts is None:
            return None
        return linear_quantiles(counts)

    def fan_points(self) -> list[int]:
        """The points whose fan the report draws: all up to FAN_POINTS, else the two that
        differ most (`informative_points`)."""
        if self.n_points <= FAN_POINTS:
            return list(range(self.n_points))
        return informative_points(self, self.outcomes, 2)

    def modal(self, point: int = 0) -> tuple[str | None, int | None, int, int] | None:
        """As `Results.modal`: the point's most frequent outcome, its most frequent
        appointment round, and the first run and seed of that outcome in that round."""
        picked = modal_outcome(self.modes.get(point), self.candidates)
        return picked and picked[:4]

    def share_of_modal(self, point: int = 0) -> tuple[float, float]:
        """As `Results.share_of_modal`."""
        picked = modal_outcome(self.modes.get(point), self.candidates)
        return (0.0, 0.0) if picked is None else picked[4:]


def _per_point(results: Results, held: np.ndarray, rows: np.ndarray, what: np.ndarray,
               kinds: int, when: np.ndarray) -> list[np.ndarray]:  # fmt: skip
    """For each point of `held`, the (kinds, T_p) counts of its events by kind and round:
    an event's point is `held[rows]`, its kind `what` and its round `when`."""
    rounds = [len(results.dates[p]) for p in held.tolist()]
    if not rounds:
        return []
    span = max(rounds)
    flat = (rows * kinds + what) * span + when
    table = np.bincount(flat, minlength=len(held) * kinds * span).reshape(-1, kinds, span)
    return [table[k, :, :t].copy() for k, t in enumerate(rounds)]


def _score_tallies(s: Summary, results: Results) -> None:
    """Per point, of the replications that did not fail: supporters summed by round, the
    rounds and number of declaration events per member x candidate, and how many
    replications name each member a last holdout (all `CountedForecast` needs); every
    point in one pass, each point's rows a block of its own."""
    c = results.columns
    ok = results.ok()
    runs = c["run"][ok]
    m_count, c_count = len(results.members), len(results.candidates)
    dec, hold = _events(results, "declarations"), _events(results, "holdouts")
    dec_ok, hold_ok = np.isin(dec["run"], runs), np.isin(hold["run"], runs)
    dec_point = results._point_of(dec["run"])
    pair = np.unique(hold["run"][hold_ok].astype(np.int64) * m_count + hold["member"][hold_ok])
    pair_point = results._point_of(pair // m_count)
    point = c["point"][ok].astype(np.int64)
    held = np.unique(point)
    if not len(held):
        return
    if "supporters" in results.cube:  # (a Results built without trajectories has none)
        # Sums of whole numbers: exact in any order. Rows grouped by point (stable).
        order = np.argsort(point, kind="stable")
        starts = np.flatnonzero(np.r_[True, np.diff(point[order]) != 0])
        rows = np.flatnonzero(ok)[order]
        sums = np.add.reduceat(results.cube["supporters"][rows], starts, axis=0, dtype=np.int64)
        for k, p in enumerate(held.tolist()):
            s.support_sums[p] = sums[k, : len(results.dates[p])].copy()
    cells = m_count * c_count
    block = np.searchsorted(held, dec_point[dec_ok]).astype(np.int64) * cells
    flat = block + dec["member"][dec_ok].astype(np.int64) * c_count + dec["candidate"][dec_ok]
    rounds = np.bincount(flat, weights=dec["round"][dec_ok], minlength=len(held) * cells)
    events = np.bincount(flat, minlength=len(held) * cells)
    rounds, events = rounds.reshape(-1, cells), events.reshape(-1, cells)
    named = np.searchsorted(held, pair_point).astype(np.int64) * m_count + pair % m_count
    holdouts = np.bincount(named, minlength=len(held) * m_count).reshape(-1, m_count)
    for k, p in enumerate(held.tolist()):
        s.declared[p] = np.stack([rounds[k].astype(np.int64), events[k]])  # sums of ints: exact
        s.held_out[p] = holdouts[k].copy()


def _events(results: Results, table: str) -> dict[str, np.ndarray]:
    """An event table's arrays (empty ones for a `Results` built without them)."""
    from sim.results.results import _EVENT_ARRAYS

    if table in results.events:
        return results.events[table]
    return {k: np.zeros(0, kind) for k, kind in _EVENT_ARRAYS[table].items()}


def _dates(days: np.ndarray, counts: np.ndarray) -> list[date] | None:
    if not len(days) or not counts.sum():
        return None
    return [date.fromordinal(int(d)) for d in counted_quantiles(days, counts)]


def linear_quantiles(counts: np.ndarray) -> np.ndarray:
    """(5, ...) the QUANTILES of integer samples given as counts of each value on the last
    axis, with numpy's default (linear) rule and its very arithmetic, so the result is
    the one `numpy.quantile(samples, QUANTILES, axis=0)` gives."""
    n = int(counts[(0,) * (counts.ndim - 1)].sum())
    q = np.asarray(QUANTILES, dtype=np.float64)
    virtual = (n - 1) * q
    prev = np.floor(virtual).astype(np.intp)
    nxt = np.minimum(prev + 1, n - 1)
    gamma = np.asanyarray(virtual - prev, dtype=virtual.dtype)
    cum = np.cumsum(counts, axis=-1)

    def order_statistic(k: int) -> np.ndarray:  # the k-th smallest sample (0-based)
        return (cum > k).argmax(axis=-1).astype(np.float64)

    out = []
    for j in range(len(q)):
        a, b, t = order_statistic(int(prev[j])), order_statistic(int(nxt[j])), gamma[j]
        diff = b - a
        out.append(b - diff * (1 - t) if t >= 0.5 else a + diff * t)  # numpy's _lerp
    return np.stack(out)


def informative_points(summary: Summary, counts: np.ndarray, most: int) -> list[int]:
    """The sweep points that differ most: lowest and highest share of the leading outcome,
    then earliest and latest median appointment date (at most `most`, in point order)."""
    share = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    lead = int(np.argmax(counts.sum(axis=0)))
    picks = [int(np.argmin(share[:, lead])), int(np.argmax(share[:, lead]))]
    medians = [summary.appointment_dates(points=[p]) for p in range(len(counts))]
    timed = [p for p, q in enumerate(medians) if q]
    if timed:
        picks += [min(timed, key=lambda p: medians[p][2]), max(timed, key=lambda p: medians[p][2])]
    chosen = list(dict.fromkeys(picks))[:most]
    return sorted(chosen)
