"""The Python API as a script calls it: its output folders checked as the command line's,
its arguments refused in one line naming them, in the words of Python (`out=`, `force=True`)."""

import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

import sim
from sim.errors import ScenarioError

ROOT = Path(__file__).resolve().parent
BASE = ROOT.parent / "scenarios" / "nato-2024.yaml"


@pytest.fixture
def toy(tmp_path):
    pytest.importorskip("SALib")
    from analysis.test_sensitivity import DECISIVE, toy_data

    path = tmp_path / "toy.yaml"
    path.write_text(yaml.safe_dump(toy_data()))
    return path, [f"{DECISIVE}=0:1"]


def _small(toy, **kw):
    path, inputs = toy
    return sim.sensitivity(path, inputs=inputs, runs=4, trajectories=2, pivotal=False, **kw)


def test_sensitivity_refuses_a_busy_folder_before_any_work_unless_forced(toy, tmp_path,
                                                                         monkeypatch):  # fmt: skip
    from sim.analysis import sensitivity

    batch = tmp_path / "batch"
    sim.batch(BASE, runs=4, out=batch, report=False)
    before = sorted(p.name for p in batch.iterdir())
    ran = []
    real = sensitivity.evaluate_task
    monkeypatch.setattr(sensitivity, "evaluate_task", lambda t: ran.append(1) or real(t))
    with pytest.raises(ScenarioError, match="already holds files") as caught:
        _small(toy, out=batch)  # a finished batch's folder
    assert len(str(caught.value).splitlines()) == 1
    assert not ran and sorted(p.name for p in batch.iterdir()) == before
    mine = tmp_path / "mine"
    _small(toy, out=mine)
    with pytest.raises(ScenarioError, match="already holds files"):  # another analysis there
        sim.sensitivity(toy[0], inputs=toy[1], runs=5, trajectories=2, pivotal=False, out=mine)
    kept = (mine / "sensitivity.evaluations.jsonl").read_text()
    with pytest.raises(ScenarioError, match="other settings"):  # resumed: not its settings
        sim.sensitivity(toy[0], inputs=toy[1], runs=5, trajectories=2, pivotal=False, out=mine,
                        resume=True)  # fmt: skip
    assert (mine / "sensitivity.evaluations.jsonl").read_text() == kept
    _small(toy, out=mine, resume=True)  # its own settings: goes on (here: nothing left)
    a = sim.sensitivity(toy[0], inputs=toy[1], runs=5, trajectories=2, pivotal=False, out=mine,
                        force=True)  # fmt: skip
    assert (mine / "sensitivity.csv").is_file() and a.table is not None
    assert (mine / "sensitivity.evaluations.jsonl").read_text() != kept


