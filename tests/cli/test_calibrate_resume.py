"""An interrupted calibrate loses no finished evaluation: each goes to a checkpoint beside
the output (`fit.yaml` -> `fit.evaluations.jsonl`) as soon as it is known, and `--resume`
takes them from there and simulates only the rest, to the output an uninterrupted run
writes, byte for byte. A checkpoint of other settings, none at all, or one there without
`--resume` is refused in one line before any work."""

import json

import pytest
from failing import counted_calls
from hostile import RECORD, TINY, cli, two_cases, write

from sim.batching import progress as progress_module
from sim.evaluate import calibrate as calibrate_module

FIT = ["--params", "noise", "w_ties=0:3", "--budget", 7, "--runs", 6]


@pytest.fixture
def sims(monkeypatch):
    """Count calibrate's simulations; `sims.stop_at = n` interrupts the n-th (as Ctrl-C or a
    kill in the middle of an evaluation would)."""
    return counted_calls(monkeypatch, calibrate_module, "simulate")


def _cases(tmp_path):
    return two_cases(tmp_path / "in")


def _one(tmp_path):
    """A single scenario and its record, fitted before 2024-02-01 (the appointment after)."""
    tiny = write(tmp_path / "in", TINY)
    record = write(tmp_path / "in", RECORD, "record.yaml")
    return [tiny, "--record", record, "--split", "2024-02-01"]


def _lines(path):
    return path.read_text(encoding="utf-8").splitlines()


def _same_but_folder(a: str, folder_a, b: str, folder_b) -> bool:
    return a.replace(str(folder_a), "OUT") == b.replace(str(folder_b), "OUT")


@pytest.mark.parametrize("mode", ["cases", "one record"])
def test_an_interrupted_calibrate_resumes_to_the_uninterrupted_output(tmp_path, capsys, sims,
                                                                      mode):  # fmt: skip
    given = _cases(tmp_path) if mode == "cases" else _one(tmp_path)
    per_evaluation = 2 if mode == "cases" else 1  # simulations: one per case
    whole = tmp_path / "whole"
    code, printed_whole, err = cli(capsys, "calibrate", *given, *FIT, "--out", whole / "fit.yaml")
    assert code == 0, err
    everything = sims.count
    kept = 3
    sims.count, sims.stop_at = 0, kept * per_evaluation + per_evaluation  # in evaluation 4
    cut = tmp_path / "cut"
    code, _, err = cli(capsys, "calibrate", *given, *FIT, "--out", cut / "fit.yaml")
    assert code == 130 and "interrupted" in err
    assert "fit.evaluations.jsonl: 3 evaluations kept" in err and "--resume" in err
    assert len(_lines(cut / "fit.evaluations.jsonl")) == 1 + kept  # the settings, then each
    assert not (cut / "fit.yaml").exists()
    sims.count, sims.stop_at = 0, None
    code, printed, err = cli(capsys, "calibrate", *given, *FIT, "--out", cut / "fit.yaml",
                             "--resume")  # fmt: skip
    assert code == 0, err
    assert sims.count == everything - kept * per_evaluation  # only the missing evaluations
    assert "3 evaluations done" in err
    assert (cut / "fit.yaml").read_bytes() == (whole / "fit.yaml").read_bytes()
    assert _same_but_folder(printed, cut, printed_whole, whole)
    assert f"evaluations: {cut / 'fit.evaluations.jsonl'}" in printed
    assert (cut / "fit.evaluations.jsonl").read_bytes() == (
        whole / "fit.evaluations.jsonl"
    ).read_bytes()


