"""An interrupted sensitivity analysis loses no finished point: each task's outputs go to
`sensitivity.evaluations.jsonl` in its folder as the task ends, and `--resume` simulates only
the points it does not hold, to the tables an uninterrupted run writes, byte for byte. A
checkpoint of other settings, a damaged one or none at all is refused in one line."""

import pytest
import yaml
from failing import kill_when
from hostile import cli
from test_sensitivity import DECISIVE, INERT, toy_data

from sim.analysis import sensitivity
from sim.analysis.evaluations import FILE

pytest.importorskip("SALib")

ARGS = ["--inputs", f"{DECISIVE}=0:1,{INERT}", "--runs", 20, "--trajectories", 6]


@pytest.fixture
def toy(tmp_path):
    path = tmp_path / "toy.yaml"
    path.write_text(yaml.safe_dump(toy_data()))
    return path


@pytest.fixture
def tasks(monkeypatch):
    """Tasks of two points; count the points simulated, `tasks.stop_at = n` interrupts the
    n-th task (as Ctrl-C would)."""
    real = sensitivity.evaluate_task

    class Tasks:
        count, points, stop_at = 0, 0, None

    def counted(task):
        Tasks.count += 1
        if Tasks.count == Tasks.stop_at:
            raise KeyboardInterrupt
        Tasks.points += len(task.changes)
        return real(task)

    monkeypatch.setattr(sensitivity, "evaluate_task", counted)
    monkeypatch.setattr(sensitivity, "points_per_task", lambda *a: 2)
    return Tasks


def _tables(out):
    return {name: (out / name).read_bytes() for name in ("sensitivity.csv", "pivotal.csv")}


def test_an_interrupted_analysis_resumes_to_the_uninterrupted_tables(toy, tmp_path, capsys,
                                                                     tasks):  # fmt: skip
    whole, cut = tmp_path / "whole", tmp_path / "cut"
    assert cli(capsys, "sensitivity", toy, *ARGS, "--out", whole)[0] == 0
    simulated = tasks.points  # 19 Morris points and the base, then the pivotal changes
    tasks.count, tasks.points, tasks.stop_at = 0, 0, 4
    assert cli(capsys, "sensitivity", toy, *ARGS, "--out", cut)[0] == 130
    kept = (cut / FILE).read_text().splitlines()
    assert len(kept) == 1 + 3 and not (cut / "sensitivity.csv").exists()
    tasks.count, tasks.points, tasks.stop_at = 0, 0, None
    code, _, err = cli(capsys, "sensitivity", toy, *ARGS, "--out", cut, "--resume")
    assert code == 0, err
    assert tasks.points == simulated - 3 * 2  # the three kept tasks are not simulated again
    assert _tables(cut) == _tables(whole)


def test_the_pivotal_stage_resumes_too(toy, tmp_path, capsys, tasks):
    whole, cut = tmp_path / "whole", tmp_path / "cut"
    assert cli(capsys, "sensitivity", toy, *ARGS, "--out", whole)[0] == 0
    every = tasks.count
    tasks.count, tasks.stop_at = 0, every  # the last task: a pivotal one
    assert cli(capsys, "sensitivity", toy, *ARGS, "--out", cut)[0] == 130
    tasks.count, tasks.points, tasks.stop_at = 0, 0, None
    assert cli(capsys, "sensitivity", toy, *ARGS, "--out", cut, "--resume")[0] == 0
    assert tasks.count == 1
    assert _tables(cut) == _tables(whole)


def test_a_bare_resume_finds_the_newest_unfinished_analysis(toy, tmp_path, capsys, tasks,
                                                            monkeypatch):  # fmt: skip
    monkeypatch.chdir(tmp_path)
    code, _, err = cli(capsys, "sensitivity", toy, *ARGS, "--resume")
    assert code == 2
    assert err.strip() == (
        "--resume results/sensitivity/: no unfinished analysis to resume; "
        "give its folder with --out"
    )
    tasks.stop_at = 2
    assert cli(capsys, "sensitivity", toy, *ARGS)[0] == 130
    tasks.count, tasks.stop_at = 0, None
    code, out, err = cli(capsys, "sensitivity", toy, *ARGS, "--resume")
    assert code == 0, err
    (folder,) = (tmp_path / "results" / "sensitivity").iterdir()
    assert f"results: {folder.relative_to(tmp_path)}/" in out
    assert (folder / "sensitivity.csv").is_file()


@pytest.mark.parametrize(
    "other, named",
    [(["--runs", 21], "runs"), (["--seed", 2], "seed"), (["--no-pivotal"], "pivotal"),
     (["--set", "parameters.noise=0.2"], "scenario_sha256")],
)  # fmt: skip
def test_resume_refuses_a_checkpoint_of_other_settings(toy, tmp_path, capsys, tasks, other,
                                                       named):  # fmt: skip
    out = tmp_path / "out"
    tasks.stop_at = 3
    assert cli(capsys, "sensitivity", toy, *ARGS, "--out", out)[0] == 130
    before = (out / FILE).read_bytes()
    tasks.count, tasks.stop_at = 0, None
    code, _, err = cli(capsys, "sensitivity", toy, *ARGS, *other, "--out", out, "--resume")
    assert code == 2 and tasks.count == 0
    assert err.strip() == (
        f"--resume {out / FILE}: holds an analysis with other settings ({named}); start "
        "anew with --force, or choose another --out"
    )
    assert (out / FILE).read_bytes() == before


