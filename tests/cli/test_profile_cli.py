"""`--profile K` on calibrate (several cases) and crossval: each fitted parameter moved across
its range, every case's loss there, written as profile.csv and a figure, with the console
saying which parameters the fitted cases leave flat. Crossval keeps each fold's profile in
folds.json as it is made, so a resumed run does not profile a finished fold again; calibrate
writes its profile beside its output and never over a file without --force."""

import csv
import json

import pytest
from failing import counted_calls
from hostile import cli, two_cases

from sim.evaluate import crossval as crossval_module

CV = ["--params", "noise", "offer_rate", "--budget", 3, "--runs", 4]


def read(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture
def profiles(monkeypatch):
    """Count the fold profiles made; `profiles.stop_at = k` interrupts the k-th."""
    return counted_calls(monkeypatch, crossval_module, "profile")


def test_crossval_profiles_every_fold_on_every_case(tmp_path, capsys, profiles):
    out = tmp_path / "cv"
    code, printed, err = cli(capsys, "crossval", *two_cases(tmp_path), *CV, "--profile", 3,
                             "--out", out)  # fmt: skip
    assert code == 0, err
    assert profiles.count == 2
    rows = read(out / "profile.csv")
    assert list(rows[0]) == ["left_out", "parameter", "value", "case", "role", "loss"]
    for held, other in (("tiny", "tiny2"), ("tiny2", "tiny")):
        mine = [r for r in rows if r["left_out"] == held]
        assert {r["parameter"] for r in mine} == {"noise", "offer_rate"}
        assert {(r["case"], r["role"]) for r in mine} == {(held, "left out"), (other, "fitted")}
    assert (out / "plots" / "profiles.png").stat().st_size > 10_000
    assert "profiles: loss span across each range" in printed
    # the tiny contests hold no objection: no offer is ever made, the offer rate is flat
    line = next(x for x in printed.splitlines() if x.strip().startswith("offer_rate"))
    assert line.count("0.000* / 0.000") == 2, line
    assert "profiles" in json.loads((out / "folds.json").read_text())


def test_a_resumed_crossval_profiles_only_the_folds_without_one(tmp_path, capsys, profiles):
    cases = two_cases(tmp_path)
    whole = tmp_path / "whole"
    assert cli(capsys, "crossval", *cases, *CV, "--profile", 3, "--out", whole)[0] == 0
    profiles.count, profiles.stop_at = 0, 2
    cut = tmp_path / "cut"
    code, _, err = cli(capsys, "crossval", *cases, *CV, "--profile", 3, "--out", cut)
    assert code == 130 and "interrupted" in err
    kept = json.loads((cut / "folds.json").read_text())
    assert list(kept["profiles"]["folds"]) == ["tiny"]  # the first fold's, kept
    profiles.count, profiles.stop_at = 0, None
    code, _, err = cli(capsys, "crossval", *cases, *CV, "--profile", 3, "--out", cut, "--resume")
    assert code == 0, err
    assert profiles.count == 1  # only the missing one
    assert (cut / "profile.csv").read_text() == (whole / "profile.csv").read_text()
    # another point count makes them again, the fits are still taken as they were
    profiles.count = 0
    code, _, err = cli(capsys, "crossval", *cases, *CV, "--profile", 4, "--out", cut, "--resume")
    assert code == 0, err
    assert profiles.count == 2


def test_crossval_without_profile_writes_none(tmp_path, capsys, profiles):
    out = tmp_path / "cv"
    assert cli(capsys, "crossval", *two_cases(tmp_path), *CV, "--out", out)[0] == 0
    assert profiles.count == 0 and not (out / "profile.csv").exists()
    assert "profiles" not in json.loads((out / "folds.json").read_text())


def test_calibrate_writes_its_profile_beside_its_output(tmp_path, capsys):
    out = tmp_path / "fit.yaml"
    args = ["calibrate", *two_cases(tmp_path), *CV, "--profile", 3, "--out", out]
    code, printed, err = cli(capsys, *args)
    assert code == 0, err
    rows = read(tmp_path / "fit.profile.csv")
    assert {r["role"] for r in rows} == {"fitted"} and {r["left_out"] for r in rows} == {""}
    assert {r["case"] for r in rows} == {"tiny", "tiny2"}
    assert (tmp_path / "fit.profile.png").stat().st_size > 10_000
    assert "within 0.01 of the best" in printed
    table = printed[printed.index("within 0.01 of the best") :]
    offer = next(x for x in table.splitlines() if x.strip().startswith("offer_rate"))
    assert "0.000* 0 to 1" in offer, offer  # flat: any value fits them as well
    # run again: refused before any work (the checkpoint and the profile exist)...
    before = (tmp_path / "fit.profile.csv").read_text()
    code, printed, err = cli(capsys, *args)
    assert code == 2 and printed == "" and len(err.strip().splitlines()) == 1
    assert (tmp_path / "fit.profile.csv").read_text() == before
    # ...and with --force, made anew, to the same numbers
    assert cli(capsys, *args, "--force")[0] == 0
    assert (tmp_path / "fit.profile.csv").read_text() == before


def test_a_profile_file_in_the_way_is_refused_in_one_line(tmp_path, capsys):
    (tmp_path / "fit.profile.png").write_text("someone's picture\n")
    code, printed, err = cli(capsys, "calibrate", *two_cases(tmp_path), *CV, "--profile", 3,
                             "--out", tmp_path / "fit.yaml")  # fmt: skip
    assert code == 2 and printed == ""
    assert "--profile" in err and "fit.profile.png" in err and "--force" in err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "fit.yaml").exists()


def test_profile_needs_cases_and_two_points(tmp_path, capsys):
    scenario, record = two_cases(tmp_path)[0].split(":")
    code, _, err = cli(capsys, "calibrate", scenario, "--record", record, *CV, "--profile", 3)
    assert code == 2 and "--profile" in err and "several cases only" in err
    code, _, err = cli(capsys, "crossval", *two_cases(tmp_path), *CV, "--profile", 1)
    assert code == 2 and "must be 2 to 50" in err


def test_calibrate_interrupted_in_its_profile_resumes_to_the_same_files(tmp_path, capsys,
                                                                         monkeypatch):  # fmt: skip
    from sim.evaluate import profile as profile_module

    given = two_cases(tmp_path / "in")
    whole, cut = tmp_path / "whole" / "fit.yaml", tmp_path / "cut" / "fit.yaml"
    assert cli(capsys, "calibrate", *given, *CV, "--profile", 3, "--out", whole)[0] == 0
    made = counted_calls(monkeypatch, profile_module, "profile")
    made.stop_at = 1  # Ctrl-C once the fit is done, while profiling
    code, _, err = cli(capsys, "calibrate", *given, *CV, "--profile", 3, "--out", cut)
    assert code == 130 and "--resume" in err
    assert not (cut.parent / "fit.profile.csv").exists()
    made.stop_at = None
    code, _, err = cli(capsys, "calibrate", *given, *CV, "--profile", 3, "--out", cut, "--resume")
    assert code == 0, err
    for name in ("fit.yaml", "fit.profile.csv"):
        assert (cut.parent / name).read_bytes() == (whole.parent / name).read_bytes(), name
