"""Batch runs: the same numbers as single runs, whatever the workers, chunks or interruptions."""

import json
import shlex
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from failing import SLOW_CHUNKS_CHILD, fail_for, kill_when, stop_after_chunks
from folders import rows as read_rows
from folders import tables
from folders import text as read_text

from sim import batching as batch
from sim.batching import InlineExecutor, plan_batch, replication_seed, run_batch
from sim.cli.main import main
from sim.engine.loop import simulate
from sim.engine.model import ConsensusModel
from sim.engine.world import build_world
from sim.results.command import record_command
from sim.results.results import Results
from sim.results.tables import TABLES, table_text

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = sorted((ROOT / "scenarios").rglob("*.yaml"))
BASE = ROOT / "scenarios" / "nato-2024.yaml"


def inline_batch(path, out, **kw):
    plan = plan_batch(path, **kw)
    return plan, run_batch(plan, out, InlineExecutor())


# --- seeds ---------------------------------------------------------------------------------


def test_replication_seeds_are_fixed_distinct_and_independent_of_batch_size():
    seeds = {replication_seed(1, p, k) for p in range(3) for k in range(1000)}
    assert len(seeds) == 3000
    assert replication_seed(1, 0, 5) == replication_seed(1, 0, 5)
    assert replication_seed(1, 0, 5) != replication_seed(2, 0, 5)


def test_runs_csv_records_each_replications_seed(tmp_path):
    plan, _ = inline_batch(BASE, tmp_path, runs=30)
    rows = read_rows(tmp_path, "runs")
    assert [int(r["seed"]) for r in rows] == [replication_seed(plan.seed, 0, k) for k in range(30)]


# --- the batch gives the same runs as `coalition-sim run` ---------------------------------


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_batch_replications_equal_single_mesa_runs_on_200_seeds(path):
    plan = plan_batch(path, runs=200, chunk=64)
    results = run_batch(plan, None, InlineExecutor()).results
    world = build_world(plan.points[0].scenario)
    seeds = results.columns["seed"].tolist()
    together = simulate(world, seeds)
    batch_tables = {t: table_text(results, t).splitlines() for t in TABLES}
    for r, seed in enumerate(seeds):
        model = ConsensusModel(world, rng=seed).run()
        alone = np.stack([s[0] for s in model.history.stance])
        batched = np.stack([s[r] for s in together.stance[: len(alone)]])
        assert np.array_equal(alone, batched), f"seed {seed}"
        single = Results.from_history(model.history, [r], [seed])
        for t in ("runs", "withdrawals", "holdouts", "concessions", "declarations"):
            mine = [line for line in batch_tables[t][1:] if line.split(",", 1)[0] == str(r)]
            assert table_text(single, t).splitlines()[1:] == mine, (t, seed)


def test_a_replication_reruns_alone_from_the_command_line(tmp_path, capsys):
    inline_batch(BASE, tmp_path / "b", runs=5)
    row = read_rows(tmp_path / "b", "runs")[3]
    assert main(["run", str(BASE), "--seed", row["seed"], "--out", str(tmp_path / "r")]) == 0
    alone = read_rows(tmp_path / "r", "runs")[0]
    for column in ("seed", "winner", "appointed_round", "appointed_date", "rounds"):
        assert alone[column] == row[column]


# --- workers, chunks and executors ---------------------------------------------------------


def pooled_batch(kind: str, out: Path, **kw) -> None:
    """A batch on a 2-worker executor of the given kind, shut down afterwards."""
    executor, close = batch.make_executor(kind, 2)
    try:
        run_batch(plan_batch(BASE, **kw), out, executor)
    finally:
        close()


def test_tables_do_not_depend_on_workers_or_chunking(tmp_path):
    inline_batch(BASE, tmp_path / "one", runs=600, chunk=600)
    pooled_batch("process", tmp_path / "two", runs=600, chunk=75)
    assert tables(tmp_path / "one") == tables(tmp_path / "two")


