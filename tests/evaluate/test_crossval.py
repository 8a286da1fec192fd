"""Leave-one-contest-out on synthetic cases: one fold per case, the model row beside the three
baselines, every column of the table, and the fitted values come from the other cases only."""

import pytest
from test_calibrate_cases import TRUE_THRESHOLD, contest, observed

from sim.evaluate.calibrate import Case
from sim.evaluate.crossval import COLUMNS, crossval


@pytest.fixture(scope="module")
def result():
    made = [contest("a", 5, 0.4), contest("b", 8, 0.45), contest("c", 12, 0.5)]
    cases = [Case(s.name, s, observed(s, TRUE_THRESHOLD)) for s in made]
    return crossval(cases, {"declare_threshold": (0.0, 1.2)}, budget=6, runs=60, seed=2,
                    progress=False)  # fmt: skip


def test_one_fold_per_case_with_the_model_and_three_baselines(result):
    rows = result.rows()
    assert [f.case.name for f in result.folds] == ["a", "b", "c"]
    assert len(rows) == 3 * 4
    assert [r["forecaster"] for r in rows[:4]] == [
        "agent-based model", "compromise", "major powers", "uniform",
    ]  # fmt: skip
    assert all(set(COLUMNS) <= set(r) for r in rows)
    model = [r for r in rows if r["forecaster"] == "agent-based model"]
    assert all(r["p_observed"] is not None and r["date_in_90"] is not None for r in model)
    # Baselines forecast the outcome only: no dates.
    assert all(r["date_error_days"] is None for r in rows if r["forecaster"] == "uniform")


def test_needs_two_cases():
    s = contest("a", 5, 0.4)
    with pytest.raises(ValueError, match="two cases"):
        crossval([Case("a", s, observed(s, TRUE_THRESHOLD))], {"declare_threshold": (0, 1)})
