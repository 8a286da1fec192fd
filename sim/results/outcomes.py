"""The statistics every printed number uses: Wilson intervals and the one quantile rule."""

from datetime import date
from statistics import NormalDist

import numpy as np
from scipy.stats import binom

from sim.engine.rules import NEVER, NOT_APPOINTED

Z95 = NormalDist().inv_cdf(0.975)
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
DEADLOCK = "deadlock"  # the outcome label of a replication that ended with no appointment


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


def quantiles(values) -> np.ndarray:
    """The 5/25/50/75/95% points of `values` by the project's one rule, the inverted CDF:
    each is a value of the sample (an appointment date that occurred), never a midpoint."""
    return np.quantile(np.asarray(values), QUANTILES, method="inverted_cdf")


def date_quantiles(days) -> list[date] | None:
    """5/25/50/75/95% of date ordinals as dates (see `quantiles`), None for no dates."""
    if not len(days):
        return None
    return [date.fromordinal(int(d)) for d in quantiles(days)]


def counted_quantiles(values, counts) -> np.ndarray:
    """`quantiles` of a sample given as values and how often each occurs (repeats and any
    order allowed): the same values `quantiles` gives on the sample written out, by
    numpy's own inverted-CDF index arithmetic."""
    values, counts = np.asarray(values), np.asarray(counts, dtype=np.int64)
    order = np.argsort(values, kind="stable")
    values, cum = values[order], np.cumsum(counts[order])
    n = int(cum[-1])
    index = n * np.asarray(QUANTILES, dtype=np.float64) - 1
    previous = np.floor(index)
    k = np.where(index - previous == 0, previous, previous + 1).astype(np.intp)
    k[k < 0] = 0
    return values[np.searchsorted(cum, k, side="right")]


def median_interval(values, counts=None, level: float = 0.95) -> tuple | None:
    """The distribution-free `level` interval of the median: two order statistics of the
    sample, x(l) and x(n+1-l), with l the largest rank such that a Binomial(n, 1/2) falls
    below it with probability at most (1 - level) / 2 (coverage at least `level`, whatever
    the distribution). Fewer than six values (at 95%) give their whole range.

    Args:
        values: the sample, or its distinct values when `counts` is given (any order).
        counts: how often each value occurs, or None (each once).
        level: the coverage asked for.

    Returns:
        (low, high), values of the sample; None for an empty sample.
    """
    values = np.asarray(values)
    counts = np.ones(len(values), np.int64) if counts is None else np.asarray(counts, np.int64)
    n = int(counts.sum())
    if not n:
        return None
    order = np.argsort(values, kind="stable")
    values, cum = values[order], np.cumsum(counts[order])
    below = int(binom.ppf((1 - level) / 2, n, 0.5))  # the smallest m with P(B <= m) >= q
    if binom.cdf(below, n, 0.5) > (1 - level) / 2:
        below -= 1
    low = max(below, 0)  # 0-based ranks of x(l) and x(n+1-l)
    at = np.searchsorted(cum, [low, n - 1 - low], side="right")
    return values[at[0]].item(), values[at[1]].item()


def date_median_interval(days, counts=None) -> tuple[date, date] | None:
    """`median_interval` of date ordinals, as dates; None for no dates."""
    got = median_interval(days, counts)
    return None if got is None else (date.fromordinal(got[0]), date.fromordinal(got[1]))


def probability_rows(counts: np.ndarray, labels: list[str], by_point: bool) -> list[dict]:
    """Rows of a probabilities table from (points, outcomes) counts: outcome, probability,
    low, high (95% Wilson), replications, n; with `by_point`, a block per point."""
    blocks = [(p, counts[p]) for p in range(len(counts))] if by_point else [(None, counts.sum(0))]
    rows = []
    for p, row in blocks:
        n = int(row.sum())
        lo, hi = wilson(row, n)
        for k, label in enumerate(labels):
            entry = {"point": p} if by_point else {}
            entry.update(outcome=label, probability=row[k] / n if n else float("nan"),
                         low=float(lo[k]), high=float(hi[k]), replications=int(row[k]), n=n)  # fmt: skip
            rows.append(entry)
    return rows


def outcome_modes(results, point: np.ndarray) -> dict[int, dict]:
    """point -> (winner, appointment round) -> [replications, first run, its seed], of the
    replications of `results` (a `Results`; `point`: each row's point) that did not fail,
    each point's in the order of its (winner, round) keys."""
    keep = np.flatnonzero(results.ok())
    if not len(keep):
        return {}
    c = results.columns
    w = c["winner"][keep].astype(np.int64)
    a = c["appointed_round"][keep].astype(np.int64)
    key = (w + 1) * (1 << 32) + (a + 1)
    p = point[keep]
    order = np.lexsort((key, p))  # stable: a group's first row is its first replication
    p, key = p[order], key[order]
    new = np.flatnonzero(np.r_[True, (np.diff(p) != 0) | (np.diff(key) != 0)])
    counts = np.diff(np.r_[new, len(order)])
    out: dict[int, dict] = {}
    for f, n, q in zip(new.tolist(), counts.tolist(), p[new].tolist(), strict=True):
        row = keep[order[f]]
        winner, at = int(c["winner"][row]), int(c["appointed_round"][row])
        out.setdefault(q, {})[(winner, at)] = [n, int(c["run"][row]), int(c["seed"][row])]
    return out


def modal_outcome(modes: dict | None, candidates: list[str]):
    """The most frequent outcome (a winner, or deadlock), then its most frequent
    appointment round, from a point's tally of (winner, round) -> [replications, first
    run, its seed] (`outcome_modes`). Ties go to the one whose first run came first.

    Returns:
        (winner's id or None for deadlock, round or None, first run and seed of that
        outcome in that round, the outcome's share of the replications, that round's share
        of the outcome's), or None if there is no replication.
    """
    if not modes:
        return None
    by_winner: dict[int, list[int]] = {}  # winner -> [replications, first run]
    for (winner, _), (n, run, _) in modes.items():
        tally = by_winner.setdefault(winner, [0, run])
        tally[0], tally[1] = tally[0] + n, min(tally[1], run)
    winner = max(by_winner, key=lambda w: (by_winner[w][0], -by_winner[w][1]))
    rounds = {at: v for (w, at), v in modes.items() if w == winner}
    at = max(rounds, key=lambda a: (rounds[a][0], -rounds[a][1]))
    n, run, seed = rounds[at]
    total = sum(v[0] for v in modes.values())
    return (candidates[winner] if winner != NOT_APPOINTED else None,
            at if at != NEVER else None, run, seed,
            by_winner[winner][0] / total, n / by_winner[winner][0])  # fmt: skip


def candidate_index(candidates: list[str], outcome: str) -> int:
    """The index of candidate `outcome`; ValueError naming the candidates if it is none."""
    if outcome not in candidates:
        raise ValueError(
            f"{outcome!r} is not a candidate here (candidates: {', '.join(candidates)})"
        )
    return candidates.index(outcome)
