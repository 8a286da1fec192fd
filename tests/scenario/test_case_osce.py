"""The OSCE Secretary General 2020 case: its scenario, member table and record hold together,
and `score` runs on it (few runs: this checks the plumbing, not the model's fit)."""

import math
from datetime import date
from pathlib import Path

import pytest

import sim
from sim.errors import ScenarioError
from sim.evaluate.calibrate import case_paths
from sim.evaluate.record import load_record
from sim.scenario.loader import load_scenario

REPO = Path(__file__).resolve().parents[2]
SCENARIO = REPO / "scenarios" / "osce-2020.yaml"
RECORD = REPO / "records" / "osce-2020.yaml"


@pytest.fixture(scope="module")
def scenario():
    return load_scenario(SCENARIO)


def test_the_57_participating_states_come_from_the_table(scenario):
    codes = [m.code for m in scenario.members]
    assert len(codes) == len(set(codes)) == 57
    assert sum(1 for m in scenario.members if m.attributes.get("eu") is True) == 27
    assert {"US", "RU", "DE", "AL", "HU", "AZ", "TJ", "TR", "MN", "VA"} <= set(codes)


def test_every_member_cites_a_source_and_says_what_is_assumed(scenario):
    ids = {s.id for s in scenario.sources}
    for m in scenario.members:
        cited = [m.source] if isinstance(m.source, str) else list(m.source or [])
        assert cited and set(cited) <= ids, m.code
        assert m.assumption, m.code  # tiered capability and salience are the coder's


def test_the_scenario_cites_nothing_published_after_its_date(scenario):
    start = scenario.calendar.start
    late = [s.id for s in scenario.sources if s.published and s.published > start]
    assert not late, late


def test_the_record_is_checked_against_its_scenario(scenario):
    record = load_record(RECORD, scenario, [scenario.name])
    assert record.appointment.winner == "schmid"
    assert record.appointment.date == date(2020, 12, 4)
    assert record.last_holdouts == ["HU"]
    every = [record.appointment.date, *(d.date for d in record.declarations)]
    assert min(every) >= scenario.calendar.start  # a record of what came after the scenario


def test_a_record_claiming_more_supporters_than_states_is_refused(scenario, tmp_path):
    text = RECORD.read_text(encoding="utf-8")
    assert text.count("supporters: 57") == 1
    bad = tmp_path / "osce-2020.yaml"
    bad.write_text(text.replace("supporters: 57", "supporters: 58"), encoding="utf-8")
    with pytest.raises(ScenarioError, match="58 supporters, more than the 57 members"):
        load_record(bad, scenario, [scenario.name])


def test_the_case_library_lists_the_case():
    pairs = case_paths([str(REPO / "scenarios" / "cases.txt")])
    mine = [(Path(s).resolve(), Path(r).resolve()) for s, r in pairs if "osce-2020" in s]
    assert mine == [(SCENARIO.resolve(), RECORD.resolve())]


def test_score_runs_on_the_case():
    s = sim.score(SCENARIO, RECORD, runs=20)
    table = s.table.set_index("forecast")
    assert list(table.index) == ["agent-based model", "compromise", "major powers", "uniform"]
    model = table.loc["agent-based model"]
    assert 0.0 <= model["p_observed"] <= 1.0
    assert 0.0 <= model["holdout_hit_rate"] <= 1.0
    # with a single candidate every baseline gives the observed winner probability one
    assert (table.loc[["compromise", "major powers", "uniform"], "p_observed"] == 1.0).all()
    if model["p_observed"] > 0:  # some run appointed her: the date error is measured
        assert not math.isnan(model["date_error_days"])
    assert s.verdict
