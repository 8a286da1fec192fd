"""Hostile results folders (issue 12): what a careful user or an attacker leaves in a batch
folder (FIFOs, folders where files belong, damaged files, names too long) gets a one-line
error or is computed again with a notice; never a traceback, never a hang."""

import os
import shutil
from pathlib import Path

import pytest
from failing import stop_after_chunks
from folders import rows, tables
from hostile import RECORD, TINY, cli, sim_subprocess, write


@pytest.fixture
def tiny(tmp_path):
    return write(tmp_path, TINY)


def _one_line(err: str) -> bool:
    return len(err.strip().splitlines()) == 1


def test_an_out_whose_name_is_too_long_is_a_sentence(tmp_path, capsys, tiny):
    code, _, err = cli(capsys, "batch", tiny, "--runs", 3, "--out", tmp_path / ("a" * 300))
    assert code == 2 and "longer than 255 bytes" in err and _one_line(err)


def test_a_lock_that_is_a_folder_is_a_sentence(tmp_path, capsys, tiny):
    (tmp_path / "b" / ".lock").mkdir(parents=True)
    code, _, err = cli(capsys, "batch", tiny, "--runs", 3, "--out", tmp_path / "b")
    assert code == 2 and "not a lock file" in err and _one_line(err)


def test_a_lock_linked_to_another_file_is_taken_over_and_that_file_kept(tmp_path, capsys, tiny):
    target = write(tmp_path, "precious\n", "precious.txt")
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / ".lock").symlink_to(target)
    code, _, err = cli(capsys, "batch", tiny, "--runs", 3, "--out", tmp_path / "b", "--no-report")
    assert code == 0, err
    assert target.read_text() == "precious\n"


@pytest.mark.parametrize("name", ["points", "chunks"])
def test_a_file_where_a_batch_keeps_a_folder_is_a_sentence(tmp_path, capsys, tiny, name):
    record = write(tmp_path, RECORD, "rec.yaml")
    write(tmp_path / "busy", "x\n", name)
    code, _, err = cli(capsys, "score", tiny, "--record", record, "--runs", 3, "--out",
                       tmp_path / "busy", "--force")  # fmt: skip
    assert code == 2 and f"file named {name}" in err and _one_line(err)
    assert (tmp_path / "busy" / name).read_text() == "x\n"


def test_parquet_without_its_engine_is_refused_before_any_run(tmp_path, capsys, tiny):
    pytest.importorskip("sys")
    import importlib.util

    if importlib.util.find_spec("pyarrow") or importlib.util.find_spec("fastparquet"):
        pytest.skip("a Parquet engine is installed")
    code, _, err = cli(capsys, "batch", tiny, "--runs", 3, "--out", tmp_path / "p",
                       "--format", "parquet")  # fmt: skip
    assert code == 2 and "pyarrow" in err and _one_line(err)
    assert not (tmp_path / "p").exists()


def test_compare_of_two_files_with_one_name_writes_two_folders(tmp_path, capsys):
    a = write(tmp_path / "a", TINY)
    b = write(
        tmp_path / "b", TINY.replace("salience: 0.5, initial: x", "salience: 0.9, initial: x")
    )
    code, out, err = cli(capsys, "compare", a, b, "--runs", 4, "--out", tmp_path / "cmp")
    assert code == 0, err
    assert len(rows(tmp_path / "cmp" / "tiny", "runs")) == 4
    assert len(rows(tmp_path / "cmp" / "tiny-2", "runs")) == 4


def test_a_fifo_as_batch_json_is_not_waited_on(tmp_path, tiny):
    out = tmp_path / "f"
    out.mkdir()
    os.mkfifo(out / "batch.json")
    done = sim_subprocess(tmp_path, "batch", tiny, "--runs", 3, "--out", out, timeout=60)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    done = sim_subprocess(tmp_path, "batch", tiny, "--resume", "--out", out, timeout=60)
    assert done.returncode == 2 and "damaged" in done.stderr and "Traceback" not in done.stderr