def test_pool_workers_and_their_forkserver_start_with_ctrl_c_blocked():
    # A Ctrl-C goes to the batch's process alone: never to a worker (or the forkserver) being
    # started, which printed a traceback after the one-line message.
    executor, close = batch.make_executor("process", 2)
    try:
        blocked = executor.submit(signal.pthread_sigmask, signal.SIG_BLOCK, []).result()
    finally:
        close()
    assert signal.SIGINT in blocked
    assert signal.SIGINT not in signal.pthread_sigmask(signal.SIG_BLOCK, [])  # here: as it was


def test_a_worker_stopped_while_starting_exits_without_a_traceback():
    # The forkserver imports sim.batching.forkserver: a worker whose batch went away while it
    # started (its queue gone: FileNotFoundError) is quiet; any other failure is printed.
    script = ("import sys, sim.batching.forkserver\n"
              "for e in (FileNotFoundError(2, 'gone'), KeyboardInterrupt(), ValueError('shown')):\n"
              "    sys.excepthook(type(e), e, None)\n")  # fmt: skip
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=ROOT)  # fmt: skip
    assert done.returncode == 0 and done.stderr.strip() == "ValueError: shown"


def test_dask_local_cluster_gives_the_local_results(tmp_path):
    pytest.importorskip("distributed")
    inline_batch(BASE, tmp_path / "local", runs=300, chunk=100)
    pooled_batch("dask", tmp_path / "dask", runs=300, chunk=100)
    assert tables(tmp_path / "local") == tables(tmp_path / "dask")


# --- crash safety, resume, caching ---------------------------------------------------------