class Bar:
    """A progress bar that only counts: `done` at the start, then each update."""

    def __init__(self, total, done=0, desc="runs", enabled=None, stream=None):
        self.total, self.n = total, done
        self.started = done

    def update(self, n=1):
        self.n += n

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_resume_shows_the_kept_evaluations_as_done_on_the_bar(tmp_path, capsys, sims,
                                                              monkeypatch):  # fmt: skip
    bars = []
    monkeypatch.setattr(
        progress_module, "bar", lambda *a, **k: bars.append(Bar(*a, **k)) or bars[-1]
    )
    out = tmp_path / "fit.yaml"
    sims.stop_at = 2 * 2 + 1  # two evaluations of two cases, then a kill in the third
    assert cli(capsys, "calibrate", *_cases(tmp_path), *FIT, "--out", out)[0] == 130
    assert bars[-1].started == 0 and bars[-1].n == 2
    sims.count, sims.stop_at = 0, None
    assert cli(capsys, "calibrate", *_cases(tmp_path), *FIT, "--out", out, "--resume")[0] == 0
    shown = bars[-1]
    assert shown.total == 7 and shown.started == 2  # the kept evaluations, shown as done
    assert shown.n == 2 + sims.count // 2 == len(_lines(tmp_path / "fit.evaluations.jsonl")) - 1


def _interrupted(tmp_path, capsys, sims, given, out, after=2, per_evaluation=2):
    sims.count, sims.stop_at = 0, after * per_evaluation + 1
    assert cli(capsys, "calibrate", *given, *FIT, "--out", out)[0] == 130
    sims.count, sims.stop_at = 0, None


@pytest.mark.parametrize(
    "other, named",
    [
        (["--seed", 7], "--seed 1 there, 7 here"),
        (["--budget", 9], "--budget 7 there, 9 here"),
        (["--runs", 5], "--runs 6 there, 5 here"),
        (["--prior-weight", 0.5], "--prior-weight 0.0 there, 0.5 here"),
        (["--set", "parameters.noise=0.2"], "(--set none there, parameters.noise=0.2 here)"),
        (
            ["--params", "noise", "w_ties=0:2"],
            "--params noise=0:5 w_ties=0:3 there, noise=0:5 w_ties=0:2 here",
        ),
    ],
)
def test_resume_refuses_a_checkpoint_of_other_settings(tmp_path, capsys, sims, other, named):
    given, out = _cases(tmp_path), tmp_path / "fit.yaml"
    _interrupted(tmp_path, capsys, sims, given, out)
    checkpoint = tmp_path / "fit.evaluations.jsonl"
    before = checkpoint.read_bytes()
    code, printed, err = cli(capsys, "calibrate", *given, *FIT, *other, "--out", out,
                             "--resume")  # fmt: skip
    assert code == 2 and printed == "" and sims.count == 0
    assert len(err.strip().splitlines()) == 1, err
    assert str(checkpoint) in err and "other settings" in err and named in err
    assert checkpoint.read_bytes() == before and not out.exists()


@pytest.mark.parametrize("mode", ["cases", "one record"])
def test_resume_refuses_a_checkpoint_of_other_files(tmp_path, capsys, sims, mode):
    given = _cases(tmp_path) if mode == "cases" else _one(tmp_path)
    out = tmp_path / "fit.yaml"
    _interrupted(tmp_path, capsys, sims, given, out, per_evaluation=2 if mode == "cases" else 1)
    record = tmp_path / "in" / ("tiny2-record.yaml" if mode == "cases" else "record.yaml")
    record.write_text(record.read_text().replace("supporters: 2", "supporters: 3"))
    code, _, err = cli(capsys, "calibrate", *given, *FIT, "--out", out, "--resume")
    assert code == 2 and sims.count == 0 and len(err.strip().splitlines()) == 1, err
    assert "fit.evaluations.jsonl" in err and "files changed" in err


def test_resume_refuses_another_split(tmp_path, capsys, sims):
    given, out = _one(tmp_path), tmp_path / "fit.yaml"
    _interrupted(tmp_path, capsys, sims, given, out, per_evaluation=1)
    code, _, err = cli(capsys, "calibrate", *given, *FIT, "--split", "2024-01-20", "--out", out,
                       "--resume")  # fmt: skip
    assert code == 2 and sims.count == 0 and len(err.strip().splitlines()) == 1, err
    assert "--split 2024-02-01 there, 2024-01-20 here" in err