def test_resume_without_a_checkpoint_is_refused(toy, tmp_path, capsys, tasks):
    out = tmp_path / "out"
    out.mkdir()
    code, _, err = cli(capsys, "sensitivity", toy, *ARGS, "--out", out, "--resume")
    assert code == 2 and tasks.count == 0
    assert err.strip() == (
        f"--resume {out}: holds no sensitivity checkpoint to resume; run without --resume"
    )


def test_a_damaged_checkpoint_is_refused_and_a_torn_last_line_is_simulated_again(
    toy, tmp_path, capsys, tasks
):
    whole, out = tmp_path / "whole", tmp_path / "out"
    assert cli(capsys, "sensitivity", toy, *ARGS, "--out", whole)[0] == 0
    tasks.count, tasks.stop_at = 0, 4
    assert cli(capsys, "sensitivity", toy, *ARGS, "--out", out)[0] == 130
    path = out / FILE
    good = path.read_text()
    lines = good.splitlines()
    path.write_text("\n".join([lines[0], lines[1][:15], *lines[2:]]) + "\n")
    tasks.count, tasks.stop_at = 0, None
    code, _, err = cli(capsys, "sensitivity", toy, *ARGS, "--out", out, "--resume")
    assert code == 2 and tasks.count == 0
    assert err.strip() == (
        f"--resume {path}: is damaged or no sensitivity checkpoint; start anew with --force"
    )
    path.write_text(good + lines[3][:20])  # a kill while the fourth task was written
    code, _, err = cli(capsys, "sensitivity", toy, *ARGS, "--out", out, "--resume")
    assert code == 0, err
    assert "its last line was cut short" in err
    assert _tables(out) == _tables(whole)


def test_without_resume_a_kept_analysis_is_refused_unless_forced(toy, tmp_path, capsys,
                                                                 tasks):  # fmt: skip
    out = tmp_path / "out"
    tasks.stop_at = 3
    assert cli(capsys, "sensitivity", toy, *ARGS, "--out", out)[0] == 130
    tasks.count, tasks.stop_at = 0, None
    code, _, err = cli(capsys, "sensitivity", toy, *ARGS, "--out", out)
    assert code == 2 and tasks.count == 0 and "--force" in err
    assert cli(capsys, "sensitivity", toy, *ARGS, "--out", out, "--force")[0] == 0
    assert tasks.count > 3  # started anew: every point simulated


SLOW_CHILD = """\
import sys, time
from sim.analysis import sensitivity
real = sensitivity.evaluate_task
def slow(task):  # time for the parent to kill it in the middle of a task
    time.sleep(0.2)
    return real(task)
sensitivity.evaluate_task = slow
sensitivity.points_per_task = lambda *a: 2
from sim.cli.main import main
sys.exit(main(sys.argv[1:]))
"""


def test_a_killed_analysis_resumes_from_what_it_had_written(toy, tmp_path, capsys, tasks):
    whole, cut = tmp_path / "whole", tmp_path / "cut"
    assert cli(capsys, "sensitivity", toy, *ARGS, "--out", whole)[0] == 0
    path = cut / FILE
    kill_when(SLOW_CHILD, ["sensitivity", toy, *ARGS, "--out", cut],
              lambda: path.is_file() and len(path.read_text().splitlines()) >= 1 + 3)  # fmt: skip
    assert not (cut / "sensitivity.csv").exists()
    tasks.count = 0
    code, _, err = cli(capsys, "sensitivity", toy, *ARGS, "--out", cut, "--resume")
    assert code == 0, err
    assert _tables(cut) == _tables(whole)


def test_interrupted_before_any_point_it_says_nothing_was_kept(toy, tmp_path, capsys, tasks):
    out = tmp_path / "out"
    tasks.stop_at = 1  # in the first task: no checkpoint yet
    code, _, err = cli(capsys, "sensitivity", toy, *ARGS, "--out", out)
    assert code == 130 and not (out / FILE).exists()
    assert f"interrupted before any point was finished: nothing is kept in {out}/; the same " \
        "command without --resume starts the analysis" in err  # fmt: skip
    assert "--resume --out" not in err
    tasks.stop_at = 3  # one task kept: the hint to go on holds, and --resume goes on
    code, _, err = cli(capsys, "sensitivity", toy, *ARGS, "--out", out)
    assert code == 130 and f"go on with the same command and --resume --out {out}" in err
    tasks.stop_at = None
    assert cli(capsys, "sensitivity", toy, *ARGS, "--out", out, "--resume")[0] == 0
