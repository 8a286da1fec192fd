"""A scenario given where a record goes, a record where a scenario goes, or the record of
another contest: one line saying so, exit status 2, instead of a line per section or per
member the other file does not have."""

from pathlib import Path

from hostile import cli

ROOT = Path(__file__).resolve().parents[2]
NATO, OECD = ROOT / "scenarios" / "nato-2024.yaml", ROOT / "scenarios" / "oecd-2021.yaml"
NATO_RECORD = ROOT / "records" / "nato-2024.yaml"


def test_the_record_of_another_contest_is_one_line(capsys):
    code, printed, err = cli(capsys, "score", OECD, "--record", NATO_RECORD, "--runs", 4)
    assert code == 2 and printed == ""
    assert err.strip().splitlines() == [
        f"{NATO_RECORD}:57: scenario: is a record of 'nato-2024', not of 'oecd-2021': give the "
        "record of this scenario"
    ]


def test_a_record_given_as_the_scenario_is_one_line(capsys):
    for args in (["score", NATO_RECORD, "--record", NATO], ["run", NATO_RECORD],
                 ["batch", NATO_RECORD, "--runs", 4]):  # fmt: skip
        code, printed, err = cli(capsys, *args)
        assert code == 2 and printed == "", args
        assert err.strip().splitlines() == [
            f"{NATO_RECORD}: is an observed record, not a scenario: give a scenario here, and "
            "the record with --record"
        ], args


def test_a_scenario_given_as_the_record_is_one_line(capsys):
    code, printed, err = cli(capsys, "score", NATO, "--record", OECD, "--runs", 4)
    assert code == 2 and printed == ""
    assert err.strip().splitlines() == [
        f"{OECD}: is a scenario, not an observed record: give the record's YAML file here"
    ]


def test_validate_still_tells_records_and_scenarios_apart(capsys):
    code, printed, _ = cli(capsys, "validate", NATO, NATO_RECORD, OECD)
    assert code == 0 and "3 file(s), 0 with problems" in printed