@pytest.mark.parametrize("mode", ["cases", "one record"])
def test_resume_without_a_checkpoint_is_refused(tmp_path, capsys, sims, mode):
    given = _cases(tmp_path) if mode == "cases" else _one(tmp_path)
    out = tmp_path / "fit.yaml"
    code, printed, err = cli(capsys, "calibrate", *given, *FIT, "--out", out, "--resume")
    assert code == 2 and printed == "" and sims.count == 0
    assert len(err.strip().splitlines()) == 1, err
    assert str(tmp_path / "fit.evaluations.jsonl") in err and "nothing to resume" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in"]


def test_a_torn_last_line_is_ignored_on_resume(tmp_path, capsys, sims):
    given = _cases(tmp_path)
    whole = tmp_path / "whole"
    assert cli(capsys, "calibrate", *given, *FIT, "--out", whole / "fit.yaml")[0] == 0
    cut = tmp_path / "cut"
    _interrupted(tmp_path, capsys, sims, given, cut / "fit.yaml", after=3)
    checkpoint = cut / "fit.evaluations.jsonl"
    with checkpoint.open("a") as fh:  # a kill while the fourth evaluation was written
        fh.write('{"values": {"noise": 0.12, "w_ti')
    code, _, err = cli(capsys, "calibrate", *given, *FIT, "--out", cut / "fit.yaml", "--resume")
    assert code == 0, err
    assert "cut short" in err and "3 evaluations done" in err
    assert (cut / "fit.yaml").read_bytes() == (whole / "fit.yaml").read_bytes()
    assert checkpoint.read_bytes() == (whole / "fit.evaluations.jsonl").read_bytes()


def test_a_damaged_checkpoint_is_refused(tmp_path, capsys, sims):
    given, out = _cases(tmp_path), tmp_path / "fit.yaml"
    _interrupted(tmp_path, capsys, sims, given, out, after=3)
    checkpoint = tmp_path / "fit.evaluations.jsonl"
    lines = _lines(checkpoint)
    lines[1] = lines[1][:20]  # not the last line: not a kill while writing
    checkpoint.write_text("\n".join(lines) + "\n")
    code, _, err = cli(capsys, "calibrate", *given, *FIT, "--out", out, "--resume")
    assert code == 2 and sims.count == 0 and len(err.strip().splitlines()) == 1, err
    assert str(checkpoint) in err and "damaged" in err


def test_a_checkpoint_this_search_did_not_write_is_refused(tmp_path, capsys, sims):
    given, out = _cases(tmp_path), tmp_path / "fit.yaml"
    _interrupted(tmp_path, capsys, sims, given, out, after=3)
    checkpoint = tmp_path / "fit.evaluations.jsonl"
    lines = _lines(checkpoint)
    entry = json.loads(lines[2])
    entry["values"]["noise"] += 0.01  # the settings agree, the values tried do not
    lines[2] = json.dumps(entry)
    checkpoint.write_text("\n".join(lines) + "\n")
    code, printed, err = cli(capsys, "calibrate", *given, *FIT, "--out", out, "--resume")
    assert code == 2 and printed == "" and sims.count == 0
    assert len(err.strip().splitlines()) == 2, err  # "resuming ...", then the refusal
    assert str(checkpoint) in err and "evaluation 2 is not the one this search asks for" in err
    assert not out.exists()


@pytest.mark.parametrize("mode", ["cases", "one record"])
def test_without_resume_a_checkpoint_is_refused_unless_forced(tmp_path, capsys, sims, mode):
    given = _cases(tmp_path) if mode == "cases" else _one(tmp_path)
    per_evaluation = 2 if mode == "cases" else 1
    out = tmp_path / "fit.yaml"
    _interrupted(tmp_path, capsys, sims, given, out, per_evaluation=per_evaluation)
    checkpoint = tmp_path / "fit.evaluations.jsonl"
    before = checkpoint.read_bytes()
    code, printed, err = cli(capsys, "calibrate", *given, *FIT, "--out", out)
    assert code == 2 and printed == "" and sims.count == 0
    assert len(err.strip().splitlines()) == 1, err
    assert str(checkpoint) in err and "--resume" in err and "--force" in err
    assert checkpoint.read_bytes() == before and not out.exists()
    code, _, err = cli(capsys, "calibrate", *given, *FIT, "--out", out, "--force")
    assert code == 0, err
    assert sims.count >= 7 * per_evaluation  # started anew: every evaluation simulated
    assert len(_lines(checkpoint)) == 1 + 7
    assert out.is_file()


