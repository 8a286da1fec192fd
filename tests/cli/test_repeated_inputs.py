"""A parameter named twice in calibrate's --params, or an input twice in sensitivity's
--inputs, is refused in one line naming it (the last one no longer wins silently)."""

from pathlib import Path

import pytest
from hostile import RECORD, TINY, cli, write

from sim.analysis.inputs import choose_inputs
from sim.errors import ScenarioError
from sim.evaluate.calibrate import parse_params
from sim.scenario.loader import load_scenario

ROOT = Path(__file__).resolve().parents[2]
NATO = ROOT / "scenarios" / "nato-2024.yaml"


def test_a_parameter_given_twice_in_params_is_refused(tmp_path, capsys):
    for texts in (["noise=0:1", "noise=0:2"], ["noise", "parameters.noise=0:2"]):
        with pytest.raises(ScenarioError) as caught:
            parse_params(texts)
        assert str(caught.value.problems[0]) == (
            f"--params {texts[1]}: noise: given more than once in --params: give each "
            "parameter once"
        )
    scenario, record = write(tmp_path, TINY), write(tmp_path, RECORD, "record.yaml")
    code, _, err = cli(capsys, "calibrate", scenario, "--record", record, "--params",
                       "noise=0:1", "noise=0:2", "--budget", 3, "--runs", 4,
                       "--split", "2024-01-20", "--out", tmp_path / "fit.yaml")  # fmt: skip
    assert code == 2 and len(err.strip().splitlines()) == 1 and "more than once" in err


def test_different_parameters_in_params_are_all_kept():
    assert parse_params(["noise=0:1", "w_band=0:2"]) == {"noise": (0.0, 1.0), "w_band": (0.0, 2.0)}


def test_an_input_given_twice_in_inputs_is_refused(tmp_path, capsys):
    scenario = load_scenario(NATO)
    for texts in (["w_band=0:10", "w_band=0:2"], ["w_band=0:1", "parameters.w_band"]):
        with pytest.raises(ScenarioError) as caught:
            choose_inputs(scenario, texts)
        assert "given more than once in --inputs" in str(caught.value.problems[0])
    code, _, err = cli(capsys, "sensitivity", NATO, "--runs", 2, "--trajectories", 2,
                       "--no-pivotal", "--inputs", "w_band=0:10,w_band=0:2",
                       "--out", tmp_path / "s")  # fmt: skip
    assert code == 2
    assert err.strip() == (
        "--inputs w_band=0:2: w_band: given more than once in --inputs: give each input once"
    )


def test_a_group_narrowed_by_one_of_its_inputs_is_no_repeat():
    scenario = load_scenario(NATO)
    inputs = {i.key: i for i in choose_inputs(scenario, ["parameters", "w_band=0:2"])}
    assert (inputs["parameters.w_band"].low, inputs["parameters.w_band"].high) == (0.0, 2.0)
    assert "parameters.noise" in inputs