def test_killed_batch_resumes_to_the_same_tables(tmp_path):
    args = [str(BASE), "--runs", "1000", "--chunk", "100", "--workers", "1", "--no-report"]
    killed = tmp_path / "killed"
    kill_when(SLOW_CHUNKS_CHILD, ["batch", *args, "--out", killed],
              lambda: len(list(killed.glob("chunks/*.done"))) >= 3)  # fmt: skip
    done = len(list((killed / "chunks").glob("*.done")))
    assert 3 <= done < 10, "the kill must land halfway through the batch"
    assert not (killed / "manifest.json").exists()
    resumed = subprocess.run(  # the console command, as a user types it
        [sys.executable, "-m", "sim", "batch", *args, "--out", str(killed), "--resume"],
        cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip
    assert resumed.returncode == 0, resumed.stderr
    assert f"{done * 100:,} reused" in resumed.stdout
    # The manifest names the command that began the batch, and the one that finished it.
    meta = json.loads((killed / "manifest.json").read_text())
    began = shlex.join(["coalition-sim", "batch", *args, "--out", str(killed)])
    assert (meta["command"], meta["resumed_with"]) == (began, f"{began} --resume")
    assert main(["batch", *args, "--out", str(tmp_path / "whole")]) == 0
    assert tables(killed) == tables(tmp_path / "whole")


def test_rerunning_an_unchanged_batch_recomputes_nothing(tmp_path, capsys):
    args = [
        "batch",
        str(BASE),
        "--runs",
        "500",
        "--chunk",
        "100",
        "--out",
        str(tmp_path),
        "--no-report",
    ]
    assert main(args) == 0
    first = tables(tmp_path)
    assert not (tmp_path / "chunks").exists()  # merged, then removed
    stamps = {p: p.stat().st_mtime_ns for p in tmp_path.glob("*.gz")}
    printed = capsys.readouterr().out.splitlines()
    # --no-report: no plots or report.md, but the outcomes are printed as with one
    assert not (tmp_path / "report.md").exists() and not (tmp_path / "plots").exists()
    wins = sum(r["winner"] == "rutte" for r in read_rows(tmp_path, "runs"))
    assert printed[0].startswith(f"  rutte       {100 * wins / 500:.1f}% [")
    assert printed[-1].startswith("500 runs in ") and " runs/s): 500 computed, " in printed[-1]
    assert main(args) == 0
    again = capsys.readouterr().out.splitlines()
    assert again[:-1] == printed[:-1]
    assert "0 computed, 500 reused" in again[-1] and "runs/s" not in again[-1]  # none computed
    assert {p: p.stat().st_mtime_ns for p in tmp_path.glob("*.gz")} == stamps
    assert tables(tmp_path) == first


def test_a_different_batch_is_refused_in_the_same_folder(tmp_path, capsys):
    assert main(["batch", str(BASE), "--runs", "50", "--out", str(tmp_path), "--no-report"]) == 0
    assert main(["batch", str(BASE), "--runs", "60", "--out", str(tmp_path), "--no-report"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "holds a different batch" in err[0]


def test_resume_finds_the_unfinished_batch_of_this_scenario(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    plan = plan_batch(BASE, runs=300, chunk=100, sweeps=["parameters.noise=0.1,0.2"])
    out = tmp_path / "results" / "nato-2024" / "20240101-000000"
    batch.prepare_folder(out, plan)  # a batch that died before finishing any chunk
    # A bare --resume: runs, chunk, seed and sweep come from the folder.
    assert main(["batch", str(BASE), "--resume", "--no-report"]) == 0
    captured = capsys.readouterr()
    assert f"resuming {out.relative_to(tmp_path)}: 0 of 600 runs done" in captured.err
    assert "600 runs in" in captured.out
    assert (out / "manifest.json").exists()
    assert len(list((tmp_path / "results" / "nato-2024").iterdir())) == 1
    assert len(read_rows(out, "runs")) == 600


def test_resume_with_out_reads_the_batch_settings_from_the_folder(tmp_path, capsys):
    plan = plan_batch(BASE, runs=250, chunk=50, seed=4)
    batch.prepare_folder(tmp_path, plan)
    assert main(["batch", str(BASE), "--resume", "--out", str(tmp_path), "--no-report"]) == 0
    assert "250 runs in" in capsys.readouterr().out
    assert int(read_rows(tmp_path, "runs")[0]["seed"]) == replication_seed(4, 0, 0)


@pytest.mark.parametrize(
    ("given", "held"),
    [
        (["--set", "noise=0.2"], "no --set"),
        (["--runs", "500"], "--runs 200"),
        (["--seed", "7"], "--seed 1"),
        (["--chunk", "50"], "--chunk 100"),
        (["--sweep", "noise=0.1,0.2"], "no sweep"),
    ],
)
def test_resume_refuses_a_setting_the_folders_batch_does_not_have(tmp_path, capsys, given, held):
    batch.prepare_folder(tmp_path, plan_batch(BASE, runs=200, chunk=100))
    args = ["batch", str(BASE), "--resume", "--out", str(tmp_path), "--no-report", *given]
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    typed = " ".join(given)
    assert err == [
        f"--resume {tmp_path}: {typed} (the batch there has {held}): --resume goes on with "
        "the folder's batch as it was; drop it, or choose another --out for a new batch"
    ]
    assert not list((tmp_path / "chunks").iterdir())  # nothing ran


def test_resume_refuses_other_settings_on_a_finished_batch_too(tmp_path, capsys):
    args = ["batch", str(BASE), "--runs", "50", "--out", str(tmp_path), "--no-report"]
    assert main(args) == 0
    capsys.readouterr()
    assert main([*args, "--resume", "--set", "noise=0.2", "--runs", "60"]) == 2
    err = capsys.readouterr().err
    assert "already complete" not in err
    assert "--set noise=0.2 (the batch there has no --set), --runs 60 (the batch there has " in err


def test_resume_takes_settings_equal_to_the_folders(tmp_path, capsys):
    sweep = ["parameters.noise=0.1,0.2"]
    plan = plan_batch(BASE, ["parameters.w_ties=2"], runs=100, chunk=50, seed=3, sweeps=sweep)
    batch.prepare_folder(tmp_path, plan)
    same = ["--set", "w_ties=2", "--runs", "100", "--chunk", "50", "--seed", "3",
            "--sweep", "noise=0.1,0.2"]  # fmt: skip
    args = ["batch", str(BASE), "--resume", "--out", str(tmp_path), "--no-report", *same]
    assert main(args) == 0, capsys.readouterr().err
    assert "resuming" in capsys.readouterr().err
    assert json.loads((tmp_path / "manifest.json").read_text())["overrides"] == [
        "parameters.w_ties=2"
    ]


def test_the_report_of_a_resumed_batch_names_both_commands(tmp_path):
    began = ["batch", str(BASE), "--runs", "200", "--chunk", "100", "--set", "description=a b"]
    record_command(began)  # as main does: the command that dies before any chunk is done
    try:
        batch.prepare_folder(tmp_path, plan_batch(BASE, ["description=a b"], runs=200, chunk=100))
    finally:
        record_command(None)
    assert main(["batch", str(BASE), "--resume", "--out", str(tmp_path)]) == 0
    first = shlex.join(["coalition-sim", *began])
    assert first.endswith("--set 'description=a b'")  # quoted as a shell needs it
    then = f"coalition-sim batch {BASE} --resume --out {tmp_path}"
    md = (tmp_path / "report.md").read_text()
    assert f"Command: `{first}`, interrupted and finished by `{then}`." in md


def test_the_report_of_an_uninterrupted_batch_names_its_command(tmp_path):
    args = ["batch", str(BASE), "--runs", "50", "--out", str(tmp_path)]
    assert main(args) == 0
    assert (
        f"Command: `{shlex.join(['coalition-sim', *args])}`\n"
        in (tmp_path / "report.md").read_text()
    )
    assert "resumed_with" not in json.loads((tmp_path / "manifest.json").read_text())


def test_an_interrupted_batch_says_where_it_is_kept_and_how_to_go_on(tmp_path, capsys,
                                                                     monkeypatch):  # fmt: skip
    args = ["batch", str(BASE), "--runs", "300", "--chunk", "100", "--out", str(tmp_path)]
    with monkeypatch.context() as m:
        stop_after_chunks(m, 1)  # as Ctrl-C would, once a chunk is written
        assert main(args) == 130
    err = capsys.readouterr().err
    assert f"interrupted: the finished chunks are kept in {tmp_path}/; go on with the same " \
        f"command and --resume --out {tmp_path}\n" in err  # fmt: skip
    assert main([*args, "--resume", "--no-report"]) == 0
    assert "100 reused" in capsys.readouterr().out


def test_a_batch_interrupted_before_its_folder_holds_it_says_nothing_was_kept(tmp_path, capsys,
                                                                             monkeypatch):  # fmt: skip
    def stop(*_):
        raise KeyboardInterrupt

    monkeypatch.setattr("sim.batching.runner.prepare_folder", stop)
    assert main(["batch", str(BASE), "--runs", "50", "--out", str(tmp_path / "b")]) == 130
    err = capsys.readouterr().err
    assert f"interrupted before anything was kept in {tmp_path / 'b'}/; the same command " \
        "(without --resume) starts the batch" in err  # fmt: skip
    assert "--resume --out" not in err


def test_resume_without_an_unfinished_batch_says_so(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["batch", str(BASE), "--resume", "--no-report"]) == 2
    assert "no unfinished batch of this scenario to resume" in capsys.readouterr().err


def test_a_damaged_chunk_is_computed_again_never_merged(tmp_path, capsys):
    plan = plan_batch(BASE, runs=300, chunk=100)
    from sim.batching.folder import write_chunk
    from sim.batching.runner import _task
    from sim.batching.worker import run_chunk

    batch.prepare_folder(tmp_path, plan)
    for chunk in plan.chunks:
        write_chunk(tmp_path, plan, run_chunk(_task(plan, chunk)))
    first, second, third = sorted((tmp_path / "chunks").glob("*.npz"))
    first.write_bytes(first.read_bytes()[: first.stat().st_size // 2])  # truncated
    second.write_bytes(b"")  # empty
    third.unlink()  # missing
    outcome = run_batch(plan, tmp_path, InlineExecutor())
    assert outcome.computed == 300 and outcome.reused == 0
    assert capsys.readouterr().err.count("computing it again") == 3
    whole = run_batch(plan, None, InlineExecutor()).results
    assert table_text(outcome.results, "runs") == table_text(whole, "runs")


def test_two_batches_cannot_write_one_folder(tmp_path, capsys):
    from sim.batching.folder import FolderLock

    with FolderLock(tmp_path):
        assert (
            main(["batch", str(BASE), "--runs", "20", "--out", str(tmp_path), "--no-report"]) == 2
        )
    assert "another batch" in capsys.readouterr().err
    (tmp_path / ".lock").write_text("999999999")  # left by a process that is gone
    assert main(["batch", str(BASE), "--runs", "20", "--out", str(tmp_path), "--no-report"]) == 0


def test_the_inline_batch_writes_each_chunk_as_soon_as_it_is_done(tmp_path, monkeypatch):
    from sim.batching import runner

    seen = []
    real = runner.write_chunk

    def spy(out, plan, result):
        seen.append(len(list((out / "chunks").glob("*.npz"))))
        real(out, plan, result)

    monkeypatch.setattr(runner, "write_chunk", spy)
    run_batch(plan_batch(BASE, runs=400, chunk=100), tmp_path, InlineExecutor())
    assert seen == [0, 1, 2, 3]


def test_a_replication_that_raises_is_recorded_and_the_batch_goes_on(tmp_path, monkeypatch):
    clean_plan, _ = inline_batch(BASE, tmp_path / "clean", runs=40, chunk=20)
    fail_for(monkeypatch, {replication_seed(clean_plan.seed, 0, k) for k in (3, 27)})
    _, outcome = inline_batch(BASE, tmp_path / "flaky", runs=40, chunk=20)
    assert outcome.errors == 2
    clean = read_rows(tmp_path / "clean", "runs")
    flaky_rows = read_rows(tmp_path / "flaky", "runs")
    for k, (a, b) in enumerate(zip(clean, flaky_rows, strict=True)):
        if k in (3, 27):
            assert b["error"] == "FloatingPointError: injected failure" and b["winner"] == ""
        else:
            assert a == b


# --- sweeps and the batch block ------------------------------------------------------------


def write_variant(tmp_path: Path, batch_block: dict) -> Path:
    path = tmp_path / "swept.yaml"
    text = f"extends: {BASE}\n" + yaml.safe_dump({"batch": batch_block}, sort_keys=False)
    path.write_text(text)
    return path


def test_grid_sweep_runs_every_point_with_its_values(tmp_path):
    spec = {"parameters.noise": [0.1, 0.6], "parameters.w_ties": {"min": 0.5, "max": 1.5, "num": 3}}
    path = write_variant(tmp_path, {"replications": 20, "sweep": {"params": spec}})
    plan, _ = inline_batch(path, tmp_path / "out")
    assert len(plan.points) == 6
    rows = read_rows(tmp_path / "out", "runs")
    assert len(rows) == 120
    seen = {(r["point"], r["parameters.noise"], r["parameters.w_ties"]) for r in rows}
    assert len(seen) == 6
    assert {float(r["parameters.w_ties"]) for r in rows} == {0.5, 1.0, 1.5}
    assert plan.points[1].scenario.parameters.w_ties == 1.0


@pytest.mark.parametrize("design,samples", [("lhs", 7), ("sobol-sequence", 8)])
def test_space_filling_designs_stay_in_their_spans(tmp_path, design, samples):
    spec = {
        "parameters.noise": {"min": 0.05, "max": 0.5},
        "grievances.schengen.weight": {"min": 0, "max": 1},
    }
    sweep = {"design": design, "samples": samples, "params": spec}
    plan = plan_batch(write_variant(tmp_path, {"replications": 3, "sweep": sweep}))
    assert len(plan.points) == samples
    noise = [p.values["parameters.noise"] for p in plan.points]
    assert all(0.05 <= v <= 0.5 for v in noise) and len(set(noise)) == samples
    if design == "lhs":  # one sample in each of the n equal strata
        strata = sorted(int((v - 0.05) / 0.45 * samples) for v in noise)
        assert strata == list(range(samples))


def test_a_bad_sweep_value_is_one_line_pointing_at_the_sweep(tmp_path, capsys):
    path = write_variant(tmp_path, {"sweep": {"params": {"parameters.noise": [0.1, -2]}}})
    assert main(["batch", str(path), "--runs", "5", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith(f"{path}:") and "batch.sweep.params.parameters.noise" in err[0]
    assert (
        main(["batch", str(BASE), "--sweep", "parameters.nois=1,2", "--out", str(tmp_path / "p")])
        == 2
    )
    assert "--sweep parameters.nois" in capsys.readouterr().err


def test_batch_block_sets_the_defaults_and_the_command_line_overrides_them(tmp_path, capsys):
    path = write_variant(tmp_path, {"replications": 12, "seed": 7})
    assert main(["batch", str(path), "--out", str(tmp_path / "a"), "--no-report"]) == 0
    rows = read_rows(tmp_path / "a", "runs")
    assert len(rows) == 12 and int(rows[0]["seed"]) == replication_seed(7, 0, 0)
    assert (
        main(
            [
                "batch",
                str(path),
                "--runs",
                "4",
                "--seed",
                "8",
                "--out",
                str(tmp_path / "b"),
                "--no-report",
            ]
        )
        == 0
    )
    rows = read_rows(tmp_path / "b", "runs")
    assert len(rows) == 4 and int(rows[0]["seed"]) == replication_seed(8, 0, 0)
    manifest = json.loads((tmp_path / "b" / "manifest.json").read_text())
    assert manifest["runs"] == 4 and manifest["seed"] == 8


# --- progress ------------------------------------------------------------------------------


def test_progress_bar_shows_when_wanted_and_stays_quiet_otherwise():
    import io

    from sim.batching import progress

    shown = io.StringIO()
    with progress.bar(1000, enabled=True, stream=shown) as bar:
        bar.update(500)
        bar.refresh()
    assert "50%" in shown.getvalue() and "runs" in shown.getvalue()
    quiet = io.StringIO()
    assert not progress.wanted(None, quiet)  # a StringIO is not a terminal
    with progress.bar(10, stream=quiet) as bar:
        bar.update(10)
    assert quiet.getvalue() == ""


def test_batch_ends_with_a_closing_line(tmp_path, capsys):
    assert main(["batch", str(BASE), "--runs", "100", "--out", str(tmp_path), "--no-report"]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.startswith("100 runs in ") and "runs/s" in last


def test_tables_rendered_in_the_workers_equal_the_merged_results_tables(tmp_path):
    # Small chunks on a scenario whose runs end at different rounds: some chunks' support
    # rows stop before the batch's last round (those are rendered again in the parent).
    path = ROOT / "scenarios" / "nato-2024-article.yaml"
    plan = plan_batch(path, runs=120, chunk=7, sweeps=["parameters.noise=0.5,2"])
    tasks = [batch.runner._task(plan, c, render=True) for c in plan.chunks]
    spans = {batch.run_chunk(t).support_rounds for t in tasks}
    assert len(spans) > 1  # the case this test is about
    outcome = run_batch(plan, tmp_path / "out", InlineExecutor())
    members = gzip_members(tmp_path / "out" / "support.csv.gz")
    assert members == len(plan.chunks) + 1  # a header, then one member per chunk
    for t in TABLES:
        assert read_text(tmp_path / "out", t) == table_text(outcome.results, t), t


def test_a_resumed_batch_renders_the_chunks_it_read_back(tmp_path):
    plan = plan_batch(BASE, runs=300, chunk=100)
    from sim.batching.folder import prepare_folder, write_chunk

    out = tmp_path / "b"
    out.mkdir()
    prepare_folder(out, plan)
    write_chunk(out, plan, batch.run_chunk(batch.runner._task(plan, plan.chunks[1])))
    run_batch(plan, out, InlineExecutor())
    inline_batch(BASE, tmp_path / "whole", runs=300, chunk=300)
    assert tables(out) == tables(tmp_path / "whole")


def gzip_members(path):
    """How many gzip members a file holds."""
    import zlib

    data, count = path.read_bytes(), 0
    while data:
        d = zlib.decompressobj(wbits=31)
        d.decompress(data)
        data, count = d.unused_data, count + 1
    return count
