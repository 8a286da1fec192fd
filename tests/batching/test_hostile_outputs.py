"""No command destroys a file: inputs, other runs and batches, and busy folders are refused
(unless --force, and inputs never), and every output path is checked before any work."""

import json
from pathlib import Path

import pytest
from folders import rows
from hostile import RECORD, TINY, cli, two_cases, write

from sim.evaluate import calibrate as calibrate_module

CAL = ["--params", "noise", "--budget", "2", "--runs", "2", "--split", "2024-01-20"]


@pytest.fixture
def tiny(tmp_path):
    return write(tmp_path, TINY)


@pytest.fixture
def record(tmp_path):
    return write(tmp_path, RECORD, "rec.yaml")


@pytest.fixture
def no_fit(monkeypatch):
    """Fail loudly if a calibration starts: the output must be refused before it."""

    def refuse(*a, **k):
        raise AssertionError("the calibration ran before the output was checked")

    monkeypatch.setattr("sim.cli.commands.calibrate", refuse)
    monkeypatch.setattr(calibrate_module, "calibrate", refuse)


def test_calibrate_out_over_its_own_scenario_is_refused(tmp_path, capsys, tiny, record, no_fit):
    before = tiny.read_text()
    code, _, err = cli(capsys, "calibrate", tiny, "--record", record, *CAL, "--out", tiny)
    assert code == 2 and "input" in err
    assert tiny.read_text() == before


def test_calibrate_out_over_its_own_scenario_even_with_force(
    tmp_path, capsys, tiny, record, no_fit
):
    code, _, err = cli(
        capsys, "calibrate", tiny, "--record", record, *CAL, "--out", tiny, "--force"
    )
    assert code == 2 and "input" in err


def test_calibrate_out_over_the_record_is_refused(tmp_path, capsys, tiny, record, no_fit):
    before = record.read_text()
    code, _, err = cli(capsys, "calibrate", tiny, "--record", record, *CAL, "--out", record)
    assert code == 2 and record.read_text() == before


def test_calibrate_out_over_an_extended_base_is_refused(tmp_path, capsys, tiny, record, no_fit):
    variant = write(
        tmp_path, "extends: tiny.yaml\nparameters: {noise: 0.3, assumption: true}\n", "v.yaml"
    )
    code, _, err = cli(capsys, "calibrate", variant, "--record", record, *CAL, "--out", tiny)
    assert code == 2 and "input" in err and "noise" not in tiny.read_text()


def test_calibrate_out_through_a_link_to_the_scenario_is_refused(
    tmp_path, capsys, tiny, record, no_fit
):
    (tmp_path / "link.yaml").symlink_to(tiny)
    code, _, err = cli(
        capsys, "calibrate", tiny, "--record", record, *CAL, "--out", tmp_path / "link.yaml"
    )
    assert code == 2 and "input" in err


def test_calibrate_out_over_another_file_needs_force(tmp_path, capsys, tiny, record, no_fit):
    other = write(tmp_path, "keep me\n", "other.yaml")
    code, _, err = cli(capsys, "calibrate", tiny, "--record", record, *CAL, "--out", other)
    assert code == 2 and "--force" in err and other.read_text() == "keep me\n"


def test_calibrate_out_over_another_file_with_force_writes_the_variant(
    tmp_path, capsys, tiny, record
):
    other = write(tmp_path, "keep me\n", "other.yaml")
    code, _, err = cli(
        capsys, "calibrate", tiny, "--record", record, *CAL, "--out", other, "--force"
    )
    assert code == 0, err
    assert "extends: tiny.yaml" in other.read_text()


@pytest.mark.parametrize(
    "target", ["/proc/nope/fit.yaml", "/dev/null", "DIR", "fit.txt", "FILE/fit.yaml"]
)
def test_an_unwritable_calibrate_out_is_found_before_the_calibration(
    tmp_path, capsys, tiny, record, no_fit, target
):
    (tmp_path / "d.yaml").mkdir()
    write(tmp_path, "x\n", "afile")
    target = {"DIR": str(tmp_path / "d.yaml"), "FILE/fit.yaml": str(tmp_path / "afile" / "fit.yaml"),
              "fit.txt": str(tmp_path / "fit.txt")}.get(target, target)  # fmt: skip
    code, _, err = cli(capsys, "calibrate", tiny, "--record", record, *CAL, "--out", target)
    assert code == 2 and "--out" in err


