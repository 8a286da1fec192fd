"""A result folder is written whole under its lock, and what says it is finished comes last."""

import os
from pathlib import Path

import pytest

from sim import api
from sim.cli.main import main
from sim.errors import ScenarioError

ROOT = Path(__file__).resolve().parents[2]
BASE = ROOT / "scenarios" / "nato-2024.yaml"
RECORD = ROOT / "records" / "nato-2024.yaml"


def _second_batch_refused(out: Path) -> list[str]:
    """What a second batch into `out` says (nothing if it went ahead)."""
    try:
        api.batch(BASE, runs=20, out=out, progress=False, keep=False)
    except ScenarioError as exc:
        return [str(p) for p in exc.problems]
    return []


@pytest.mark.parametrize("how", ["python", "command"])
def test_the_lock_is_held_while_a_batch_writes_its_report(tmp_path, monkeypatch, capsys, how):
    out, real, said = tmp_path / "b", api.batch_report, []

    def report(plan, outcome, sections=None):  # a second batch while the first reports
        said.extend(_second_batch_refused(out))
        return real(plan, outcome, sections)

    monkeypatch.setattr(api, "batch_report", report)
    if how == "python":
        api.batch(BASE, runs=20, out=out, progress=False)
    else:
        assert main(["batch", str(BASE), "--runs", "20", "--out", str(out)]) == 0
    assert len(said) == 1 and "another batch (process" in said[0] and "\n" not in said[0]
    assert (out / "report.md").is_file() and not (out / ".lock").exists()
    monkeypatch.setattr(api, "batch_report", real)
    assert _second_batch_refused(out) == []  # once it is done, the same batch reads it back


def test_the_lock_is_held_while_a_score_writes_its_files(tmp_path, monkeypatch, capsys):
    from sim.report import scores

    out, real, said = tmp_path / "s", scores.score_fan, []

    def fan(*args, **kw):
        said.extend(_second_batch_refused(out))
        return real(*args, **kw)

    monkeypatch.setattr(scores, "score_fan", fan)
    assert (
        main(["score", str(BASE), "--record", str(RECORD), "--runs", "20", "--out", str(out)]) == 0
    )
    assert len(said) == 1 and "another batch (process" in said[0]
    assert (out / "scores.csv").is_file() and not (out / ".lock").exists()


def test_no_report_still_releases_the_lock(tmp_path):
    out = tmp_path / "n"
    assert main(["batch", str(BASE), "--runs", "20", "--out", str(out), "--no-report"]) == 0
    assert not (out / ".lock").exists() and not (out / "report.md").exists()


class Killed(Exception):
    """Stands for a kill -9 while a command writes its report or figures."""


def _killed(*args, **kw):
    raise Killed


def test_a_batch_killed_while_it_reports_is_unfinished_and_resumed(tmp_path, monkeypatch, capsys):
    from sim.results.results import Results

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(api, "batch_report", _killed)
    with pytest.raises(Killed):
        main(["batch", str(BASE), "--runs", "30", "--chunk", "10"])
    (out,) = (tmp_path / "results" / "nato-2024").iterdir()
    assert (out / "results.npz").is_file() and not (out / "manifest.json").exists()
    with pytest.raises(FileNotFoundError, match="an unfinished batch") as exc:
        Results.load(out)
    assert "\n" not in str(exc.value)
    monkeypatch.undo()
    monkeypatch.chdir(tmp_path)
    assert main(["batch", str(BASE), "--resume"]) == 0  # bare --resume finds it
    assert f"resuming {Path('results') / 'nato-2024' / out.name}" in capsys.readouterr().err
    for name in ("manifest.json", "report.md", "plots/fan.png"):
        assert (out / name).is_file(), name
    assert not (out / "chunks").exists() and len(Results.load(out).runs) == 30


def test_a_score_killed_while_it_reports_is_found_by_a_bare_resume(tmp_path, monkeypatch, capsys):
    from sim.report import scores

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(scores, "score_fan", _killed)  # after scores.csv, before report.md
    score = ["score", str(BASE), "--record", str(RECORD), "--runs", "20"]
    with pytest.raises(Killed):
        main(score)
    (out,) = (tmp_path / "results" / "nato-2024").iterdir()
    assert (out / "scores.csv").is_file() and not (out / "manifest.json").exists()
    monkeypatch.undo()
    monkeypatch.chdir(tmp_path)
    assert main([*score, "--resume"]) == 0
    assert all((out / n).is_file() for n in ("manifest.json", "report.md", "plots/score_fan.png"))
    assert main([*score, "--resume"]) == 2  # now finished: nothing left to resume
    assert "no unfinished score" in capsys.readouterr().err


def test_a_finished_folder_is_read_and_taken_as_complete(tmp_path):
    # every file there, the manifest last: read back, and --resume finds nothing to do
    from sim.results.results import Results

    out = tmp_path / "old"
    api.batch(BASE, runs=20, out=out, progress=False)
    assert len(Results.load(out).runs) == 20
    assert main(["batch", str(BASE), "--runs", "20", "--out", str(out), "--resume"]) == 0


