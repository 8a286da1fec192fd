"""calibrate --split after the record's last entry: the check part would hold nothing, and
an empty part was scored as if deadlock had been observed. It is refused in one line, as a
split before the record's first entry is."""

import pytest
from hostile import RECORD, TINY, cli, write


def calibrate(capsys, tmp_path, split):
    scenario, record = write(tmp_path, TINY), write(tmp_path, RECORD, "record.yaml")
    return cli(capsys, "calibrate", scenario, "--record", record, "--params", "noise",
               "--budget", 2, "--runs", 4, "--split", split,
               "--out", tmp_path / "fit.yaml")  # fmt: skip


@pytest.mark.parametrize("split", ["2024-02-06", "2030-01-01"])
def test_a_split_after_the_last_entry_is_refused(tmp_path, capsys, split):
    # The tiny record's last entry is its appointment, 2024-02-05.
    code, out, err = calibrate(capsys, tmp_path, split)
    assert code == 2 and out == ""
    assert (
        err.strip() == f"--split: the record holds nothing on or after {split} to check the fit on"
    )
    assert not (tmp_path / "fit.yaml").exists()


def test_a_split_on_the_last_entry_checks_on_it(tmp_path, capsys):
    code, out, err = calibrate(capsys, tmp_path, "2024-02-05")
    assert code == 0, err
    assert "check part" in out and (tmp_path / "fit.yaml").exists()


def test_a_split_before_the_first_entry_is_still_refused(tmp_path, capsys):
    code, _, err = calibrate(capsys, tmp_path, "2024-01-01")
    assert code == 2 and "the record holds nothing before 2024-01-01 to fit" in err
