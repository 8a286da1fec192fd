"""The statistics every printed number uses: Wilson intervals and the one quantile rule."""

from datetime import date
from statistics import NormalDist

import numpy as np

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
