"""crossval's --out is checked before the folds run, like every other command's: a folder
holding files only with --force, never over an input; calibrate across cases never writes
over a case's scenario, base or record, even with --force."""

import pytest
from hostile import RECORD, cli, two_cases, write

from sim.evaluate import calibrate as calibrate_module
from sim.evaluate import crossval as crossval_module

CV = ["--params", "noise", "--budget", 2, "--runs", 2]


@pytest.fixture
def no_folds(monkeypatch):
    """Fail loudly if the cross-validation starts: the output must be refused before it."""

    def refuse(*a, **k):
        raise AssertionError("the folds ran before --out was checked")

    monkeypatch.setattr(crossval_module, "crossval", refuse)
    monkeypatch.setattr(calibrate_module, "calibrate_cases", refuse)


def test_crossval_into_a_busy_folder_is_refused_before_any_fold(tmp_path, capsys, no_folds):
    busy = tmp_path / "busy"
    write(busy, "notes\n", "notes.txt")
    code, printed, err = cli(capsys, "crossval", *two_cases(tmp_path), *CV, "--out", busy)
    assert code == 2 and printed == ""
    assert len(err.strip().splitlines()) == 1
    assert "--out" in err and "already holds files" in err and "--force" in err
    assert sorted(p.name for p in busy.iterdir()) == ["notes.txt"]


def test_crossval_into_an_earlier_crossval_is_refused(tmp_path, capsys):
    out = tmp_path / "cv"
    assert cli(capsys, "crossval", *two_cases(tmp_path), *CV, "--out", out)[0] == 0
    before = (out / "crossval.csv").read_bytes()
    code, _, err = cli(capsys, "crossval", *two_cases(tmp_path), *CV, "--seed", 5, "--out", out)
    assert code == 2 and "--force" in err
    assert (out / "crossval.csv").read_bytes() == before


def test_crossval_with_force_writes_into_a_busy_folder(tmp_path, capsys):
    busy = tmp_path / "busy"
    write(busy, "notes\n", "notes.txt")
    code, printed, err = cli(
        capsys, "crossval", *two_cases(tmp_path), *CV, "--out", busy, "--force"
    )
    assert code == 0, err
    assert (busy / "notes.txt").read_text() == "notes\n"
    assert (busy / "crossval.csv").read_text().startswith("case,forecaster,")
    assert (busy / "plots" / "crossval_fans.png").stat().st_size > 0
    assert not list(busy.rglob("*.tmp"))


def test_crossval_into_an_empty_folder_needs_no_force(tmp_path, capsys, monkeypatch):
    (tmp_path / "empty").mkdir()
    monkeypatch.setattr(
        crossval_module, "crossval", lambda *a, **k: (_ for _ in ()).throw(KeyboardInterrupt)
    )  # fmt: skip  (got past the check: the folds would start)
    code, _, err = cli(capsys, "crossval", *two_cases(tmp_path), *CV, "--out", tmp_path / "empty")
    assert code == 130 and "--out" not in err


@pytest.mark.parametrize("target", ["FILE", "/dev/null", "/proc/nope", "FILE/sub", "SCENARIO"])
def test_a_crossval_out_that_cannot_be_a_folder_is_a_sentence(tmp_path, capsys, no_folds, target):
    write(tmp_path, "x\n", "afile")
    target = {"FILE": tmp_path / "afile", "FILE/sub": tmp_path / "afile" / "sub",
              "SCENARIO": tmp_path / "tiny.yaml"}.get(target, target)  # fmt: skip
    cases = two_cases(tmp_path)
    code, _, err = cli(capsys, "crossval", *cases, *CV, "--out", target, "--force")
    assert code == 2 and "--out" in err and len(err.strip().splitlines()) == 1, err
    assert (tmp_path / "afile").read_text() == "x\n"
    assert (tmp_path / "tiny.yaml").read_text().startswith("name: tiny")


