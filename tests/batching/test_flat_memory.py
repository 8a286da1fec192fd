"""Memory flat in the number of runs (issue 12): the batch command never holds the whole
batch. Each chunk is written, tallied and dropped; the report reads the tallies and the
folder's files are merged piece by piece, and all of it equals the in-memory batch."""

import json
import re
import shlex
from pathlib import Path

import numpy as np
import pytest
from failing import fail_for, forbid_merging
from folders import tables
from folders import text as read_text

import sim
from sim.batching import InlineExecutor, plan_batch, replication_seed, run_batch
from sim.cli.main import main
from sim.results.results import Results
from sim.results.summary import Summary
from sim.results.tables import TABLES, table_text

ROOT = Path(__file__).resolve().parents[2]
BASE = ROOT / "scenarios" / "nato-2024.yaml"
NOISY = ["parameters.noise=0.3,2"]


@pytest.fixture
def no_merge(monkeypatch):
    forbid_merging(monkeypatch)


def _arrays(folder: Path, name: str) -> dict:
    with np.load(folder / name, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def _same_arrays(a: dict, b: dict) -> None:
    assert list(a) == list(b)
    for k in a:
        assert a[k].dtype == b[k].dtype and a[k].shape == b[k].shape, k
        assert np.array_equal(a[k], b[k], equal_nan=a[k].dtype.kind == "f"), k


def test_the_flat_batch_writes_what_the_kept_batch_writes(tmp_path, no_merge, monkeypatch):
    # chunk 7 splits points, and one chunk of point 1 stops rounds before the others
    plan = plan_batch(BASE, runs=60, chunk=7, sweeps=NOISY)
    flat = run_batch(plan, tmp_path / "flat", InlineExecutor(), keep=False)
    assert flat.results is None
    monkeypatch.undo()
    kept = run_batch(plan, tmp_path / "kept", InlineExecutor())
    whole = kept.results
    assert tables(tmp_path / "flat") == tables(tmp_path / "kept")
    for name in ("results.npz", "trajectories.npz"):
        _same_arrays(_arrays(tmp_path / "flat", name), _arrays(tmp_path / "kept", name))
    back = Results.load(tmp_path / "flat")
    for t in TABLES:  # the rows of the batch held whole, the offers table included
        assert table_text(back, t) == table_text(whole, t), t
        assert read_text(tmp_path / "flat", t) == table_text(whole, t), t
    assert flat.summary.to_dict() == Summary.of(whole).to_dict()


def test_chunk_tallies_added_in_plan_order_are_the_tally_of_the_whole(monkeypatch):
    plan = plan_batch(BASE, runs=50, chunk=9, sweeps=NOISY)
    fail_for(monkeypatch, {replication_seed(plan.seed, 1, k) for k in (4, 30)})
    whole = run_batch(plan, None, InlineExecutor()).results
    assert len(whole.errors) == 2
    chunks = [whole_part(whole, c.start, c.stop) for c in plan.chunks]
    added = Summary.of(chunks[0])
    for part in chunks[1:]:
        added.add(Summary.of(part))
    want = Summary.of(whole)
    assert added.to_dict() == want.to_dict()
    assert added.failed == 2 and dict(added.errors) == {"FloatingPointError: injected failure": 2}
    assert Summary.from_dict(json.loads(json.dumps(want.to_dict()))).to_dict() == want.to_dict()
    probs = want.probabilities(by_point=True)
    assert probs.equals(whole.probabilities(by_point=True))
    for p in range(2):
        assert want.modal(p) == whole.modal(p)
        assert want.share_of_modal(p) == whole.share_of_modal(p)
        q = np.quantile(whole.supporters(p), (0.05, 0.25, 0.5, 0.75, 0.95), axis=0)
        assert np.array_equal(want.fan(p), q)
        for c in [None, *whole.candidates]:
            assert want.appointment_dates(c, [p]) == whole.appointment_dates(c, p)


def whole_part(results: Results, start: int, stop: int) -> Results:
    """Rows [start, stop) of `results` as a Results of their own (a chunk)."""
    keep = np.arange(start, stop)
    events = {}
    for t, cols in results.events.items():
        at = (cols["run"] >= start) & (cols["run"] < stop)
        events[t] = {k: v[at] for k, v in cols.items()}
    return Results(
        scenario=results.scenario, members=results.members, candidates=results.candidates,
        dates=results.dates, points=results.points, sessions=results.sessions,
        brokers=results.brokers, swept=results.swept, seed=results.seed,
        runs_per_point=results.runs_per_point,
        columns={k: v[keep] for k, v in results.columns.items()}, events=events,
        cube={k: v[keep] for k, v in results.cube.items()},
        errors={r: e for r, e in results.errors.items() if start <= r < stop},
    )  # fmt: skip


def test_the_batch_command_reports_without_holding_the_batch(tmp_path, capsys, no_merge):
    args = ["batch", str(BASE), "--runs", "40", "--chunk", "15", "--out", str(tmp_path / "a")]
    assert main(args) == 0
    assert capsys.readouterr().out.startswith("  rutte ")
    report = (tmp_path / "a" / "report.md").read_text()
    assert "| rutte |" in report and (tmp_path / "a" / "summary.json").exists()


def test_the_api_and_the_command_report_the_same(tmp_path, capsys):
    args = ["batch", str(BASE), "--runs", "40", "--chunk", "15", "--out", str(tmp_path / "cli")]
    assert main(args) == 0
    cli_lines = capsys.readouterr().out.splitlines()[:-1]  # the closing line has a time
    kept = sim.batch(BASE, runs=40, chunk=15, out=tmp_path / "api", progress=False)
    assert isinstance(kept, Results) and kept.n_runs == 40

    # The header says when each batch ran: the two may fall in different minutes.
    def lines(folder):
        text = (tmp_path / folder / "report.md").read_text()
        return re.sub(r"run \d{4}-\d\d-\d\d \d\d:\d\d UTC", "run <time>", text).splitlines()

    api_report, cli_report = lines("api"), lines("cli")
    differ = [(a, b) for a, b in zip(api_report, cli_report, strict=True) if a != b]
    made = "Made from Python (the `sim` API), not by a command."  # the only line that differs
    assert differ == [(made, f"Command: `{shlex.join(['coalition-sim', *args])}`")], differ
    for name in ("fan.png", "outcomes.png", "appointment_dates.png", "modal_stances.png"):
        a = (tmp_path / "api" / "plots" / name).read_bytes()
        assert a == (tmp_path / "cli" / "plots" / name).read_bytes(), name
    flat = sim.batch(BASE, runs=40, chunk=15, out=tmp_path / "flat", keep=False, progress=False)
    assert isinstance(flat, Summary)
    assert flat.probabilities().equals(kept.probabilities())
    share = kept.probabilities().set_index("outcome")["probability"]
    assert cli_lines[0].split()[:2] == ["rutte", f"{100 * share['rutte']:.1f}%"]


def test_a_long_sweep_reads_back_only_the_chunks_of_the_points_its_fan_shows(tmp_path, monkeypatch):
    from sim.batching import runner

    plan = plan_batch(BASE, runs=20, chunk=20, sweeps=["parameters.noise=0.1,0.4,0.8,1.5,3"])
    read = []
    real = runner.read_chunk

    def spy(out, chunk):
        read.append(chunk.start // 20)
        return real(out, chunk)

    monkeypatch.setattr(runner, "read_chunk", spy)
    flat = run_batch(plan, tmp_path / "flat", InlineExecutor(), keep=False)
    shown = flat.summary.fan_points()
    assert len(shown) == 2 and sorted(flat.summary.fans) == shown
    assert read == shown  # the fan's points (a chunk per point here), nothing else
    whole = run_batch(plan, None, InlineExecutor()).results
    for p in shown:
        q = np.quantile(whole.supporters(p), (0.05, 0.25, 0.5, 0.75, 0.95), axis=0)
        assert np.array_equal(flat.summary.fan(p), q)


def test_a_finished_batch_is_reported_again_from_its_summary(tmp_path, capsys, no_merge):
    args = ["batch", str(BASE), "--runs", "30", "--chunk", "10", "--out", str(tmp_path)]
    assert main(args) == 0
    first = capsys.readouterr().out.splitlines()[:-1]
    report = (tmp_path / "report.md").read_text()
    assert main(args) == 0
    again = capsys.readouterr().out
    assert "0 computed, 30 reused" in again and again.splitlines()[:-1] == first
    assert (tmp_path / "report.md").read_text().split("Command:")[1:] == report.split("Command:")[
        1:
    ]


def test_a_resumed_flat_batch_reads_each_done_chunk_once(tmp_path, capsys, no_merge):
    from sim.batching.folder import prepare_folder, write_chunk
    from sim.batching.runner import _task
    from sim.batching.worker import run_chunk

    plan = plan_batch(BASE, runs=40, chunk=10, sweeps=NOISY)
    prepare_folder(tmp_path, plan)
    for chunk in plan.chunks[:5]:  # killed after five chunks
        write_chunk(tmp_path, plan, run_chunk(_task(plan, chunk)))
    outcome = run_batch(plan, tmp_path, InlineExecutor(), keep=False)
    assert outcome.reused == 50 and outcome.computed == 30
    assert not (tmp_path / "chunks").exists()
    fresh = run_batch(plan, tmp_path / "fresh", InlineExecutor(), keep=False)
    assert tables(tmp_path) == tables(tmp_path / "fresh")
    assert outcome.summary.to_dict() == fresh.summary.to_dict()


def test_the_multi_member_tables_read_as_one_stream(tmp_path, capsys):
    import gzip
    import shutil
    import subprocess
    import zlib

    import pandas as pd

    args = ["batch", str(BASE), "--runs", "30", "--chunk", "10", "--out", str(tmp_path)]
    assert main(args + ["--no-report"]) == 0
    path = tmp_path / "runs.csv.gz"
    with gzip.open(path, "rt") as fh:
        text = fh.read()
    assert len(text.splitlines()) == 31  # the header, then every chunk's rows
    assert len(pd.read_csv(path)) == 30
    if shutil.which("zcat"):
        assert subprocess.run(["zcat", str(path)], capture_output=True, text=True).stdout == text
    # what results/README.md warns of: a one-shot zlib call stops after the header member
    assert zlib.decompress(path.read_bytes(), 31).decode() == text.splitlines(True)[0]


RECORD = ROOT / "records" / "nato-2024.yaml"
VARIANT = ROOT / "scenarios" / "what-if" / "us-backs-iohannis.yaml"


def test_the_score_command_scores_from_the_tallies_what_the_kept_batch_scores(
    tmp_path, capsys, no_merge, monkeypatch
):
    args = ["score", str(BASE), "--record", str(RECORD), "--runs", "45", "--out",
            str(tmp_path / "cli")]  # fmt: skip
    assert main([*args, "--set", "batch.chunk=10"]) == 0  # five chunks, none merged
    said = capsys.readouterr().out
    monkeypatch.undo()  # the kept batch merges them
    kept = sim.score(BASE, RECORD, runs=45, set=["batch.chunk=10"], out=tmp_path / "api",
                     progress=False)  # fmt: skip
    assert kept.results is not None and kept.results.n_runs == 45
    cli = (tmp_path / "cli" / "scores.csv").read_text()
    assert cli == (tmp_path / "api" / "scores.csv").read_text()
    assert "support_rmse" in cli.splitlines()[0] and "holdout_hit_rate" in cli.splitlines()[0]
    for name in ("score_fan.png", "fan.png"):
        a = (tmp_path / "api" / "plots" / name).read_bytes()
        assert a == (tmp_path / "cli" / "plots" / name).read_bytes(), name
    assert all(line in said for line in kept.verdict)
    flat = sim.score(BASE, RECORD, runs=45, set=["batch.chunk=10"], keep=False, progress=False)
    assert flat.results is None and flat.rows == kept.rows


def test_the_compare_command_compares_from_the_tallies_what_the_kept_batches_do(
    tmp_path, capsys, no_merge, monkeypatch
):
    args = ["compare", str(BASE), str(VARIANT), "--runs", "40", "--set", "batch.chunk=10",
            "--out", str(tmp_path / "cli")]  # fmt: skip
    assert main(args) == 0
    capsys.readouterr()
    monkeypatch.undo()
    kept = sim.compare([BASE, VARIANT], runs=40, set=["batch.chunk=10"], out=tmp_path / "api",
                       progress=False)  # fmt: skip
    assert set(kept.results) == {"nato-2024", "us-backs-iohannis"}
    for name in ("compare.csv", "compare.md", "compare.png"):
        a = (tmp_path / "api" / name).read_bytes()
        assert a == (tmp_path / "cli" / name).read_bytes(), name
    flat = sim.compare([BASE, VARIANT], runs=40, set=["batch.chunk=10"], keep=False)
    assert flat.results == {} and flat.table.equals(kept.table)
    assert flat.summaries["nato-2024"].n_runs == 40
