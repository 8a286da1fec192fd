"""`batch --format parquet` writes its tables chunk by chunk (flat memory): the files are the
same byte for byte whatever the chunking or the workers, they hold what the CSV tables hold,
batch.json records the format, and a resumed Parquet batch stays Parquet."""

import csv
import gzip
import io
import json
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from failing import fail_for, forbid_merging, stop_after_chunks
from hostile import cli

from sim.batching import InlineExecutor, plan_batch, replication_seed, run_batch
from sim.results import parquet
from sim.results.results import Results
from sim.results.tables import TABLES

pytest.importorskip("pyarrow", reason="the parquet extra is not installed")

ROOT = Path(__file__).resolve().parents[2]
BASE = ROOT / "scenarios" / "nato-2024.yaml"
NOISY = ["parameters.noise=0.3,2"]  # a float and an int: one float column over the points


def _files(out: Path) -> dict[str, bytes]:
    return {t: (out / f"{t}.parquet").read_bytes() for t in TABLES}


@pytest.fixture
def small_groups(monkeypatch):
    """Row groups of 500 rows, so that a small batch spans several and chunks straddle them."""
    monkeypatch.setattr(parquet, "ROW_GROUP", 500)


@pytest.fixture
def no_merge(monkeypatch):
    forbid_merging(monkeypatch)


def _normal(value: str):
    """A CSV field or a Parquet value's text, compared as what it means."""
    if value in ("", "None", "nan", "<NA>"):
        return None
    if value in ("true", "True", "false", "False"):
        return value in ("true", "True")
    try:
        return float(value)
    except ValueError:
        return value


def _csv_rows(out: Path, table: str) -> tuple[list[str], list[list]]:
    text = gzip.decompress((out / f"{table}.csv.gz").read_bytes()).decode()
    header, *body = list(csv.reader(io.StringIO(text)))
    return header, [[_normal(v) for v in row] for row in body]


def _parquet_rows(out: Path, table: str) -> tuple[list[str], list[list]]:
    frame = pd.read_parquet(out / f"{table}.parquet")
    frame = frame.astype(object).where(frame.notna(), None)
    return list(frame.columns), [[_normal(str(v)) for v in row] for row in frame.values.tolist()]


def test_the_files_are_the_same_whatever_the_chunking(tmp_path, small_groups):
    files = {}
    for chunk in (1, 7, 50, 1000):
        plan = plan_batch(BASE, runs=40, chunk=chunk, sweeps=NOISY)
        run_batch(plan, tmp_path / f"c{chunk}", InlineExecutor(), format="parquet", keep=False)
        files[chunk] = _files(tmp_path / f"c{chunk}")
    assert files[1] == files[7] == files[50] == files[1000]
    back = pd.read_parquet(tmp_path / "c7" / "support.parquet")
    assert len(back) > 500  # several row groups


def test_the_files_are_the_same_with_two_workers(tmp_path, small_groups):
    plan = plan_batch(BASE, runs=40, chunk=9, sweeps=NOISY)
    run_batch(plan, tmp_path / "one", InlineExecutor(), format="parquet", keep=False)
    with ProcessPoolExecutor(2) as pool:
        run_batch(plan, tmp_path / "two", pool, workers=2, format="parquet", keep=False)
    assert _files(tmp_path / "one") == _files(tmp_path / "two")


def test_the_parquet_tables_hold_the_csv_tables(tmp_path, small_groups, monkeypatch):
    plan = plan_batch(BASE, runs=30, chunk=7, sweeps=NOISY)
    fail_for(monkeypatch, {replication_seed(plan.seed, 0, 4)})
    run_batch(plan, tmp_path / "csv", InlineExecutor(), keep=False)
    run_batch(plan, tmp_path / "pq", InlineExecutor(), format="parquet", keep=False)
    for t in TABLES:
        assert _parquet_rows(tmp_path / "pq", t) == _csv_rows(tmp_path / "csv", t), t
    for name in ("results.npz", "trajectories.npz"):
        with np.load(tmp_path / "csv" / name) as a, np.load(tmp_path / "pq" / name) as b:
            assert a.files == b.files
            for k in a.files:
                assert np.array_equal(a[k], b[k], equal_nan=a[k].dtype.kind == "f"), k
    runs = pd.read_parquet(tmp_path / "pq" / "runs.parquet")
    assert runs["error"].notna().sum() == 1  # the failing seed alone
    assert str(runs["appointed_round"].dtype) == "Int64"
    assert runs["parameters.noise"].dtype == np.float64


def test_a_parquet_batch_never_holds_the_whole_batch(tmp_path, no_merge):
    plan = plan_batch(BASE, runs=60, chunk=7, sweeps=NOISY)
    outcome = run_batch(plan, tmp_path / "pq", InlineExecutor(), format="parquet", keep=False)
    assert outcome.results is None
    assert len(pd.read_parquet(tmp_path / "pq" / "runs.parquet")) == 120
    assert not list((tmp_path / "pq").rglob("*.tmp")) and not (tmp_path / "pq" / "chunks").exists()


