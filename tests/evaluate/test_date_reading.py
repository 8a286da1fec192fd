"""The score's date line: the date scores count every run (a deadlock as appointing after
the last round), so with deadlocks their median is later than that of the runs that
appointed; the line gives both, against the observed day."""

from datetime import date, timedelta

import numpy as np
from toy import toy, week

from sim.evaluate.forecast import Forecast
from sim.evaluate.record import Record
from sim.evaluate.score import date_reading, date_scores

SRC = [{"id": "s", "title": "a source"}]


def forecast(rounds: list[int]) -> Forecast:
    """Replications appointing x in the given rounds (-1: deadlock)."""
    world = toy(weeks=10)
    n, t, c = len(rounds), len(world.dates), len(world.candidates)
    outcomes = ["x" if r >= 0 else "deadlock" for r in rounds]
    return Forecast(world, outcomes, np.array(rounds), np.zeros((n, t, c)), {}, [[]] * n)


def record(day: date) -> Record:
    return Record.model_validate({"name": "r", "sources": SRC,
                                  "appointment": {"winner": "x", "date": day, "source": "s"}})  # fmt: skip


def test_with_deadlocks_the_two_medians_differ_and_both_are_said():
    f = forecast([2, 3, 3, 4, -1, -1, -1])  # 4 appointed (median round 3), 3 deadlocked
    seen = record(week(4))
    assert date_scores(f, seen)["date_error_days"] == 0  # the 4th of 7: round 4
    line = date_reading(f, seen)
    assert f"half the runs have appointed by {week(4)}, the observed day" in line
    assert f"the 57.1% of runs that appointed did so by a median of {week(3)}" in line
    assert "7 days before the observed" in line


def test_without_deadlocks_one_median_and_a_day_is_singular():
    f = forecast([2, 3, 3])
    line = date_reading(f, record(week(3) + timedelta(days=1)))
    assert f"by {week(3)}, 1 day before the observed" in line and "(no run deadlocks)" in line
    assert "runs that appointed" not in line


def test_when_most_runs_deadlock_no_median_date_is_claimed():
    line = date_reading(forecast([2, -1, -1]), record(week(3)))
    assert "fewer than half the runs appoint (more than half deadlock), so no median date" in line
    assert "appointed by never" not in line and "half the runs have appointed" not in line
    assert f"the 33.3% of runs that appointed did so by a median of {week(2)}" in line
    assert date_reading(forecast([-1, -1]), record(week(3))).endswith(
        "fewer than half the runs appoint (more than half deadlock), so no median date"
    )


def test_a_record_without_an_appointment_has_no_date_line():
    rec = Record.model_validate({"name": "r", "sources": SRC, "until": week(5)})
    assert date_reading(forecast([2, -1]), rec) is None
