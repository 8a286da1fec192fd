"""`validate` checks a record against its scenario when that scenario is validated with it
(by the record's `scenario:` name), as score does; a record alone is checked on its own and
the output says so."""

from hostile import RECORD, TINY, cli, two_cases, write


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


def test_a_record_naming_its_scenario_wrong_is_a_problem_when_validated_with_it(tmp_path, capsys):
    write(tmp_path, TINY)
    record = RECORD.replace("scenario: tiny", "scenario: tinny")
    f = write(tmp_path, record, "tiny-record.yaml")
    code, printed, err = cli(capsys, "validate", tmp_path / "tiny.yaml", f)
    assert code == 2
    line = record.splitlines().index("scenario: tinny") + 1
    assert err.strip() == (f"{f}:{line}: scenario: 'tinny' is none of the scenarios validated "
                           "with it; did you mean 'tiny'?")  # fmt: skip
    # a record of another contest, validated beside an unrelated scenario: only a note
    other = write(tmp_path, RECORD.replace("scenario: tiny", "scenario: wto-2013"), "wto.yaml")
    code, printed, err = cli(capsys, "validate", tmp_path / "tiny.yaml", other)
    assert code == 0, err
    assert "not checked against a scenario: validate its scenario 'wto-2013'" in printed


def test_validate_checks_a_case_list_and_says_where_a_case_is_missing(tmp_path, capsys):
    cases = two_cases(tmp_path / "lib")
    listing = tmp_path / "lib" / "cases.txt"
    listing.write_text("# cases\n" + "\n".join(c.replace(f"{tmp_path}/lib/", "") for c in cases))
    code, printed, err = cli(capsys, "validate", listing)
    assert code == 0, err
    assert f"ok   {listing} (a case list: 2 case(s)" in printed
    # a case's record fails against its scenario: said at the record's line
    (tmp_path / "lib" / "tiny2-record.yaml").write_text(
        RECORD.replace("tiny-record", "tiny2-record").replace("scenario: tiny", "scenario: tiny2")
        .replace("supporters: 2", "supporters: 999"))  # fmt: skip
    code, printed, err = cli(capsys, "validate", listing)
    assert code == 2 and "tiny2-record.yaml" in err and "999" in err, err
    # a path that is not there: at the list's line, relative to its folder
    listing.write_text("tiny.yaml:tiny-record.yaml\ntiny.yaml:records/tiny.yaml\nno.yaml:x.yaml\n")
    code, _, err = cli(capsys, "validate", listing)
    assert code == 2
    folder = tmp_path / "lib"
    assert err.splitlines() == [
        f"{listing}:2: records/tiny.yaml: file not found (paths are relative to the list's "
        f"folder, {folder}/)",
        f"{listing}:3: no.yaml: file not found (paths are relative to the list's folder, {folder}/)",
        f"{listing}:3: x.yaml: file not found (paths are relative to the list's folder, {folder}/)",
    ]
    # calibrate and crossval say the same
    code, _, err2 = cli(capsys, "crossval", listing, "--params", "noise")
    assert code == 2 and err2 == err, err2


def test_validate_says_a_member_table_is_checked_through_its_scenario(tmp_path, capsys):
    table = tmp_path / "members.csv"
    table.write_text("code,name,capability,salience\nA,Aland,0.5,0.5\n")
    code, _, err = cli(capsys, "validate", table)
    assert code == 2
    assert err.strip() == (f"{table}: is a member table: it is checked through the scenario "
                           "that reads it (`members_table:`); validate that scenario")  # fmt: skip
    assert "a scenario must be a mapping" not in err
