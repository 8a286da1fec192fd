"""The report's quantiles read off counts are numpy's quantiles of the samples themselves."""

import numpy as np
import pytest

from sim.results.outcomes import QUANTILES, counted_quantiles
from sim.results.summary import linear_quantiles


@pytest.mark.parametrize("seed", range(6))
def test_the_fan_quantiles_of_counts_are_numpys_on_the_samples(seed):
    rng = np.random.default_rng(seed)
    for n in [1, 2, 3, 7, 19, 20, 21, 99, 100, 101, int(rng.integers(200, 5000))]:
        x = rng.integers(0, 33, size=(n, 4, 3)).astype(np.int16)
        if seed % 2:
            x[:] = rng.integers(0, 3, size=(n, 1, 1))  # few values: many ties
        counts = np.stack(
            [np.stack([np.bincount(x[:, t, c], minlength=34) for c in range(3)]) for t in range(4)]
        )
        assert np.array_equal(linear_quantiles(counts), np.quantile(x, QUANTILES, axis=0)), n


@pytest.mark.parametrize("seed", range(6))
def test_the_date_quantiles_of_counts_are_the_one_rule_on_the_samples(seed):
    rng = np.random.default_rng(seed)
    for n in [1, 2, 3, 19, 20, 21, 40, 99, 100, int(rng.integers(200, 20000))]:
        days = rng.integers(738000, 738000 + 1 + seed * 20, size=n)
        values, counts = np.unique(days, return_counts=True)
        order = rng.permutation(len(values))  # any order, and a value may repeat
        values = np.concatenate([values[order], values[:1]])
        counts = np.concatenate([counts[order], [0]])
        want = np.quantile(days, QUANTILES, method="inverted_cdf")
        assert np.array_equal(counted_quantiles(values, counts), want), n