def test_a_fifo_as_a_chunk_marker_is_computed_again(tmp_path, tiny):
    from sim.batching import InlineExecutor, plan_batch, run_batch
    from sim.batching.folder import prepare_folder

    plan = plan_batch(tiny, runs=6, chunk=3)
    prepare_folder(tmp_path / "b", plan)
    os.mkfifo(tmp_path / "b" / "chunks" / f"{plan.chunks[0].name}.done")
    os.mkfifo(tmp_path / "b" / "chunks" / f"{plan.chunks[1].name}.npz")
    done = sim_subprocess(tmp_path, "batch", tiny, "--resume", "--out", tmp_path / "b",
                          "--no-report", timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("computing it again") == 2
    fresh = run_batch(plan, tmp_path / "fresh", InlineExecutor())
    assert fresh.runs == 6 and tables(tmp_path / "b") == tables(tmp_path / "fresh")


@pytest.mark.parametrize("damage", ["summary-garbage", "summary-fifo", "npz-truncated"])
def test_a_finished_batch_with_damaged_files_is_computed_again(tmp_path, capsys, tiny, damage):
    out = tmp_path / "b"
    args = ["batch", tiny, "--runs", 6, "--chunk", 3, "--out", out]
    assert cli(capsys, *args)[0] == 0
    first = tables(out)
    if damage == "summary-garbage":
        (out / "summary.json").write_text('{"scenario": 1}')
    elif damage == "summary-fifo":
        (out / "summary.json").unlink()
        os.mkfifo(out / "summary.json")
    else:
        (out / "summary.json").unlink()
        data = (out / "results.npz").read_bytes()
        (out / "results.npz").write_bytes(data[: len(data) // 2])
    code, _, err = cli(capsys, *args)
    assert code == 0, err
    if damage != "summary-fifo":  # a FIFO summary is skipped: the arrays are read instead
        assert "computing it again" in err
    assert tables(out) == first and (out / "report.md").exists()


def test_a_batch_killed_while_merging_resumes_to_the_same_tables(
    tmp_path, capsys, tiny, monkeypatch
):
    from sim.batching import runner

    out = tmp_path / "b"
    real = runner.write_arrays

    def killed(*a, **k):
        raise KeyboardInterrupt  # as a kill between the tables and the arrays

    monkeypatch.setattr(runner, "write_arrays", killed)
    code, _, _ = cli(capsys, "batch", tiny, "--runs", 6, "--chunk", 2, "--out", out)
    assert code == 130 and not (out / "manifest.json").exists()
    monkeypatch.setattr(runner, "write_arrays", real)
    code, _, err = cli(capsys, "batch", tiny, "--resume", "--out", out)
    assert code == 0, err
    assert "6 of 6 runs done" in err
    shutil.rmtree(out / "plots")
    assert cli(capsys, "batch", tiny, "--runs", 6, "--chunk", 2, "--out", tmp_path / "c")[0] == 0
    assert tables(out) == tables(tmp_path / "c")


def test_a_batch_killed_after_its_manifest_leaves_no_chunks_once_resumed(
    tmp_path, capsys, tiny, monkeypatch
):
    from sim.batching import runner

    out = tmp_path / "b"

    def killed(*a, **k):
        raise KeyboardInterrupt  # as a kill between the manifest and the clean-up

    monkeypatch.setattr(runner, "remove_chunks", killed)
    code, _, _ = cli(capsys, "batch", tiny, "--runs", 6, "--chunk", 2, "--out", out)
    assert code == 130 and (out / "manifest.json").exists() and any((out / "chunks").iterdir())
    monkeypatch.undo()
    code, _, err = cli(capsys, "batch", tiny, "--resume", "--out", out)
    assert code == 0, err
    assert not (out / "chunks").exists()  # complete: the chunks are no longer needed


def test_every_replication_failing_in_the_flat_batch_is_reported(
    tmp_path, capsys, tiny, monkeypatch
):
    from sim.batching import worker

    def broken(world, seeds):
        raise FloatingPointError("always")

    monkeypatch.setattr(worker, "simulate", broken)
    code, out, err = cli(capsys, "batch", tiny, "--runs", 4, "--chunk", 2, "--out", tmp_path / "b")
    assert code == 3 and "all 4 replications failed" in out
    assert len(rows(tmp_path / "b", "runs")) == 4


@pytest.mark.parametrize(
    "change",
    [{"runs_per_point": "abc"}, {"runs_per_point": -5}, {"points": [{"x": 1}]}, {"chunk": 0},
     {"seed": -1}, {"seed": True}, {"overrides": ["name=../../x"]}, {"overrides": "abc"},
     {"points": "zz"}],
)  # fmt: skip
def test_resume_from_an_altered_batch_json_is_a_sentence(tmp_path, capsys, tiny, change):
    import json

    from sim.batching import plan_batch
    from sim.batching.folder import prepare_folder

    out = tmp_path / "b"
    prepare_folder(out, plan_batch(tiny, runs=4, chunk=2))
    info = json.loads((out / "batch.json").read_text())
    (out / "batch.json").write_text(json.dumps({**info, **change}))
    code, _, err = cli(capsys, "batch", tiny, "--resume", "--out", out, "--no-report")
    assert code == 2 and _one_line(err), err


# --- a resumed folder that cannot take what the batch writes (re-probe of issue 12) ---------


def _killed(tmp_path, capsys, monkeypatch, tiny, after=2):
    """An unfinished batch of 40 runs in chunks of 5, stopped after `after` chunks."""
    stop_after_chunks(monkeypatch, after)
    out = tmp_path / "killed"
    code, _, _ = cli(capsys, "batch", tiny, "--runs", 40, "--chunk", 5, "--out", out)
    assert code == 130 and not (out / "manifest.json").exists()
    monkeypatch.undo()
    return out


@pytest.mark.parametrize(
    "where",
    ["chunks/r000000005.npz", "chunks/r000000005.done", "runs.csv.gz", "results.npz",
     "summary.json", "report.md", "manifest.json", "trajectories.npz.tmp"],
)  # fmt: skip
def test_a_folder_where_a_resumed_batch_writes_a_file_is_a_sentence_before_any_work(
    tmp_path, capsys, monkeypatch, tiny, where
):
    out = _killed(tmp_path, capsys, monkeypatch, tiny)
    (out / "chunks" / "r000000005.npz").unlink()  # that chunk is computed again ...
    (out / "chunks" / "r000000005.done").unlink()
    (out / where).mkdir()  # ... where a folder now stands
    monkeypatch.setattr("sim.batching.runner.run_chunk", _refuse)
    code, _, err = cli(capsys, "batch", tiny, "--resume", "--out", out, "--no-report")
    assert code == 2 and where.rpartition("/")[2] in err, err
    assert [line for line in err.splitlines() if not line.startswith("resuming")] == [
        err.strip().splitlines()[-1]
    ]
    assert (out / where).is_dir()


def _refuse(*a, **k):
    raise AssertionError("a chunk ran before the folder was checked")


@pytest.mark.parametrize("name", ["plots", "chunks"])
def test_a_file_where_a_resumed_batch_keeps_a_folder_is_a_sentence(
    tmp_path, capsys, monkeypatch, tiny, name
):
    out = _killed(tmp_path, capsys, monkeypatch, tiny)
    shutil.rmtree(out / name, ignore_errors=True)
    write(out, "x\n", name)
    monkeypatch.setattr("sim.batching.runner.run_chunk", _refuse)
    code, _, err = cli(capsys, "batch", tiny, "--resume", "--out", out)
    assert code == 2 and f"file named {name}" in err, err
    assert (out / name).read_text() == "x\n"


def test_a_forced_batch_into_a_folder_with_a_table_name_taken_is_a_sentence(
    tmp_path, capsys, monkeypatch, tiny
):
    (tmp_path / "busy" / "runs.csv.gz").mkdir(parents=True)
    monkeypatch.setattr("sim.batching.runner.run_chunk", _refuse)
    record = write(tmp_path, RECORD, "rec.yaml")
    code, _, err = cli(capsys, "score", tiny, "--record", record, "--runs", 4, "--out",
                       tmp_path / "busy", "--force")  # fmt: skip
    assert code == 2 and "runs.csv.gz" in err and _one_line(err), err


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc (Linux)")
def test_a_lock_held_by_a_killed_unreaped_batch_is_taken_over(tmp_path, capsys, tiny):
    import signal
    import subprocess
    import time

    zombie = subprocess.Popen(["sleep", "60"])
    try:
        os.kill(zombie.pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # killed, not reaped: a zombie
            state = Path(f"/proc/{zombie.pid}/stat").read_text().rpartition(")")[2].split()[0]
            if state == "Z":
                break
            time.sleep(0.01)
        assert state == "Z"
        write(tmp_path / "b", str(zombie.pid), ".lock")
        code, _, err = cli(capsys, "batch", tiny, "--runs", 3, "--out", tmp_path / "b",
                           "--no-report")  # fmt: skip
        assert code == 0, err
    finally:
        zombie.wait()