def test_a_new_or_empty_folder_needs_no_force(toy, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    _small(toy, out=empty)
    assert (empty / "sensitivity.csv").is_file()


@pytest.mark.parametrize(
    "kw, said",
    [
        ({"runs": 0}, "runs=0: give a whole number of at least 1"),
        ({"runs": 1.5}, "runs=1.5: give a whole number of at least 1"),
        ({"trajectories": 0}, "trajectories=0: give a whole number of at least 1"),
        ({"samples": 0, "method": "sobol"}, "samples=0: give a whole number of at least 1"),
        ({"seed": 1.5}, "seed=1.5: give a whole number of at least 0"),
        ({"seed": -1}, "seed=-1: give a whole number of at least 0"),
        ({"workers": 0}, "workers=0: give a whole number of at least 1"),
    ],
)
def test_sensitivity_refuses_a_bad_count_naming_it(toy, kw, said):
    path, inputs = toy
    args = {"runs": 4, "trajectories": 2, **kw}
    with pytest.raises(ValueError, match=re.escape(said)):
        sim.sensitivity(path, inputs=inputs, pivotal=False, **args)


def test_sensitivity_takes_numpy_integers(toy):
    import numpy as np

    path, inputs = toy
    a = sim.sensitivity(path, inputs=inputs, runs=np.int64(4), trajectories=np.int32(2),
                        seed=np.int64(2), pivotal=False)  # fmt: skip
    assert len(a.table)


@pytest.mark.parametrize(
    "call, said",
    [
        (lambda: sim.load(BASE, set="parameters.noise=0.3"),
         "set='parameters.noise=0.3': give a dict or a list, e.g. ['parameters.noise=0.3']"),
        (lambda: sim.batch(BASE, runs=4, set="parameters.noise=0.3"), "set='parameters.noise"),
        (lambda: sim.run(BASE, set="parameters.noise=0.3"), "set='parameters.noise=0.3': give"),
        (lambda: sim.batch(BASE, runs=4, sweep="parameters.noise=0.1,0.5"),
         "sweep='parameters.noise=0.1,0.5': give a dict, a DataFrame or a list, e.g. "
         "['parameters.noise=0.1,0.5']"),
        (lambda: sim.sensitivity(BASE, inputs="parameters.noise", runs=4, pivotal=False),
         "inputs='parameters.noise': give a list, e.g. ['parameters.noise']"),
        (lambda: sim.compare([BASE], parameter_sets=str(BASE)),
         f"parameter_sets={str(BASE)!r}: give a list of files"),
        (lambda: sim.load(42), "path=42: give a scenario file or a loaded Scenario"),
        (lambda: sim.batch(42), "scenario=42: give a scenario file or a loaded Scenario"),
    ],
)  # fmt: skip
def test_a_text_where_a_list_goes_is_refused_not_read_letter_by_letter(call, said):
    with pytest.raises(ValueError, match=re.escape(said)) as caught:
        call()
    assert len(str(caught.value).splitlines()) == 1


def test_lists_dicts_and_tuples_still_work():
    assert sim.load(BASE, set=["parameters.noise=0.3"]).parameters.noise == 0.3
    assert sim.load(BASE, set=("parameters.noise=0.3",)).parameters.noise == 0.3
    assert sim.load(str(BASE), set={"parameters.noise": 0.3}).parameters.noise == 0.3


def test_python_callers_are_told_the_arguments_not_the_options(toy, tmp_path, capsys):
    from sim.cli.main import main

    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("mine")
    with pytest.raises(ScenarioError) as caught:
        sim.score(BASE, ROOT.parent / "records" / "nato-2024.yaml", runs=4, out=busy)
    said = str(caught.value)
    assert said.startswith(f"out={str(busy)!r}: already holds files") and "force=True" in said
    assert "--" not in said
    with pytest.raises(ScenarioError, match=r"^method=: morris or sobol$"):
        _small(toy, method="foo")
    with pytest.raises(ScenarioError, match=r"^sweep='parameters.noise=': expected key=v1"):
        sim.batch(BASE, runs=4, sweep=["parameters.noise="])
    with pytest.raises(ValueError, match=re.escape("sweep['parameters.noise']=[]: give at least")):
        sim.batch(BASE, runs=4, sweep={"parameters.noise": []})
    mine = tmp_path / "mine"
    _small(toy, out=mine)
    with pytest.raises(ScenarioError, match=r"^resume=True .*other settings.* force=True, or "
                                            r"choose another out=$"):  # fmt: skip
        sim.sensitivity(toy[0], inputs=toy[1], runs=5, trajectories=2, pivotal=False, out=mine,
                        resume=True)  # fmt: skip
    # the command line, calling the same functions, still names its options
    assert main(["score", str(BASE), "--record", str(ROOT.parent / "records" / "nato-2024.yaml"), "--runs",
                 "4", "--out", str(busy)]) == 2  # fmt: skip
    err = capsys.readouterr().err
    assert err.startswith(f"--out {busy}: already holds files") and "add --force" in err
    assert main(["batch", str(BASE), "--runs", "4", "--sweep", "parameters.noise="]) == 2
    assert capsys.readouterr().err.startswith("--sweep parameters.noise=: expected key=v1")


def test_keep_false_without_out_keeps_only_the_tallies():
    s = sim.batch(BASE, runs=30, seed=2, keep=False)
    r = sim.batch(BASE, runs=30, seed=2)
    assert type(s).__name__ == "Summary" and isinstance(r, sim.Results)
    pd.testing.assert_frame_equal(s.probabilities(), r.probabilities())


def test_a_resumed_analysis_says_its_time_is_this_runs(toy, tmp_path, monkeypatch):

    out = tmp_path / "a"
    first = _small(toy, out=out)
    assert "resumed" not in first.lines()[0]
    again = _small(toy, out=out, resume=True)
    assert f" s this time (resumed: {first.result.points + 1:,} of the points read from its " \
        "checkpoint)." in again.lines()[0]  # fmt: skip
    assert "this time (resumed" in (out / "sensitivity.md").read_text()