def test_crossval_never_writes_where_an_input_lies_even_with_force(tmp_path, capsys, no_folds):
    out = tmp_path / "out"
    cases = two_cases(out / "plots")  # the cases lie where crossval writes its figure
    code, _, err = cli(capsys, "crossval", *cases, *CV, "--out", out, "--force")
    assert code == 2 and "input" in err


def test_a_bad_case_is_reported_before_the_out_check(tmp_path, capsys, no_folds):
    busy = tmp_path / "busy"
    write(busy, "notes\n", "notes.txt")
    code, _, err = cli(capsys, "crossval", "nope.yaml:nope-record.yaml", *CV, "--out", busy)
    assert code == 2 and "nope.yaml" in err


@pytest.mark.parametrize("which", ["scenario", "record", "list"])
def test_calibrate_across_cases_never_writes_over_an_input(tmp_path, capsys, no_folds, which):
    cases = two_cases(tmp_path)
    listing = write(tmp_path, "\n".join(c.replace(f"{tmp_path}/", "") for c in cases) + "\n",
                    "cases.yaml")  # fmt: skip
    target = {"scenario": tmp_path / "tiny.yaml", "record": tmp_path / "tiny2-record.yaml",
              "list": listing}[which]  # fmt: skip
    before = target.read_text()
    code, _, err = cli(capsys, "calibrate", listing, *CV, "--out", target, "--force")
    assert code == 2 and "input" in err, err
    assert target.read_text() == before


# --- case lists are read as untrusted input (re-probe of issue 12 s.5) ----------------------


@pytest.mark.parametrize("command", ["crossval", "calibrate"])
@pytest.mark.parametrize("kind", ["binary", "latin-1", "huge", "passwd"])
def test_a_case_list_that_is_not_one_is_a_sentence_that_quotes_nothing(
    tmp_path, capsys, no_folds, command, kind
):
    listing = tmp_path / "cases.txt"
    if kind == "binary":
        listing.write_bytes(bytes(range(256)) * 4)
    elif kind == "latin-1":
        listing.write_bytes("tiny.yaml:rec.yaml\nsecret-caf\xe9:x\n".encode("latin-1"))
    elif kind == "huge":  # sparse: 30 GB on paper, never read
        with listing.open("wb") as fh:
            fh.truncate(30 * 2**30)
    else:
        listing.write_text("root:x:0:0:root:/root:/bin/bash\nsecret:x:1:1::/:/bin/sh\n")
    code, _, err = cli(capsys, command, listing, *CV)
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert "cases.txt" in err
    said = err.replace(str(listing), "")
    assert "root" not in said and "secret" not in said and "bash" not in said


# --- the cases themselves (re-probe of issue 12 s.8) ---------------------------------------


@pytest.mark.parametrize("command", ["crossval", "calibrate"])
def test_a_case_whose_record_names_another_scenario_is_refused_before_any_fit(
    tmp_path, capsys, no_folds, command
):
    first, second = two_cases(tmp_path)
    other = write(tmp_path, RECORD.replace("scenario: tiny", "scenario: other"), "other.yaml")
    code, _, err = cli(capsys, command, f"{first.split(':')[0]}:{other}", second, *CV)
    assert code == 2 and "not of 'tiny'" in err and len(err.strip().splitlines()) == 1, err


@pytest.mark.parametrize("command", ["crossval", "calibrate"])
def test_the_same_case_twice_is_refused_before_any_fit(tmp_path, capsys, no_folds, command):
    first, second = two_cases(tmp_path)
    code, _, err = cli(capsys, command, first, second, first, *CV)
    assert code == 2 and "given twice" in err and len(err.strip().splitlines()) == 1, err


def test_crossval_of_one_case_is_a_sentence(tmp_path, capsys, no_folds):
    first, _ = two_cases(tmp_path)
    code, _, err = cli(capsys, "crossval", first, *CV, "--out", tmp_path / "cv")
    assert code == 2 and "at least two cases" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "cv").exists()
