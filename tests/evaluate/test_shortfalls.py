"""The verdict names every measure on which the model fell short, not only the baseline races."""

from datetime import timedelta

import pytest
from toy import toy, week

from sim.evaluate.record import Record
from sim.evaluate.score import SHORT_HOLDOUTS, SHORT_RHO, shortfalls, standstill_rmse

GOOD = {"date_error_days": 0.0, "date_in_50": 1.0, "date_in_90": 1.0, "support_rmse": 1.0,
        "declaration_rank_rho": 0.8, "holdout_hit_rate": 0.7}  # fmt: skip


def test_a_model_that_meets_every_measure_has_no_shortfall():
    assert shortfalls(GOOD, standstill=2.0) == []


def test_a_date_outside_the_90_interval_is_named_with_its_error():
    (line,) = shortfalls({**GOOD, "date_error_days": -97.0, "date_in_50": 0.0, "date_in_90": 0.0})
    assert "outside the simulated 90% interval" in line and "97 days early" in line


def test_one_day_is_one_day():
    (line,) = shortfalls({**GOOD, "date_error_days": -1.0, "date_in_50": 0.0})
    assert line.endswith("; the median is 1 day early")


def test_a_date_outside_only_the_50_interval_says_so():
    (line,) = shortfalls({**GOOD, "date_error_days": 14.0, "date_in_50": 0.0})
    assert "outside the simulated 50% interval (inside the 90%)" in line and "14 days late" in line


@pytest.mark.parametrize(
    ("key", "value", "phrase"),
    [
        ("declaration_rank_rho", SHORT_RHO - 0.01, "declaration_rank_rho 0.49 is below 0.5"),
        ("holdout_hit_rate", SHORT_HOLDOUTS - 0.1, "holdout_hit_rate 0.40 is below 0.5"),
        ("support_rmse", 2.0, "support_rmse 2 members is no better than assuming nobody moves (2)"),
    ],
)
def test_each_weak_measure_is_named(key, value, phrase):
    (line,) = shortfalls({**GOOD, key: value}, standstill=2.0)
    assert phrase in line


def test_every_shortfall_at_once_and_missing_measures_are_not_invented():
    bad = {"date_error_days": -97.0, "date_in_50": 0.0, "date_in_90": 0.0, "support_rmse": 5.0,
           "declaration_rank_rho": 0.1, "holdout_hit_rate": 0.2}  # fmt: skip
    assert len(shortfalls(bad, standstill=3.0)) == 4
    assert shortfalls({"brier": 0.1}) == []
    assert shortfalls({"support_rmse": 9.0}) == []  # no standstill to judge it by


def test_standstill_rmse_keeps_each_candidates_starting_supporters():
    w = toy(initial={"A": "x", "B": "x", "C": "y"})  # x starts with 2, y with 1
    src = [{"id": "s", "title": "a source"}]
    counts = [
        {"date": week(2), "candidate": "x", "supporters": 4, "source": "s"},  # error -2
        {"date": week(3) + timedelta(days=1), "candidate": "y", "supporters": 0, "source": "s"},
    ]  # second error +1
    rec = Record.model_validate({"name": "r", "sources": src, "support": counts})
    assert standstill_rmse(w, rec) == pytest.approx(((4 + 1) / 2) ** 0.5)
    assert standstill_rmse(w, Record.model_validate({"name": "r", "sources": src})) is None
