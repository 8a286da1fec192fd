"""Records are checked against their scenario before any run: impossible facts are refused."""

from pathlib import Path

import pytest
from hostile import RECORD, REPO, TINY, cli, write

from sim.errors import ScenarioError
from sim.evaluate.record import load_record
from sim.scenario.loader import load_scenario

NATO = REPO / "scenarios" / "nato-2024.yaml"
NATO_RECORD = REPO / "records" / "nato-2024.yaml"


def broken(tmp_path, old: str, new: str, text: str = RECORD) -> Path:
    assert text.count(old) == 1, old
    return write(tmp_path, text.replace(old, new), "rec.yaml")


def refused(capsys, tmp_path, record: Path, phrase: str) -> str:
    """`score` refuses the record at once, before any replication is run."""
    tiny = write(tmp_path, TINY)
    code, _, err = cli(capsys, "score", tiny, "--record", record, "--runs", 2,
                       "--out", tmp_path / "o")  # fmt: skip
    assert code == 2 and phrase in err, err
    assert not (tmp_path / "o").exists(), "a batch ran before the record was checked"
    return err


def test_the_tiny_record_is_accepted(tmp_path, capsys):
    tiny = write(tmp_path, TINY)
    record = write(tmp_path, RECORD, "rec.yaml")
    code, _, err = cli(
        capsys, "score", tiny, "--record", record, "--runs", 2, "--out", tmp_path / "o"
    )
    assert code == 0, err


@pytest.mark.parametrize(
    "variant", [NATO, *sorted((REPO / "scenarios" / "what-if").glob("*.yaml"))]
)
def test_the_shipped_record_fits_the_scenario_and_its_variants(variant):
    scenario = load_scenario(variant)
    load_record(NATO_RECORD, scenario, names=["nato-2024"] if variant != NATO else None)


def test_999_supporters_in_a_31_member_alliance(tmp_path):
    text = NATO_RECORD.read_text()
    record = write(tmp_path, text.replace("supporters: 21", "supporters: 999", 1), "rec.yaml")
    with pytest.raises(ScenarioError, match="999 supporters, more than the 31 members"):
        load_record(record, load_scenario(NATO))


def test_more_supporters_than_members(tmp_path, capsys):
    refused(capsys, tmp_path, broken(tmp_path, "supporters: 2", "supporters: 4"), "members")


def test_an_appointment_after_the_calendar(tmp_path, capsys):
    refused(capsys, tmp_path, broken(tmp_path, "date: 2024-02-05, winner", "date: 2031-01-01, winner"),
            "last round")  # fmt: skip


def test_a_declaration_after_the_calendar(tmp_path, capsys):
    refused(capsys, tmp_path, broken(tmp_path, "candidate: x, date: 2024-01-15", "candidate: x, date: 2030-01-15"),
            "last round")  # fmt: skip


def test_a_support_count_after_the_calendar(tmp_path, capsys):
    refused(capsys, tmp_path, broken(tmp_path, "- {date: 2024-01-15, candidate: x", "- {date: 2029-01-15, candidate: x"),
            "last round")  # fmt: skip


def test_a_winner_who_withdrew(tmp_path, capsys):
    record = broken(tmp_path, "declarations:\n",
                    "withdrawals:\n  - {candidate: x, date: 2024-01-20, source: news}\ndeclarations:\n")  # fmt: skip
    refused(capsys, tmp_path, record, "withdrew")


def test_a_winner_the_scenario_withdraws(tmp_path, capsys):
    tiny = write(
        tmp_path,
        TINY
        + "events:\n  - {id: out, date: 2024-01-22, kind: withdraw, candidate: x, source: press}\n",
    )
    record = write(tmp_path, RECORD, "rec.yaml")
    code, _, err = cli(
        capsys, "score", tiny, "--record", record, "--runs", 2, "--out", tmp_path / "o"
    )
    assert code == 2 and "withdrew" in err


def test_a_duplicate_declaration(tmp_path, capsys):
    record = broken(tmp_path, "  - {member: C, candidate: x, date: 2024-01-15, source: news}\n",
                    "  - {member: C, candidate: x, date: 2024-01-15, source: news}\n"
                    "  - {member: C, candidate: x, date: 2024-01-22, source: news}\n")  # fmt: skip
    refused(capsys, tmp_path, record, "duplicate")


def test_a_candidate_withdrawing_twice(tmp_path, capsys):
    record = broken(tmp_path, "declarations:\n",
                    "withdrawals:\n  - {candidate: y, date: 2024-01-20, source: news}\n"
                    "  - {candidate: y, date: 2024-01-27, source: news}\ndeclarations:\n")  # fmt: skip
    refused(capsys, tmp_path, record, "duplicate")


def test_two_counts_for_one_candidate_on_one_date(tmp_path, capsys):
    record = broken(tmp_path, "  - {date: 2024-01-15, candidate: x, supporters: 2, source: news}\n",
                    "  - {date: 2024-01-15, candidate: x, supporters: 2, source: news}\n"
                    "  - {date: 2024-01-15, candidate: x, supporters: 1, source: news}\n")  # fmt: skip
    refused(capsys, tmp_path, record, "duplicate")


def test_a_holdout_named_twice(tmp_path, capsys):
    refused(capsys, tmp_path, broken(tmp_path, "declarations:\n", "last_holdouts: [C, C]\ndeclarations:\n"),
            "duplicate")  # fmt: skip


def test_a_record_of_another_scenario(tmp_path, capsys):
    refused(
        capsys, tmp_path, broken(tmp_path, "scenario: tiny", "scenario: nato-2024"), "nato-2024"
    )


def test_a_record_of_another_scenario_is_refused_by_calibrate_before_fitting(tmp_path, capsys):
    tiny = write(tmp_path, TINY)
    record = broken(tmp_path, "scenario: tiny", "scenario: other")
    code, _, err = cli(capsys, "calibrate", tiny, "--record", record, "--params", "noise",
                       "--budget", 2, "--runs", 2, "--out", tmp_path / "fit.yaml")  # fmt: skip
    assert code == 2 and "other" in err
    assert not (tmp_path / "fit.yaml").exists()


def test_a_variant_is_scored_against_the_record_of_its_base(tmp_path, capsys):
    tiny = write(tmp_path, TINY)
    variant = write(
        tmp_path, "extends: tiny.yaml\nparameters: {noise: 0.3, assumption: true}\n", "v.yaml"
    )
    record = write(tmp_path, RECORD, "rec.yaml")
    assert tiny.exists()
    code, _, err = cli(
        capsys, "score", variant, "--record", record, "--runs", 2, "--out", tmp_path / "o"
    )
    assert code == 0, err


def test_negative_supporters(tmp_path, capsys):
    refused(capsys, tmp_path, broken(tmp_path, "supporters: 2", "supporters: -1"), "supporters")