def test_calibrate_over_cases_without_out_resumes_from_results(tmp_path, capsys, sims,
                                                               monkeypatch):  # fmt: skip
    given = _cases(tmp_path)
    monkeypatch.chdir(tmp_path)
    code, whole, err = cli(capsys, "calibrate", *given, *FIT, "--seed", 2)
    assert code == 0, err
    kept = next((tmp_path / "results" / "calibrate").glob("*.evaluations.jsonl"))
    assert f"evaluations: {kept.relative_to(tmp_path)}" in whole
    kept.unlink()
    sims.count, sims.stop_at = 0, 2 * 2 + 1
    assert cli(capsys, "calibrate", *given, *FIT, "--seed", 2)[0] == 130
    assert len(_lines(kept)) == 1 + 2
    sims.count, sims.stop_at = 0, None
    code, printed, err = cli(capsys, "calibrate", *given, *FIT, "--seed", 2, "--resume")
    assert code == 0, err
    assert printed == whole


SLOW_CHILD = """\
import sys, time
from sim.evaluate import calibrate
real = calibrate.simulate
def slow(*a, **k):  # time for the parent to kill it in the middle of an evaluation
    time.sleep(0.2)
    return real(*a, **k)
calibrate.simulate = slow
from sim.cli.main import main
sys.exit(main(sys.argv[1:]))
"""


def test_a_killed_calibrate_resumes_from_what_it_had_written(tmp_path, capsys):
    from failing import kill_when

    given = _cases(tmp_path)
    whole, cut = tmp_path / "whole", tmp_path / "cut"
    assert cli(capsys, "calibrate", *given, *FIT, "--out", whole / "fit.yaml")[0] == 0
    checkpoint = cut / "fit.evaluations.jsonl"
    kill_when(SLOW_CHILD, ["calibrate", *given, *FIT, "--out", cut / "fit.yaml"],
              lambda: checkpoint.is_file() and len(_lines(checkpoint)) >= 1 + 2)  # fmt: skip
    assert not (cut / "fit.yaml").exists()
    code, _, err = cli(capsys, "calibrate", *given, *FIT, "--out", cut / "fit.yaml", "--resume")
    assert code == 0, err
    assert (cut / "fit.yaml").read_bytes() == (whole / "fit.yaml").read_bytes()
    assert checkpoint.read_bytes() == (whole / "fit.evaluations.jsonl").read_bytes()


def test_calibrate_over_cases_without_out_runs_again_from_its_checkpoint(tmp_path, capsys, sims,
                                                                        monkeypatch):  # fmt: skip
    given = _cases(tmp_path)
    monkeypatch.chdir(tmp_path)
    code, whole, err = cli(capsys, "calibrate", *given, *FIT)
    assert code == 0, err
    kept = next((tmp_path / "results" / "calibrate").glob("*.evaluations.jsonl"))
    before = kept.read_bytes()
    sims.count = 0
    code, again, err = cli(capsys, "calibrate", *given, *FIT)  # finished: reprinted
    assert code == 0, err
    assert again == whole and sims.count == 0 and kept.read_bytes() == before
    sims.count, sims.stop_at = 0, 2 * 2 + 1  # interrupted: the same command goes on
    assert cli(capsys, "calibrate", *given, *FIT, "--force")[0] == 130
    assert len(_lines(kept)) == 1 + 2
    sims.count, sims.stop_at = 0, None
    code, printed, err = cli(capsys, "calibrate", *given, *FIT)
    assert code == 0, err
    assert printed == whole and sims.count == 2 * (7 - 2)
    # other settings: another checkpoint, a fit of its own (the first one untouched)
    assert cli(capsys, "calibrate", *given, *FIT, "--seed", 3)[0] == 0
    assert len(list((tmp_path / "results" / "calibrate").glob("*.evaluations.jsonl"))) == 2
