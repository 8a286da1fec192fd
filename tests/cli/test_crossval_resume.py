"""An interrupted crossval loses no finished fold: each fold's fitted values go to folds.json
as soon as they are known, and `--resume` fits only the folds still missing, to the table an
uninterrupted run writes. A checkpoint of other settings is refused in one line."""

import json

import pytest
from failing import counted_calls
from hostile import cli, two_cases

from sim.evaluate import crossval as crossval_module

CV = ["--params", "noise", "--budget", 3, "--runs", 4]


@pytest.fixture
def fits(monkeypatch):
    """Count the fits; `fits.stop_at = k` interrupts the k-th fit (as a kill would)."""
    return counted_calls(monkeypatch, crossval_module, "calibrate_cases")


def test_an_interrupted_crossval_resumes_from_its_finished_folds(tmp_path, capsys, fits):
    cases = two_cases(tmp_path)
    whole = tmp_path / "whole"
    assert cli(capsys, "crossval", *cases, *CV, "--out", whole)[0] == 0
    assert fits.count == 2
    fits.count, fits.stop_at = 0, 2
    cut = tmp_path / "cut"
    code, _, err = cli(capsys, "crossval", *cases, *CV, "--out", cut)
    assert code == 130 and "interrupted" in err
    saved = json.loads((cut / "folds.json").read_text())
    assert list(saved["fitted"]) == ["tiny"]  # the first fold, kept
    assert not (cut / "crossval.csv").exists()
    fits.count, fits.stop_at = 0, None
    code, printed, err = cli(capsys, "crossval", *cases, *CV, "--out", cut, "--resume")
    assert code == 0, err
    assert fits.count == 1  # only the missing fold was fitted
    assert "1 of 2 folds from folds.json" in printed
    assert (cut / "crossval.csv").read_text() == (whole / "crossval.csv").read_text()
    assert (
        json.loads((cut / "folds.json").read_text())["fitted"]
        == json.loads((whole / "folds.json").read_text())["fitted"]
    )


def test_resume_refuses_a_checkpoint_of_other_settings(tmp_path, capsys, fits):
    cases = two_cases(tmp_path)
    out = tmp_path / "cv"
    assert cli(capsys, "crossval", *cases, *CV, "--out", out)[0] == 0
    fits.count = 0
    code, printed, err = cli(capsys, "crossval", *cases, *CV, "--seed", 7, "--out", out,
                             "--resume")  # fmt: skip
    assert code == 2 and printed == "" and fits.count == 0
    assert len(err.strip().splitlines()) == 1 and "other settings" in err and "seed" in err


def test_resume_of_a_folder_that_is_no_crossval_is_refused(tmp_path, capsys, fits):
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("mine\n")
    code, _, err = cli(capsys, "crossval", *two_cases(tmp_path), *CV, "--out", busy, "--resume")
    assert code == 2 and fits.count == 0 and "no folds.json" in err
    assert (busy / "notes.txt").read_text() == "mine\n"


def test_without_resume_a_folder_with_a_checkpoint_is_still_refused(tmp_path, capsys, fits):
    cases = two_cases(tmp_path)
    out = tmp_path / "cv"
    assert cli(capsys, "crossval", *cases, *CV, "--out", out)[0] == 0
    code, _, err = cli(capsys, "crossval", *cases, *CV, "--out", out)
    assert code == 2 and "already holds files" in err


def test_a_refusal_names_the_flags_as_given_not_the_loaded_scenarios(tmp_path, capsys, fits):
    cases = two_cases(tmp_path)
    out = tmp_path / "cv"
    assert cli(capsys, "crossval", *cases, *CV, "--out", out)[0] == 0
    code, _, err = cli(capsys, "crossval", *cases, *CV, "--set", "parameters.w_ties=0.5",
                       "--out", out, "--resume")  # fmt: skip
    assert code == 2, err
    # the --set is what changed the scenarios as loaded: said once, as typed
    assert "(--set none there, parameters.w_ties=0.5 here)" in err
    assert "scenarios as loaded" not in err and "[" not in err


def test_an_interrupted_crossval_says_how_many_folds_are_kept_and_how_to_go_on(tmp_path, capsys,
                                                                              fits):  # fmt: skip
    cases, out = two_cases(tmp_path), tmp_path / "cv"
    fits.stop_at = 1  # in the first fold: nothing kept
    code, _, err = cli(capsys, "crossval", *cases, *CV, "--out", out)
    assert code == 130 and "--resume --out" not in err
    assert f"interrupted before any fold was fitted: nothing is kept in {out}/; the same " \
        "command without --resume starts the crossval" in err  # fmt: skip
    fits.count, fits.stop_at = 0, 2  # in the second: the first kept
    code, _, err = cli(capsys, "crossval", *cases, *CV, "--out", out)
    assert code == 130
    assert f"interrupted: 1 of 2 folds in {out / 'folds.json'} kept; go on with the same " \
        f"command and --resume --out {out}" in err  # fmt: skip
    fits.stop_at = None
    assert cli(capsys, "crossval", *cases, *CV, "--out", out, "--resume")[0] == 0
