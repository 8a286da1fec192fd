"""The 95% interval of a median appointment date (compare's date verdict): distribution-free,
from the sample's order statistics."""

from datetime import date

import numpy as np
import pytest

from sim.results.outcomes import median_interval


def test_ten_values_give_the_second_and_ninth_order_statistics():
    # the textbook case: Bin(10, 1/2) puts 1.1% below rank 2, so [x(2), x(9)] (97.9%)
    values = np.arange(100, 110)
    assert median_interval(values[::-1]) == (101, 108)


def test_fewer_than_six_values_give_their_whole_range():
    assert median_interval([5, 1, 3]) == (1, 5)
    assert median_interval([7]) == (7, 7)
    assert median_interval([]) is None


def test_counts_give_what_the_sample_written_out_gives():
    rng = np.random.default_rng(3)
    for n in (1, 6, 40, 2001):
        sample = rng.integers(0, 12, size=n)
        values, counts = np.unique(sample, return_counts=True)
        assert median_interval(values, counts) == median_interval(sample), n
    assert median_interval([4, 9], [0, 0]) is None


@pytest.mark.parametrize("n", [30, 500])
def test_the_interval_holds_the_true_median_about_95_percent_of_the_time(n):
    rng = np.random.default_rng(n)
    trials = 2000
    held = 0
    for _ in range(trials):
        lo, hi = median_interval(rng.exponential(size=n))
        held += lo <= np.log(2) <= hi  # the exponential's median
    # at least 95% by construction (the ranks are conservative), never far above it
    assert 0.94 <= held / trials <= 0.985, held / trials


def test_dates_in_and_dates_out():
    days = [date(2024, 6, d).toordinal() for d in (5, 12, 12, 12, 19, 26, 26)]
    lo, hi = median_interval(days)
    assert (date.fromordinal(lo), date.fromordinal(hi)) == (date(2024, 6, 5), date(2024, 6, 26))