def test_calibrate_default_out_over_an_earlier_fit_needs_force(
    tmp_path, capsys, tiny, record, no_fit
):
    earlier = write(tmp_path / "calibrated", "earlier fit\n", "tiny-fit-2024-01-20.yaml")
    code, _, err = cli(capsys, "calibrate", tiny, "--record", record, *CAL)
    assert code == 2 and "--force" in err and earlier.read_text() == "earlier fit\n"


def test_run_out_into_a_batch_folder_is_refused(tmp_path, capsys, tiny):
    code, _, _ = cli(capsys, "batch", tiny, "--runs", 3, "--out", tmp_path / "b", "--no-report")
    assert code == 0
    before = {p: p.read_bytes() for p in (tmp_path / "b").rglob("*") if p.is_file()}
    code, _, err = cli(capsys, "run", tiny, "--out", tmp_path / "b")
    assert code == 2 and "already holds files" in err
    assert before == {p: p.read_bytes() for p in (tmp_path / "b").rglob("*") if p.is_file()}


def test_run_out_into_another_run_is_refused(tmp_path, capsys, tiny):
    assert cli(capsys, "run", tiny, "--out", tmp_path / "r")[0] == 0
    code, _, err = cli(capsys, "run", tiny, "--out", tmp_path / "r", "--seed", 2)
    assert code == 2 and "already holds files" in err


