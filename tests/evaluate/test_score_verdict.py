"""`score` on a sweep scores every point, and its verdict names every shortfall."""

import math
from pathlib import Path

import yaml

import sim
from sim.cli.main import main
from sim.report.scores import verdict

ROOT = Path(__file__).resolve().parents[2]
BASE = ROOT / "scenarios" / "nato-2024.yaml"
RECORD = ROOT / "records" / "nato-2024.yaml"


def swept(tmp_path: Path) -> Path:
    path = tmp_path / "swept.yaml"
    sweep = {"sweep": {"params": {"parameters.noise": [0.05, 2.0]}}}
    path.write_text(f"extends: {BASE}\n" + yaml.safe_dump({"batch": sweep}))
    return path


def test_score_on_a_sweep_gives_a_model_row_per_point_scored_on_that_point(tmp_path):
    s = sim.score(swept(tmp_path), RECORD, runs=40)
    names = list(s.table["forecast"])
    assert names[:2] == [
        "agent-based model, point 0 (parameters.noise=0.05)",
        "agent-based model, point 1 (parameters.noise=2)",
    ]
    assert names[2:] == ["compromise", "major powers", "uniform"]  # noise moves no baseline
    runs = s.results.runs
    for point in (0, 1):
        mine = runs[runs["point"] == point]
        share = (mine["winner"] == "rutte").mean()
        assert s.table["p_observed"].iloc[point] == share
    assert len(s.forecasts) == 2
    # Each point gets its own lines in the verdict, named by its values.
    assert any(
        line.startswith("against uniform: point 1 (parameters.noise=2)") for line in s.verdict
    )


def with_priors(tmp_path: Path) -> Path:
    """nato-2024 with the unfitted parameters, whose date misses the record."""
    path = tmp_path / "priors.yaml"
    path.write_text(f"extends: {BASE}\nparameters: priors\n")
    return path


def test_the_verdict_of_nato_2024_names_the_date_it_missed(tmp_path):
    s = sim.score(with_priors(tmp_path), RECORD, runs=100)
    short = [line for line in s.verdict if "fell short" in line]
    assert len(short) == 1 and "outside the simulated 90% interval" in short[0]
    assert "days early" in short[0] or "days late" in short[0]  # late with the issue-9 priors


def test_the_verdict_lists_each_shortfall_and_says_when_there_is_none():
    model = {"brier": 0.1, "date_in_50": 0.0, "date_in_90": 0.0, "date_error_days": -20.0,
             "support_rmse": 4.0, "declaration_rank_rho": 0.2, "holdout_hit_rate": 0.1}  # fmt: skip
    rows = [("agent-based model", "", model), ("uniform", "", {"brier": 0.5})]
    lines = verdict(rows, list(model), standstill=3.0)
    assert lines[0] == "against uniform: model better on brier; worse on nothing"
    assert lines[1].count(";") >= 4  # date, rmse, rank and holdouts, each named
    for word in ("90% interval", "support_rmse", "declaration_rank_rho", "holdout_hit_rate"):
        assert word in lines[1]
    good = {**model, "date_in_50": 1.0, "date_in_90": 1.0, "support_rmse": 1.0,
            "declaration_rank_rho": 0.9, "holdout_hit_rate": 0.9}  # fmt: skip
    lines = verdict([("agent-based model", "", good), rows[1]], list(good), standstill=3.0)
    assert lines[1].startswith("on its own (model): no shortfall on date_in_50")


def test_score_on_the_command_line_ends_with_the_shortfall_and_fits_its_headers(tmp_path, capsys):
    assert main(["score", str(with_priors(tmp_path)), "--record", str(RECORD), "--runs", "60",
                 "--out", str(tmp_path / "out")]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "fell short: the observed appointment date is outside" in out
    for key in ("date_error_days", "declaration_rank_rho", "holdout_hit_rate"):
        assert key in out  # whole, not cut to 14 characters
    # every run deadlocks at the priors: no run has last holdouts, so the rate is n/a, not 0
    row = next(line for line in out.splitlines() if line.startswith("holdout_hit_rate"))
    assert row.split()[1] == "n/a"
    assert "fell short" in (tmp_path / "out" / "report.md").read_text()


def test_a_record_without_an_appointment_says_it_is_scored_as_a_deadlock(tmp_path):
    record = yaml.safe_load(RECORD.read_text())
    del record["appointment"]
    path = tmp_path / "unfinished.yaml"
    path.write_text(yaml.safe_dump(record, sort_keys=False))
    s = sim.score(BASE, path, runs=40)
    assert s.verdict[0] == (
        "observed outcome: no appointment at all (the record has no `appointment:`), so "
        "p_observed is the forecast's probability of deadlock"
    )
    deadlocks = float(s.results.runs["winner"].isna().mean())
    assert s.table["p_observed"].iloc[0] == deadlocks
    record["until"] = "2024-05-01"
    path.write_text(yaml.safe_dump(record, sort_keys=False))
    assert (
        sim.score(BASE, path, runs=40)
        .verdict[0]
        .startswith(
            "observed outcome: no appointment by 2024-05-01 (the record has no `appointment:`)"
        )
    )
    # With one, nothing is said
    assert not sim.score(BASE, RECORD, runs=40).verdict[0].startswith("observed outcome")


def test_the_model_and_the_baselines_take_the_same_log_score_floor(tmp_path):
    # oecd-2021 at these values: the model and the compromise both give the observed
    # winner 0, so both score ln(1/(2 runs)) and neither is better on log_score
    fit = {"offer_rate": 0.6688, "pressure_days": 120, "w_band": 2.789, "w_ties": 1.212,
           "noise": 0.2079}  # fmt: skip
    s = sim.score(ROOT / "scenarios" / "oecd-2021.yaml", ROOT / "records" / "oecd-2021.yaml",
                  runs=40, set={f"parameters.{k}": v for k, v in fit.items()})  # fmt: skip
    rows = s.table.set_index("forecast")
    assert rows.loc["agent-based model", "p_observed"] == 0
    assert rows.loc["compromise", "p_observed"] == 0
    assert rows.loc["agent-based model", "log_score"] == rows.loc["compromise", "log_score"]
    assert abs(rows.loc["compromise", "log_score"] - math.log(1 / 80)) < 1e-3
    against = next(line for line in s.verdict if line.startswith("against compromise"))
    assert "log_score" not in against.split("; worse")[0]  # not a "win" from the floor