def test_an_analysis_killed_while_it_reports_is_found_by_a_bare_resume(tmp_path, monkeypatch):
    from sim.report import sensitivity

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sensitivity, "markdown", _killed)  # after sensitivity.csv and plots/
    analysis = ["sensitivity", str(BASE), "--inputs", "noise", "--trajectories", "2",
                "--runs", "4", "--no-pivotal", "--workers", "1"]  # fmt: skip
    with pytest.raises(Killed):
        main(analysis)
    (out,) = (tmp_path / "results" / "sensitivity").iterdir()
    assert (out / "sensitivity.csv").is_file() and not (out / "sensitivity.md").exists()
    monkeypatch.undo()
    monkeypatch.chdir(tmp_path)
    assert main([*analysis, "--resume"]) == 0
    assert (out / "sensitivity.md").is_file()
    assert main([*analysis, "--resume"]) == 2  # finished: nothing to resume


def test_a_comparison_killed_while_it_draws_is_found_by_a_bare_resume(tmp_path, monkeypatch):
    from sim.report import comparison

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(comparison.plots, "compare", _killed)  # after compare.md
    what_if = sorted((ROOT / "scenarios" / "what-if").glob("*.yaml"))[0]
    compare = ["compare", str(BASE), str(what_if), "--runs", "20"]
    with pytest.raises(Killed):
        main(compare)
    (out,) = (tmp_path / "results" / "compare").iterdir()
    assert not (out / "compare.csv").exists()  # the table goes last
    monkeypatch.undo()
    monkeypatch.chdir(tmp_path)
    assert main([*compare, "--resume"]) == 0
    assert all((out / n).is_file() for n in ("compare.csv", "compare.md", "compare.png"))


RESUME_OR_FORCE = "; add --resume to go on with it, or --force to start anew"