def test_run_out_dot_is_refused(tmp_path, capsys, tiny, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = cli(capsys, "run", tiny, "--out", ".")
    assert code == 2 and "already holds files" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny.yaml"]


def test_run_out_into_the_scenarios_folder_is_refused(tmp_path, capsys, tiny):
    code, _, err = cli(capsys, "run", tiny, "--out", tmp_path)
    assert code == 2


def test_run_out_into_a_busy_folder_with_force(tmp_path, capsys, tiny):
    write(tmp_path / "busy", "notes\n", "notes.txt")
    code, _, err = cli(capsys, "run", tiny, "--out", tmp_path / "busy", "--force")
    assert code == 0, err
    assert (tmp_path / "busy" / "notes.txt").read_text() == "notes\n"


def test_run_out_into_an_empty_folder_is_fine(tmp_path, capsys, tiny):
    (tmp_path / "empty").mkdir()
    assert cli(capsys, "run", tiny, "--out", tmp_path / "empty")[0] == 0


@pytest.mark.parametrize("command", ["run", "batch", "score", "compare"])
@pytest.mark.parametrize("target", ["FILE", "/dev/null", "/proc/nope", "FILE/sub", "SCENARIO"])
def test_an_out_that_cannot_be_a_folder_is_a_sentence(
    tmp_path, capsys, tiny, record, command, target
):
    write(tmp_path, "x\n", "afile")
    target = {
        "FILE": tmp_path / "afile",
        "FILE/sub": tmp_path / "afile" / "sub",
        "SCENARIO": tiny,
    }.get(target, target)
    before = tiny.read_text()
    extra = {
        "batch": ["--runs", 2],
        "score": ["--record", record, "--runs", 2],
        "compare": ["--runs", 2],
    }
    code, _, err = cli(capsys, command, tiny, *extra.get(command, []), "--out", target)
    assert code == 2 and "--out" in err, err
    assert tiny.read_text() == before and (tmp_path / "afile").read_text() == "x\n"


@pytest.mark.parametrize(
    "name", ["../../escaped", "/tmp/abs-escape", "..", ".", "a/b", "a\\\\b", "bad\\u0000name"]
)
def test_a_scenario_name_is_a_name_not_a_path(tmp_path, capsys, monkeypatch, name):
    work = tmp_path / "deep" / "work"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    f = write(work, TINY.replace("name: tiny", f'name: "{name}"'))
    code, _, err = cli(capsys, "validate", f)
    assert code == 2 and "name" in err
    code, _, err = cli(capsys, "run", f)
    assert code == 2
    assert not (tmp_path / "escaped").exists() and not Path("/tmp/abs-escape").exists()
    assert not (work / "results").exists()


def test_a_name_set_on_the_command_line_is_checked_too(tmp_path, capsys, tiny, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = cli(capsys, "run", tiny, "--set", "name=../../escaped")
    assert code == 2 and "name" in err


def test_a_file_name_with_spaces_gives_a_plain_default_name(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    f = write(tmp_path, TINY.replace("name: tiny\n", ""), "my contest.yaml")
    code, out, err = cli(capsys, "run", f)
    assert code == 0, err
    assert (tmp_path / "results" / "my-contest").is_dir()


def test_batch_into_another_batch_is_refused(tmp_path, capsys, tiny):
    assert cli(capsys, "batch", tiny, "--runs", 3, "--out", tmp_path / "b", "--no-report")[0] == 0
    code, _, err = cli(capsys, "batch", tiny, "--runs", 4, "--out", tmp_path / "b", "--no-report")
    assert code == 2 and "different batch" in err


def test_batch_into_a_run_folder_is_refused(tmp_path, capsys, tiny):
    assert cli(capsys, "run", tiny, "--out", tmp_path / "r")[0] == 0
    code, _, err = cli(capsys, "batch", tiny, "--runs", 3, "--out", tmp_path / "r")
    assert code == 2


def test_rerunning_the_same_batch_into_its_folder_is_allowed(tmp_path, capsys, tiny):
    assert cli(capsys, "batch", tiny, "--runs", 3, "--out", tmp_path / "b", "--no-report")[0] == 0
    assert cli(capsys, "batch", tiny, "--runs", 3, "--out", tmp_path / "b", "--no-report")[0] == 0


def test_two_runs_with_the_default_out_never_share_a_folder(tmp_path, capsys, tiny, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli(capsys, "run", tiny)[0] == 0
    assert cli(capsys, "run", tiny)[0] == 0
    assert len(list((tmp_path / "results" / "tiny").iterdir())) == 2


# --- score and compare --force into a busy folder (issue 12) ------------------------------


def _files(folder: Path) -> dict:
    return {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_score_into_a_busy_folder_needs_force(tmp_path, capsys, tiny, record):
    write(tmp_path / "busy", "notes\n", "notes.txt")
    code, _, err = cli(capsys, "score", tiny, "--record", record, "--runs", 4, "--out",
                       tmp_path / "busy")  # fmt: skip
    assert code == 2 and "--force" in err
    assert sorted(p.name for p in (tmp_path / "busy").iterdir()) == ["notes.txt"]


def test_score_with_force_writes_into_a_busy_folder(tmp_path, capsys, tiny, record):
    busy = tmp_path / "busy"
    write(busy, "notes\n", "notes.txt")
    write(busy / "chunks", "mine\n", "user.txt")  # a chunks/ of the user's: kept
    code, _, err = cli(capsys, "score", tiny, "--record", record, "--runs", 4, "--out", busy,
                       "--force")  # fmt: skip
    assert code == 0, err
    assert (busy / "notes.txt").read_text() == "notes\n"
    assert (busy / "chunks" / "user.txt").read_text() == "mine\n"
    assert sorted(p.name for p in (busy / "chunks").iterdir()) == ["user.txt"]
    assert (busy / "scores.csv").exists() and (busy / "manifest.json").exists()
    assert len(rows(busy, "runs")) == 4


def test_score_with_force_over_a_finished_run_does_not_take_its_results(
    tmp_path, capsys, tiny, record
):
    assert cli(capsys, "run", tiny, "--out", tmp_path / "r")[0] == 0
    code, _, err = cli(capsys, "score", tiny, "--record", record, "--runs", 5, "--out",
                       tmp_path / "r", "--force")  # fmt: skip
    assert code == 0, err
    assert len(rows(tmp_path / "r", "runs")) == 5  # this batch's, not the run's one row


def test_score_with_force_over_another_batch_replaces_it(tmp_path, capsys, tiny, record):
    out = tmp_path / "b"
    assert cli(capsys, "batch", tiny, "--runs", 3, "--out", out, "--sweep",
               "parameters.noise=0.1,0.2,0.3", "--no-report")[0] == 0  # fmt: skip
    code, _, err = cli(capsys, "score", tiny, "--record", record, "--runs", 6, "--out", out,
                       "--force")  # fmt: skip
    assert code == 0, err
    assert len(rows(out, "runs")) == 6
    assert sorted(p.name for p in (out / "points").iterdir()) == ["p0000.json"]
    assert json.loads((out / "manifest.json").read_text())["runs"] == 6


def test_score_with_force_never_writes_where_an_input_lies(tmp_path, capsys, record):
    out = tmp_path / "out"
    inside = write(out / "chunks", TINY, "tiny.yaml")  # chunks/ is removed after a batch
    before = _files(out)
    code, _, err = cli(capsys, "score", inside, "--record", record, "--runs", 4, "--out", out,
                       "--force")  # fmt: skip
    assert code == 2 and "input" in err and len(err.strip().splitlines()) == 1
    assert _files(out) == before


def test_score_with_force_is_still_refused_while_another_batch_writes(
    tmp_path, capsys, tiny, record
):
    from sim.batching.folder import FolderLock

    out = tmp_path / "busy"
    write(out, "notes\n", "notes.txt")
    with FolderLock(out):
        code, _, err = cli(capsys, "score", tiny, "--record", record, "--runs", 4, "--out", out,
                           "--force")  # fmt: skip
    assert code == 2 and "another batch" in err


def test_compare_with_force_into_an_earlier_compare(tmp_path, capsys, tiny):
    out = tmp_path / "c"
    assert cli(capsys, "compare", tiny, "--runs", 3, "--out", out)[0] == 0
    code, _, err = cli(capsys, "compare", tiny, "--runs", 5, "--out", out)
    assert code == 2 and "--force" in err
    code, _, err = cli(capsys, "compare", tiny, "--runs", 5, "--out", out, "--force")
    assert code == 0, err
    assert len(rows(out / "tiny", "runs")) == 5


@pytest.mark.parametrize(
    "command",
    [
        ["run"],
        ["batch", "--runs", "2"],
        ["score", "--record", "REC", "--runs", "2"],
        ["compare", "--runs", "2"],
        ["sensitivity", "--runs", "2"],
    ],  # fmt: skip
    ids=lambda c: c[0],
)
def test_a_busy_out_suggests_only_what_the_command_takes(tmp_path, capsys, tiny, record, command):
    import re

    from sim.cli.main import _parser

    busy = tmp_path / "busy"
    assert cli(capsys, "run", tiny, "--out", busy)[0] == 0  # what the walkthrough did first
    args = [command[0], tiny, *[str(record) if a == "REC" else a for a in command[1:]]]
    code, _, err = cli(capsys, *args, "--out", busy)
    assert code == 2 and "already holds files" in err and len(err.strip().splitlines()) == 1
    subparsers = next(a for a in _parser()._actions if a.choices and "batch" in a.choices)
    takes = subparsers.choices[command[0]]._option_string_actions
    suggested = set(re.findall(r"--[a-z][a-z-]*", err))
    assert suggested <= set(takes), suggested - set(takes)
    assert ("--force" in suggested) == (command[0] != "batch")


@pytest.mark.parametrize("command", ["run", "compare", "sensitivity", "crossval"])
def test_no_command_writes_with_force_into_a_folder_a_batch_is_writing(tmp_path, capsys, tiny,
                                                                       command):  # fmt: skip
    from sim.batching.folder import FolderLock

    out = tmp_path / "live"
    write(out, "notes\n", "notes.txt")
    args = {"run": ["run", tiny],
            "compare": ["compare", tiny, tiny, "--runs", 4],
            "sensitivity": ["sensitivity", tiny, "--inputs", "parameters.noise", "--runs", 2,
                            "--trajectories", 2, "--no-pivotal"],
            "crossval": ["crossval", *two_cases(tmp_path / "cases"), "--params", "noise",
                         "--budget", 2, "--runs", 2]}[command]  # fmt: skip
    with FolderLock(out):
        code, printed, err = cli(capsys, *args, "--out", out, "--force")
    assert code == 2 and "another batch (process" in err and "is writing this folder" in err
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]  # nothing written


def test_run_forced_into_a_batch_folder_leaves_nothing_saying_the_batch_is_there(tmp_path,
                                                                                 capsys, tiny):  # fmt: skip
    out = tmp_path / "b"
    assert cli(capsys, "batch", tiny, "--runs", 6, "--out", out)[0] == 0
    write(out, "notes\n", "notes.txt")
    code, _, err = cli(capsys, "run", tiny, "--seed", 7, "--out", out, "--force")
    assert code == 0, err
    for gone in ("batch.json", "summary.json", "report.md", "points", "plots/fan.png"):
        assert not (out / gone).exists(), gone
    assert (out / "notes.txt").read_text() == "notes\n" and (out / "plots/stances.png").exists()
    # a batch there now is refused (the folder holds a run), not "reused" from stale files
    code, _, err = cli(capsys, "batch", tiny, "--runs", 6, "--out", out)
    assert code == 2 and "already holds files" in err
