"""`coalition-sim clean`: the newest folders of each scenario stay, nothing outside results/ goes."""

import os
from pathlib import Path

import pytest

from sim.cli.main import main
from sim.results.cleanup import prune


def folder(root: Path, rel: str, age: int, finished: bool = True, size: int = 1000) -> Path:
    """A fake result folder written `age` hours ago, with a plot and `size` bytes of table."""
    path = root / rel
    (path / "plots").mkdir(parents=True)
    marker = path / ("manifest.json" if finished else "batch.json")
    (path / "batch.json").write_text("{}")
    marker.write_text("{}")
    (path / "runs.csv").write_bytes(b"x" * size)
    (path / "plots" / "fan.png").write_bytes(b"png")
    when = 1_700_000_000 - 3600 * age
    for p in (marker, path / "batch.json"):
        os.utime(p, (when, when))
    return path


@pytest.fixture
def results(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    root = tmp_path / "results"
    root.mkdir()
    (root / "README.md").write_text("how to read results")
    return root


def test_keeps_the_newest_of_each_scenario_and_removes_the_rest(results):
    nato = [folder(results, f"nato-2024/2024010{i}-000000", age=10 - i) for i in range(1, 5)]
    other = [folder(results, f"compare/2024010{i}-000000", age=10 - i) for i in range(1, 3)]
    done = prune(results, keep=2)
    assert sorted(f.path for f in done.removed) == [nato[0], nato[1]]
    assert not nato[0].exists() and not nato[1].exists()
    assert nato[2].exists() and nato[3].exists() and all(p.exists() for p in other)
    assert done.freed == 2 * (1000 + 2 + 2 + 3)  # runs.csv, two json files, the png
    assert (results / "README.md").exists()


def test_order_is_by_when_written_not_by_name(results):
    old = folder(results, "nato-2024/zzz-my-name", age=50)
    new = folder(results, "nato-2024/aaa-other", age=1)
    done = prune(results, keep=1)
    assert [f.path for f in done.removed] == [old] and new.exists()


def test_dry_run_removes_nothing_and_says_what_would_go(results, capsys):
    old = folder(results, "nato-2024/20240101-000000", age=5)
    folder(results, "nato-2024/20240102-000000", age=1)
    assert main(["clean", "--keep", "1", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert f"would remove {Path('results') / old.relative_to(results)}/ (1.0 kB)" in out
    assert "would remove 1 folder(s)" in out
    assert old.exists()
    assert main(["clean", "--keep", "1"]) == 0
    assert "removed 1 folder(s), 1.0 kB" in capsys.readouterr().out
    assert not old.exists()


def test_unfinished_and_locked_batches_are_kept_unless_asked(results):
    unfinished = folder(results, "nato-2024/a", age=9, finished=False)
    locked = folder(results, "nato-2024/b", age=8)
    (locked / "batch.lock").write_text("pid 123")
    done = prune(results, keep=0)
    assert done.removed == [] and unfinished.exists() and locked.exists()
    assert {p for p, _ in done.skipped} == {unfinished, locked}
    done = prune(results, keep=0, unfinished=True)
    assert [f.path for f in done.removed] == [unfinished] and locked.exists()


def test_never_follows_a_link_out_of_results(results, tmp_path):
    outside = folder(tmp_path, "precious/20240101-000000", age=100)
    (results / "nato-2024").mkdir()
    (results / "nato-2024" / "linked").symlink_to(outside, target_is_directory=True)
    (results / "elsewhere").symlink_to(tmp_path / "precious", target_is_directory=True)
    folder(results, "nato-2024/20240105-000000", age=1)
    done = prune(results, keep=0)
    assert outside.exists() and (outside / "runs.csv").exists()
    assert {p.name for p, _ in done.skipped} == {"linked", "elsewhere"}
    assert [f.path.name for f in done.removed] == ["20240105-000000"]


def test_a_link_inside_a_result_folder_is_removed_not_followed(results, tmp_path):
    precious = tmp_path / "precious.csv"
    precious.write_text("keep me")
    path = folder(results, "nato-2024/old", age=5)
    (path / "data.csv").symlink_to(precious)
    prune(results, keep=0)
    assert not path.exists() and precious.read_text() == "keep me"


def test_no_results_folder_is_not_an_error(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["clean"]) == 0
    assert "removed 0 folder(s)" in capsys.readouterr().out


def test_keep_must_not_be_negative(results, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["clean", "--keep", "-1"])
    assert exc.value.code == 2
    assert "must not be negative" in capsys.readouterr().err


def comparison(root: Path, stamp: str, age: int, table: bool = True) -> Path:
    """A fake comparison written `age` hours ago: two batches, one set's two, compare.csv."""
    path = root / "compare" / stamp
    for rel in ("nato-2024", "what-if", "sets/low/nato-2024", "sets/low/what-if"):
        folder(root, f"compare/{stamp}/{rel}", age)
    if table:
        (path / "compare.csv").write_text("scenario\n")
    return path


def test_a_comparison_is_kept_or_removed_whole(results, capsys):
    old = comparison(results, "20240101-000000", age=9)
    new = comparison(results, "20240102-000000", age=1)
    done = prune(results, keep=5)
    assert done.removed == [] and [f.path for f in done.kept] == [new, old]
    done = prune(results, keep=1)
    assert [f.path for f in done.removed] == [old] and [f.path for f in done.kept] == [new]
    assert not old.exists() and (new / "sets" / "low" / "what-if" / "manifest.json").exists()
    assert done.freed == 4 * (1000 + 2 + 2 + 3) + len("scenario\n")


def test_clean_names_the_comparison_not_its_batches(results, capsys):
    old = comparison(results, "20240101-000000", age=9)
    comparison(results, "20240102-000000", age=1)
    assert main(["clean", "--keep", "1", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert f"would remove {Path('results') / 'compare' / old.name}/ (4.0 kB)" in out
    assert "would remove 1 folder(s)" in out and "(1 folder(s))" in out
    assert "nato-2024/" not in out and old.exists()


def test_an_unfinished_comparison_is_kept_unless_asked(results):
    # its first batches done, no table yet: `compare --resume` goes on with it
    unfinished = comparison(results, "20240101-000000", age=9, table=False)
    comparison(results, "20240102-000000", age=1)
    done = prune(results, keep=1)
    assert done.removed == [] and unfinished.exists()
    assert [p for p, _ in done.skipped] == [unfinished]
    done = prune(results, keep=1, unfinished=True)
    assert [f.path for f in done.removed] == [unfinished]


def test_a_lock_in_a_nested_batch_keeps_the_comparison(results):
    old = comparison(results, "20240101-000000", age=9)
    (old / "sets" / "low" / "what-if" / "batch.lock").write_text("pid 123")
    done = prune(results, keep=0, unfinished=True)
    assert done.removed == [] and [p for p, _ in done.skipped] == [old]
    assert (old / "nato-2024" / "manifest.json").exists()


def test_folders_with_no_batch_in_them_are_left_alone(results):
    # a sensitivity or crossval folder holds no batch: not a result folder clean removes
    for rel in ("sensitivity/20240101-000000", "crossval/20240101-000000/seed-1"):
        (results / rel).mkdir(parents=True)
        (results / rel / "notes.csv").write_text("x")
    done = prune(results, keep=0, unfinished=True)
    assert done.removed == [] and (results / "crossval/20240101-000000/seed-1/notes.csv").exists()


def test_a_users_folder_around_a_batch_is_not_taken_with_it(results):
    # `batch --out results/mine/project/b1`: the batch is the unit, not results/mine/project/,
    # which holds the user's own notes beside it
    project = results / "mine" / "project"
    old = folder(results, "mine/project/b1", age=9)
    new = folder(results, "mine/project/b2", age=1)
    (project / "notes.txt").write_text("mine\n")
    done = prune(results, keep=1)
    assert [f.path for f in done.removed] == [old] and new.exists()
    assert (project / "notes.txt").read_text() == "mine\n"


def test_only_finished_folders_count_towards_keep(results, capsys):
    # a killed batch newer than every finished one: `--keep 1` still keeps a finished result
    finished = [folder(results, f"nato-2024/2024010{i}-000000", age=10 - i) for i in range(1, 4)]
    killed = folder(results, "nato-2024/20240105-000000", age=1, finished=False)
    done = prune(results, keep=1)
    assert [f.path for f in done.kept] == [finished[2]] and finished[2].exists()
    assert sorted(f.path for f in done.removed) == finished[:2]
    assert [p for p, _ in done.skipped] == [killed] and killed.exists()
    assert main(["clean", "--keep", "1", "--dry-run"]) == 0
    assert "kept the newest 1 finished of each scenario" in capsys.readouterr().out


def test_unfinished_folders_go_with_unfinished_however_new(results):
    old = folder(results, "nato-2024/20240101-000000", age=9)
    killed = folder(results, "nato-2024/20240105-000000", age=1, finished=False)
    done = prune(results, keep=1, unfinished=True)
    assert [f.path for f in done.kept] == [old] and [f.path for f in done.removed] == [killed]
