"""Hostile input through the member CSV table and the Python API: the guards the YAML files
and the command line have hold there too, each with a one-line located error."""

import os
from pathlib import Path

import pytest
from hostile import cli, sim_subprocess
from test_member_table import SCENARIO, TABLE, write

import sim
from sim.errors import ScenarioError
from sim.scenario.yamlfile import MAX_FILE_BYTES

NATO = "scenarios/nato-2024.yaml"


def test_a_member_table_over_20_mb_is_refused_before_it_is_parsed(tmp_path, capsys):
    path = write(tmp_path)
    with open(tmp_path / "members.csv", "a", encoding="utf-8") as f:
        row = "ZZ,Zland,0.1,0.1,north,,press,false\n"
        f.write(row * (MAX_FILE_BYTES // len(row) + 1))
    code, _, err = cli(capsys, "validate", path)
    assert code == 2 and "members.csv" in err and "20 MB limit for a member table" in err
    assert len([line for line in err.splitlines() if "members.csv" in line]) == 1


def test_a_fifo_as_member_table_is_refused_and_does_not_hang(tmp_path):
    path = write(tmp_path)
    os.remove(tmp_path / "members.csv")
    os.mkfifo(tmp_path / "members.csv")
    done = sim_subprocess(tmp_path, "validate", path.name, timeout=20)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "members.csv: not a regular file (a FIFO)" in done.stderr


def test_a_device_as_member_table_is_refused(tmp_path, capsys):
    path = write(tmp_path)
    os.remove(tmp_path / "members.csv")
    os.symlink("/dev/zero", tmp_path / "members.csv")
    code, _, err = cli(capsys, "validate", path)
    assert code == 2 and "members.csv: not a regular file (a device or socket)" in err


def test_a_folder_or_a_missing_member_table_gets_a_sentence(tmp_path, capsys):
    path = write(tmp_path)
    os.remove(tmp_path / "members.csv")
    code, _, err = cli(capsys, "validate", path)
    assert code == 2 and "scenario.yaml:" in err and "file not found: members.csv" in err
    (tmp_path / "members.csv").mkdir()
    code, _, err = cli(capsys, "validate", path)
    assert code == 2 and "members.csv: is a folder, not a file" in err


def test_a_regular_member_table_still_loads(tmp_path, capsys):
    path = write(tmp_path, TABLE, SCENARIO)  # the control: the guard lets a real table through
    code, out, _ = cli(capsys, "validate", path)
    assert code == 0, out


def test_the_api_checks_a_records_scenario_name_as_the_cli_does(tmp_path):
    record = tmp_path / "other.yaml"
    text = Path("records/nato-2024.yaml").read_text(encoding="utf-8")
    record.write_text(text.replace("scenario: nato-2024", "scenario: wto-2013"), encoding="utf-8")
    with pytest.raises(ScenarioError) as err:
        sim.score(NATO, record, runs=4)
    assert "is a record of 'wto-2013', not of 'nato-2024'" in str(err.value.problems[0])
    # A what-if may be scored against its base's record (the name of a base it extends).
    assert sim.score("scenarios/what-if/schengen-settled.yaml", "records/nato-2024.yaml", runs=4)


def test_the_api_checks_out_as_the_command_line_does(tmp_path):
    scenario = tmp_path / "copy.yaml"
    scenario.write_text(Path(NATO).read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(ScenarioError, match="is an input of this command"):
        sim.batch(scenario, runs=4, out=scenario)  # would have replaced the scenario
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(ScenarioError, match="already holds files"):
        sim.batch(NATO, runs=4, out=busy)
    with pytest.raises(ScenarioError, match="already holds files"):
        sim.compare([NATO], runs=4, out=busy)
    with pytest.raises(ScenarioError, match="is an input of this command"):
        sim.score(NATO, "records/nato-2024.yaml", runs=4, out="records/nato-2024.yaml")
    assert (busy / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert scenario.read_text(encoding="utf-8") == Path(NATO).read_text(encoding="utf-8")
    # The controls: a new folder, and a batch folder resumed, are accepted.
    sim.batch(NATO, runs=4, out=tmp_path / "fresh", report=False)
    sim.batch(NATO, runs=4, out=tmp_path / "fresh", report=False)
    sim.score(NATO, "records/nato-2024.yaml", runs=4, out=tmp_path / "scored")
