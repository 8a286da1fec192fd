"""calibrate refuses, in one line before any work, a --params range with points that break
the schema's rule lift_threshold >= object_threshold (they would be evaluated at infinite
loss, silently); ranges that keep it are searched."""

from pathlib import Path

import pytest
from hostile import RECORD, TINY, cli, write

from sim.scenario.loader import load_scenario


def calibrate(capsys, tmp_path: Path, *params):
    scenario, record = write(tmp_path, TINY), write(tmp_path, RECORD, "record.yaml")
    return cli(capsys, "calibrate", scenario, "--record", record, "--params", *params,
               "--budget", 3, "--runs", 4, "--split", "2024-01-20",
               "--out", tmp_path / "fit.yaml")  # fmt: skip


@pytest.mark.parametrize(
    "params, expected",
    [
        (["lift_threshold=-5:5"], "--params: lift_threshold: the range starts at -5, below "
         "object_threshold (-0.4) (lift_threshold must not be below object_threshold): start it "
         "at -0.4 or above"),
        (["object_threshold=-5:5"], "--params: object_threshold: the range ends at 5, above "
         "lift_threshold (-0.2) (lift_threshold must not be below object_threshold): end it at "
         "-0.2 or below"),
        (["lift_threshold=-1:1", "object_threshold=-2:0"], "--params: lift_threshold: "
         "lift_threshold's range starts at -1, below the top of object_threshold's range, 0 "
         "(lift_threshold must not be below object_threshold): give ranges that do not overlap"),
    ],
)  # fmt: skip
def test_a_range_that_breaks_the_lift_rule_is_refused_up_front(tmp_path, capsys, params,
                                                               expected):  # fmt: skip
    code, out, err = calibrate(capsys, tmp_path, *params)
    assert code == 2 and err.strip() == expected
    assert not (tmp_path / "fit.yaml").exists()


def test_across_cases_such_a_range_is_refused_too(tmp_path, capsys):
    scenario, record = write(tmp_path, TINY), write(tmp_path, RECORD, "record.yaml")
    code, _, err = cli(capsys, "calibrate", f"{scenario}:{record}", "--params",
                       "lift_threshold=-5:5", "--budget", 3, "--runs", 4)  # fmt: skip
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "lift_threshold must not be below object_threshold" in err


def test_ranges_that_keep_the_lift_rule_are_searched(tmp_path, capsys):
    code, _, err = calibrate(capsys, tmp_path, "lift_threshold=-0.4:1", "object_threshold=-2:-0.4")
    assert code == 0, err
    params = load_scenario(tmp_path / "fit.yaml").parameters
    assert params.lift_threshold >= params.object_threshold
