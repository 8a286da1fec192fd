"""sensitivity refuses, in one line before any work, an --inputs range with points that
break the schema's rule lift_threshold >= object_threshold (as calibrate refuses its
--params); the default ranges are narrowed to keep it, so every point is simulated at the
values its row records."""

import pytest
from hostile import TINY, cli, write

import sim
from sim.analysis.inputs import choose_inputs
from sim.errors import ScenarioError
from sim.scenario.loader import load_scenario

RULE = "(lift_threshold must not be below object_threshold)"


@pytest.mark.parametrize(
    "inputs, expected",
    [
        ("lift_threshold=-5:5", "--inputs lift_threshold=-5:5: lift_threshold: the range starts "
         f"at -5, below object_threshold (-0.4) {RULE}: start it at -0.4 or above"),
        ("object_threshold=-5:5", "--inputs object_threshold=-5:5: object_threshold: the range "
         f"ends at 5, above lift_threshold (-0.2) {RULE}: end it at -0.2 or below"),
        ("parameters.lift_threshold=-1:1,object_threshold=-2:0",
         "--inputs parameters.lift_threshold=-1:1: parameters.lift_threshold: lift_threshold's "
         "range starts at -1, below the top of object_threshold's range, 0 "
         f"{RULE}: give ranges that do not overlap"),
    ],
)  # fmt: skip
def test_a_range_that_breaks_the_lift_rule_is_refused_up_front(tmp_path, capsys, inputs,
                                                               expected):  # fmt: skip
    code, _, err = cli(capsys, "sensitivity", write(tmp_path, TINY), "--runs", 2,
                       "--trajectories", 2, "--no-pivotal", "--inputs", inputs,
                       "--out", tmp_path / "s")  # fmt: skip
    assert code == 2 and err.strip() == expected
    assert not (tmp_path / "s").exists()


def test_from_python_it_is_refused_naming_inputs(tmp_path):
    with pytest.raises(ScenarioError) as caught:
        sim.sensitivity(write(tmp_path, TINY), inputs=["lift_threshold=-5:5"], runs=2,
                        trajectories=2, pivotal=False, out=tmp_path / "s")  # fmt: skip
    message = str(caught.value)
    assert message.startswith("inputs='lift_threshold=-5:5': lift_threshold: the range starts")
    assert len(message.splitlines()) == 1 and not (tmp_path / "s").exists()


def test_a_given_range_narrows_the_others_default_one(tmp_path):
    scenario = load_scenario(write(tmp_path, TINY))
    inputs = {i.key: i for i in choose_inputs(scenario, ["lift_threshold=-0.3:1",
                                                         "object_threshold"])}  # fmt: skip
    lift, obj = inputs["parameters.lift_threshold"], inputs["parameters.object_threshold"]
    assert (
        (lift.low, lift.high) == (-0.3, 1.0) and obj.high == -0.3 and obj.low == pytest.approx(-0.6)
    )


def test_the_default_ranges_keep_the_rule(tmp_path):
    scenario = load_scenario(write(tmp_path, TINY))
    inputs = {i.key: i for i in choose_inputs(scenario)}
    lift, obj = inputs["parameters.lift_threshold"], inputs["parameters.object_threshold"]
    assert lift.low >= obj.high
    assert lift.low == pytest.approx(-0.3) and obj.high == pytest.approx(-0.3)


def test_a_range_that_keeps_the_rule_runs(tmp_path, capsys):
    code, _, err = cli(capsys, "sensitivity", write(tmp_path, TINY), "--runs", 2,
                       "--trajectories", 2, "--no-pivotal", "--workers", 1, "--inputs",
                       "lift_threshold=-0.4:1,object_threshold=-2:-0.4",
                       "--out", tmp_path / "s")  # fmt: skip
    assert code == 0, err
    assert (tmp_path / "s" / "sensitivity.csv").exists()


def test_a_sensitivity_block_range_that_breaks_the_rule_is_refused(tmp_path):
    block = "sensitivity:\n  inputs:\n    lift_threshold: {min: -5, max: 5}\n"
    scenario = load_scenario(write(tmp_path, TINY + block))
    with pytest.raises(ScenarioError) as caught:
        choose_inputs(scenario)
    assert str(caught.value).startswith(
        "sensitivity: inputs.lift_threshold: the range starts at -5, below object_threshold"
    )
