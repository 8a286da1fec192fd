"""Leave-one-contest-out on synthetic cases: one fold per case, the model row beside the three
baselines, every column of the table, and the fitted values come from the other cases only."""

import pytest
from hostile import two_cases
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


def test_the_crossval_command_writes_its_table_and_fans(tmp_path, capsys):
    from hostile import cli

    out = tmp_path / "cv"
    args = ["crossval", *two_cases(tmp_path), "--params", "noise", "--budget", 2, "--runs", 2]
    code, printed, err = cli(capsys, *args, "--out", out)
    assert code == 0, err
    assert "tiny: fitted without it: noise=" in printed
    assert (out / "crossval.csv").read_text().startswith("case,forecaster,")
    assert (out / "plots" / "crossval_fans.png").stat().st_size > 0


def test_each_fold_reports_the_left_out_loss_and_the_mean(result):
    losses = [f.scores["loss"] for f in result.folds]
    assert all(0 <= x < 1 for x in losses)
    assert result.mean_loss() == pytest.approx(sum(losses) / 3)
    model = [r for r in result.rows() if r["forecaster"] == "agent-based model"]
    assert [r["loss"] for r in model] == losses
    assert all(r["loss"] is None for r in result.rows() if r["forecaster"] == "uniform")


def test_a_prior_weight_reaches_every_fold():
    made = [contest("a", 5, 0.4), contest("b", 8, 0.45)]
    cases = [Case(s.name, s, observed(s, TRUE_THRESHOLD)) for s in made]
    start = float(made[0].parameters.declare_threshold)
    ranges = {"declare_threshold": (0.0, 1.2)}
    free = crossval(cases, ranges, budget=6, runs=40, seed=2, progress=False)
    held = crossval(cases, ranges, budget=6, runs=40, seed=2, progress=False, prior_weight=100)
    assert all(f.fitted["declare_threshold"] == start for f in held.folds)  # pulled all the way
    assert any(f.fitted["declare_threshold"] != start for f in free.folds)


def test_the_crossval_command_takes_a_prior_weight(tmp_path, capsys):
    from hostile import cli

    out = tmp_path / "cv"
    args = ["crossval", *two_cases(tmp_path), "--params", "noise", "--budget", 2, "--runs", 2]
    code, printed, err = cli(capsys, *args, "--out", out, "--prior-weight", "0.5")
    assert code == 0, err
    assert "prior weight 0.5" in printed and "mean left-out loss" in printed
    assert ",loss," in (out / "crossval.csv").read_text().splitlines()[0] + ","
    code, _, err = cli(capsys, *args, "--out", tmp_path / "cv2", "--prior-weight", "-1")
    assert code == 2 and "--prior-weight" in err


def test_calibrate_over_cases_records_its_prior_weight_and_refuses_it_for_one_record(
    tmp_path, capsys
):
    from hostile import cli

    cases = two_cases(tmp_path)
    out = tmp_path / "fit.yaml"
    args = ["calibrate", *cases, "--params", "noise", "--budget", 2, "--runs", 2]
    code, printed, err = cli(capsys, *args, "--out", out, "--prior-weight", "0.3")
    assert code == 0, err
    assert "prior weight 0.3" in printed
    assert "--prior-weight 0.3" in out.read_text().splitlines()[0]
    scenario, record = cases[0].split(":")
    code, _, err = cli(capsys, "calibrate", scenario, "--record", record, "--params", "noise",
                       "--prior-weight", "0.3", "--out", tmp_path / "one.yaml")  # fmt: skip
    assert code == 2 and "--prior-weight" in err and "several cases" in err