def test_the_tables_of_a_kept_batch_and_of_results_save_are_the_same_files(tmp_path):
    plan = plan_batch(BASE, runs=30, chunk=7, sweeps=NOISY)
    kept = run_batch(plan, tmp_path / "kept", InlineExecutor(), format="parquet").results
    run_batch(plan, tmp_path / "flat", InlineExecutor(), format="parquet", keep=False)
    kept.save(tmp_path / "saved", format="parquet")
    assert _files(tmp_path / "kept") == _files(tmp_path / "flat") == _files(tmp_path / "saved")


def test_batch_json_records_the_format(tmp_path, capsys):
    out = tmp_path / "b"
    code, _, err = cli(capsys, "batch", BASE, "--runs", 6, "--out", out, "--no-report",
                       "--format", "parquet")  # fmt: skip
    assert code == 0, err
    assert json.loads((out / "batch.json").read_text())["format"] == "parquet"
    assert sorted(p.name for p in out.glob("*.parquet")) == sorted(f"{t}.parquet" for t in TABLES)
    assert not list(out.glob("*.csv.gz"))


def test_a_resumed_parquet_batch_stays_parquet(tmp_path, capsys, monkeypatch):
    args = ["batch", BASE, "--runs", 40, "--chunk", 10, "--no-report", "--sweep", NOISY[0]]
    out = tmp_path / "killed"
    stop_after_chunks(monkeypatch, 3)
    code, _, _ = cli(capsys, *args, "--out", out, "--format", "parquet")
    assert code == 130 and not (out / "manifest.json").exists()
    monkeypatch.undo()
    code, printed, err = cli(capsys, "batch", BASE, "--resume", "--out", out, "--no-report")
    assert code == 0, err
    assert "30 reused" in printed
    assert not list(out.glob("*.csv.gz"))
    code, _, err = cli(capsys, *args, "--out", tmp_path / "whole", "--format", "parquet")
    assert code == 0, err
    assert _files(out) == _files(tmp_path / "whole")


def test_resuming_a_parquet_batch_as_csv_is_refused(tmp_path, capsys, monkeypatch):
    args = ["batch", BASE, "--runs", 30, "--chunk", 10, "--no-report"]
    out = tmp_path / "killed"
    stop_after_chunks(monkeypatch, 1)
    assert cli(capsys, *args, "--out", out, "--format", "parquet")[0] == 130
    monkeypatch.undo()
    code, _, err = cli(capsys, "batch", BASE, "--resume", "--out", out, "--format", "csv")
    assert code == 2 and "parquet" in err and len(err.strip().splitlines()) == 1, err
    code, _, err = cli(capsys, *args, "--out", out)  # the same batch again, as CSV
    assert code == 2 and "--format parquet" in err and len(err.strip().splitlines()) == 1, err
    assert not list(out.glob("*.csv.gz"))


def test_an_older_batch_json_without_a_format_resumes_as_csv(tmp_path, capsys, monkeypatch):
    args = ["batch", BASE, "--runs", 30, "--chunk", 10, "--no-report"]
    out = tmp_path / "old"
    stop_after_chunks(monkeypatch, 1)
    assert cli(capsys, *args, "--out", out)[0] == 130
    monkeypatch.undo()
    info = json.loads((out / "batch.json").read_text())
    del info["format"]
    (out / "batch.json").write_text(json.dumps(info))
    code, _, err = cli(capsys, "batch", BASE, "--resume", "--out", out, "--no-report")
    assert code == 0, err
    assert (out / "runs.csv.gz").exists() and not list(out.glob("*.parquet"))


def test_each_part_s_arrow_table_is_what_pandas_gives_of_its_frame(monkeypatch):
    """The Arrow tables built from a part's numpy columns hold what `pa.Table.from_pandas`
    gives of the part's DataFrames (how the tables were written before), failures and all."""
    import pyarrow as pa

    from sim.batching.runner import _task
    from sim.batching.worker import run_chunk
    from sim.results.tables import table_frame

    plan = plan_batch(BASE, runs=12, chunk=5, sweeps=["parameters.noise=0.3,2,0"])
    fail_for(monkeypatch, {replication_seed(plan.seed, 0, 1), replication_seed(plan.seed, 2, 11)})
    parts = [run_chunk(_task(plan, c)).results for c in plan.chunks]
    whole = Results.concat(parts)
    assert len(parts) > 2 and whole.runs["error"].notna().sum() == 2
    rounds = whole.support_rounds()
    types = parquet._swept_types([p.values for p in plan.points], plan.swept)
    for table in TABLES:
        file = parquet._Table(Path("unused.parquet"), types if table == "runs" else {})
        schema = file._schema(file._frame(table_frame(parts[0], table, rounds)))
        for part in [*parts, whole]:
            frame = file._frame(table_frame(part, table, rounds))
            want = pa.Table.from_pandas(frame, schema=schema, preserve_index=False)
            got = parquet._arrow_table(part, table, schema, file.swept, rounds)
            assert got.equals(want.replace_schema_metadata(schema.metadata)), table
            assert got.schema.metadata == schema.metadata