def _refusal(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert "\n" not in err, err
    return err


def test_rerunning_a_killed_score_suggests_resume(tmp_path, monkeypatch, capsys):
    from sim.report import scores

    out = tmp_path / "s"
    score = ["score", str(BASE), "--record", str(RECORD), "--runs", "20", "--out", str(out)]
    monkeypatch.setattr(scores, "score_fan", _killed)
    with pytest.raises(Killed):
        main(score)
    monkeypatch.undo()
    capsys.readouterr()
    assert main(score) == 2
    assert (
        _refusal(capsys)
        == f"--out {out}: holds an unfinished score of these settings{RESUME_OR_FORCE}"
    )
    assert main([*score[:-4], "--runs", "30", "--out", str(out)]) == 2  # other settings: generic
    assert "already holds files" in _refusal(capsys)
    assert main([*score, "--resume"]) == 0 and (out / "manifest.json").is_file()


def test_rerunning_a_killed_comparison_or_analysis_suggests_resume(tmp_path, monkeypatch, capsys):
    from sim.report import comparison, sensitivity

    what_if = sorted((ROOT / "scenarios" / "what-if").glob("*.yaml"))[0]
    cmp_out, sen_out = tmp_path / "c", tmp_path / "a"
    compare = ["compare", str(BASE), str(what_if), "--runs", "20", "--out", str(cmp_out)]
    analysis = ["sensitivity", str(BASE), "--inputs", "noise", "--trajectories", "2", "--runs",
                "4", "--no-pivotal", "--workers", "1", "--out", str(sen_out)]  # fmt: skip
    monkeypatch.setattr(comparison.plots, "compare", _killed)
    monkeypatch.setattr(sensitivity, "markdown", _killed)
    for command in (compare, analysis):
        with pytest.raises(Killed):
            main(command)
    monkeypatch.undo()
    capsys.readouterr()
    assert main(compare) == 2
    assert _refusal(capsys) == f"--out {cmp_out}: holds an unfinished comparison{RESUME_OR_FORCE}"
    assert main(analysis) == 2
    said = _refusal(capsys)
    assert (
        said == f"--out {sen_out}: holds an unfinished analysis (its checkpoint){RESUME_OR_FORCE}"
    )


def test_rerunning_a_killed_crossval_suggests_resume(tmp_path, capsys):
    out = tmp_path / "x"
    out.mkdir()
    (out / "folds.json").write_text('{"settings": {}, "fitted": {}}')  # a fold kept, no table
    cases = [
        f"{ROOT}/scenarios/{n}.yaml:{ROOT}/records/{n}.yaml" for n in ("nato-2024", "osce-2020")
    ]
    assert main(["crossval", *cases, "--params", "noise", "--out", str(out)]) == 2
    assert _refusal(capsys) == f"--out {out}: holds an unfinished crossval{RESUME_OR_FORCE}"


@pytest.mark.parametrize("command", ["score", "compare", "sensitivity", "crossval"])
def test_a_folder_of_other_files_gets_the_generic_refusal(tmp_path, capsys, command):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    cases = [
        f"{ROOT}/scenarios/{n}.yaml:{ROOT}/records/{n}.yaml" for n in ("nato-2024", "osce-2020")
    ]
    argv = {"score": ["score", str(BASE), "--record", str(RECORD)],
            "compare": ["compare", str(BASE)],
            "sensitivity": ["sensitivity", str(BASE), "--inputs", "noise"],
            "crossval": ["crossval", *cases, "--params", "noise"]}[command]  # fmt: skip
    assert main([*argv, "--out", str(out)]) == 2
    said = _refusal(capsys)
    assert "already holds files" in said and "--resume" not in said


PY_RESUME_OR_FORCE = "; add resume=True to go on with it, or force=True to start anew"


def _python_refusal(call) -> str:
    with pytest.raises(ScenarioError) as caught:
        call()
    said = str(caught.value)
    assert "\n" not in said, said
    return said


def test_from_python_rerunning_a_killed_score_or_comparison_suggests_resume(tmp_path,
                                                                            monkeypatch):  # fmt: skip
    from sim.report import comparison, scores

    what_if = sorted((ROOT / "scenarios" / "what-if").glob("*.yaml"))[0]
    s_out, c_out = tmp_path / "s", tmp_path / "c"

    def score(**kw):
        return api.score(BASE, RECORD, runs=20, out=s_out, progress=False, keep=False, **kw)

    def compare(**kw):
        return api.compare([BASE, what_if], runs=20, out=c_out, progress=False, keep=False,
                           **kw)  # fmt: skip

    monkeypatch.setattr(scores, "score_fan", _killed)
    monkeypatch.setattr(comparison.plots, "compare", _killed)
    for call in (score, compare):
        with pytest.raises(Killed):
            call()
    monkeypatch.undo()
    assert _python_refusal(score) == (
        f"out='{s_out}': holds an unfinished score of these settings{PY_RESUME_OR_FORCE}"
    )
    assert _python_refusal(compare) == (
        f"out='{c_out}': holds an unfinished comparison{PY_RESUME_OR_FORCE}"
    )
    other = _python_refusal(lambda: api.score(BASE, RECORD, runs=30, out=s_out, progress=False))
    assert "already holds files" in other and "force=True" in other  # other settings: generic
    assert score(resume=True) is not None and (s_out / "manifest.json").is_file()
    compare(resume=True)
    assert (c_out / "compare.csv").is_file()


def test_from_python_rerunning_a_killed_analysis_suggests_resume(tmp_path, monkeypatch):
    from sim.report import sensitivity

    out = tmp_path / "a"

    def analysis(**kw):
        return api.sensitivity(BASE, inputs=["noise"], runs=4, trajectories=2, pivotal=False,
                               workers=1, out=out, **kw)  # fmt: skip

    monkeypatch.setattr(sensitivity, "markdown", _killed)
    with pytest.raises(Killed):
        analysis()
    monkeypatch.undo()
    assert _python_refusal(analysis) == (
        f"out='{out}': holds an unfinished analysis (its checkpoint){PY_RESUME_OR_FORCE}"
    )
    analysis(resume=True)
    assert (out / "sensitivity.md").is_file()


@pytest.mark.parametrize("how", ["python", "command"])
def test_a_comparison_holds_its_folders_lock_and_a_second_one_is_refused(tmp_path, monkeypatch,
                                                                          capsys, how):  # fmt: skip
    from sim.report import comparison

    what_if = sorted((ROOT / "scenarios" / "what-if").glob("*.yaml"))[0]
    out = tmp_path / "c"
    argv = ["compare", str(BASE), str(what_if), "--runs", "20", "--out", str(out)]

    def compare(**kw):
        if how == "command":
            return main([*argv, *(["--force"] if kw.get("force") else [])])
        return api.compare([BASE, what_if], runs=20, out=out, progress=False, keep=False, **kw)

    said = []
    write = comparison.write

    def second_while_first_writes(*args, **kw):  # the first holds the lock as it writes
        assert (out / ".lock").read_text() == str(os.getpid())
        try:
            code = compare(force=True)
        except ScenarioError as exc:
            said.append(str(exc))
        else:
            said.append(code == 2 and _refusal(capsys))
        return write(*args, **kw)

    monkeypatch.setattr(comparison, "write", second_while_first_writes)
    first = compare()
    monkeypatch.undo()
    assert first == 0 if how == "command" else first is not None
    (refusal,) = said
    assert refusal and "\n" not in refusal
    assert f"another batch (process {os.getpid()}) is writing this folder" in refusal
    assert not (out / ".lock").exists() and (out / "compare.csv").is_file()
    capsys.readouterr()
    again = compare(force=True)  # the lock released: a comparison into it goes ahead
    assert again == 0 if how == "command" else again is not None


def test_a_comparison_killed_as_it_took_the_lock_is_started_again(tmp_path):
    out = tmp_path / "c"
    out.mkdir()
    (out / ".lock").write_text("999999999")  # its process is gone, nothing else written
    api.compare([BASE], runs=20, out=out, progress=False, keep=False)
    assert (out / "compare.csv").is_file() and not (out / ".lock").exists()
