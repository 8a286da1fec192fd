"""`validate` checks a record against its scenario when that scenario is validated with it
(by the record's `scenario:` name), as score does; a record alone is checked on its own and
the output says so."""

from hostile import RECORD, TINY, cli, write


def test_a_record_is_checked_against_its_scenario_when_both_are_validated(tmp_path, capsys):
    write(tmp_path, TINY)
    write(tmp_path, RECORD.replace("supporters: 2", "supporters: 999"), "tiny-record.yaml")
    code, printed, err = cli(capsys, "validate", tmp_path)
    assert code == 2
    assert "tiny-record.yaml" in err and "999" in err and "supporters" in err
    assert "ok   " + str(tmp_path / "tiny.yaml") in printed
    # alone it is only checked on its own (the count cannot be judged without the members)
    code, printed, _ = cli(capsys, "validate", tmp_path / "tiny-record.yaml")
    assert code == 0
    assert "not checked against a scenario" in printed and "tiny" in printed


def test_a_good_record_with_its_scenario_is_ok_and_says_against_what(tmp_path, capsys):
    write(tmp_path, TINY)
    write(tmp_path, RECORD, "tiny-record.yaml")
    code, printed, err = cli(capsys, "validate", tmp_path)
    assert code == 0, err
    assert f"ok   {tmp_path / 'tiny-record.yaml'} (against {tmp_path / 'tiny.yaml'})" in printed
