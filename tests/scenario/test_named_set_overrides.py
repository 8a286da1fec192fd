"""`--set parameters=priors` with `--set parameters.noise=0.9`, in either order, means the
priors with noise 0.9: the named set first, then single parameters on top (before, one order
dropped the 0.9 without a word and the other failed with "parameters: is not a mapping")."""

from pathlib import Path

import pytest
from hostile import RECORD, TINY, cli, write

import sim
from sim.scenario.loader import load_scenario
from sim.scenario.parameter_sets import _carried
from sim.scenario.schema import PRIORS

ROOT = Path(__file__).resolve().parents[2]
NATO = ROOT / "scenarios" / "nato-2024.yaml"
PRIORS_THEN_NOISE = ["parameters=priors", "parameters.noise=0.9"]
NOISE_THEN_PRIORS = ["parameters.noise=0.9", "parameters=priors"]


def values(scenario) -> dict:
    return scenario.parameters.model_dump(exclude={"source", "assumption", "note"})


@pytest.mark.parametrize("overrides", [PRIORS_THEN_NOISE, NOISE_THEN_PRIORS, ["priors"]])
def test_both_orders_give_the_priors_with_the_one_override(tmp_path, overrides):
    if overrides == ["priors"]:  # a file's `parameters: priors`, then the --set on top
        path = write(tmp_path, f"extends: {NATO}\nparameters: priors\n", "old.yaml")
        got = values(load_scenario(path, ["noise=0.9"]))
    else:
        got = values(load_scenario(NATO, overrides))
    assert got == {**PRIORS, "noise": 0.9}


def test_the_named_set_alone_and_a_parameter_alone_are_unchanged():
    assert values(load_scenario(NATO, ["parameters=priors"])) == PRIORS
    alone = values(load_scenario(NATO, ["parameters.noise=0.9"]))
    assert alone == {**values(load_scenario(NATO)), "noise": 0.9} and alone != {
        **PRIORS,
        "noise": 0.9,
    }


def test_the_python_api_takes_both_orders():
    for given in ({"parameters.noise": 0.9, "parameters": "priors"}, PRIORS_THEN_NOISE):
        assert values(sim.load(NATO, set=given)) == {**PRIORS, "noise": 0.9}


@pytest.mark.parametrize("overrides", [PRIORS_THEN_NOISE, NOISE_THEN_PRIORS])
def test_explain_shows_the_override_in_both_orders(capsys, overrides):
    sets = [x for o in overrides for x in ("--set", o)]
    code, out, err = cli(capsys, "explain", NATO, "--member", "HU", "--round", 2, *sets)
    assert code == 0, err
    assert "noise 0.9 x standard normal shock" in out


def test_score_runs_at_the_priors_with_the_override_in_both_orders(tmp_path, capsys):
    scenario, record = write(tmp_path, TINY), write(tmp_path, RECORD, "record.yaml")
    sets = [x for o in PRIORS_THEN_NOISE for x in ("--set", o)]  # was "is not a mapping"
    code, out, err = cli(capsys, "score", scenario, "--record", record, "--runs", 4,
                         "--out", tmp_path / "s", *sets)  # fmt: skip
    assert code == 0, err
    spelt = [f"parameters.{k}={v}" for k, v in {**PRIORS, "noise": 0.9}.items()]
    want = sim.score(scenario, record, runs=4, seed=1, set=spelt, progress=False).rows
    for order in (PRIORS_THEN_NOISE, NOISE_THEN_PRIORS):  # the second dropped the 0.9
        got = sim.score(scenario, record, runs=4, seed=1, set=order, progress=False).rows
        assert got == want


def test_a_crossval_s_carried_set_reads_both_orders_alike():
    assert _carried(NOISE_THEN_PRIORS, "f") == _carried(PRIORS_THEN_NOISE, "f")
    assert _carried(PRIORS_THEN_NOISE, "f") == {**PRIORS, "noise": 0.9}
