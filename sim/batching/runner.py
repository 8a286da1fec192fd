"""Running a batch: chunks on an executor, each written as soon as it is done; resume; merge.

A batch is a list of sweep points, each run for `runs` replications. Replications are cut
into chunks; a chunk runs vectorised on any `concurrent.futures.Executor` and comes back
as a `Results`. With a results folder, each finished chunk is written at once (in every
executor, the inline one included), so a killed batch loses at most the chunks in flight
and `--resume` finishes it; an unchanged, finished batch is read back, not recomputed.
Only a few chunks are in flight at a time, so nothing queues up in memory. Results never
depend on the number of workers or on chunking: each replication draws from its own seed,
derived from (batch seed, point, replication) by `numpy.random.SeedSequence`.
"""

import time
from concurrent.futures import FIRST_COMPLETED, Executor, wait
from dataclasses import dataclass
from pathlib import Path

from sim.batching import progress as progress_bar
from sim.batching.executors import InlineExecutor
from sim.batching.folder import (
    FolderLock,
    chunk_errors,
    done_chunks,
    prepare_folder,
    read_chunk,
    remove_chunks,
    write_chunk,
)
from sim.batching.plan import Plan
from sim.batching.worker import ChunkResult, ChunkTask, run_chunk
from sim.results.files import write_json
from sim.results.results import Results
from sim.results.tables import TABLES, gzip_member, manifest, table_body, write_tables

IN_FLIGHT = 2  # chunks submitted per worker ahead of the one being written


@dataclass
class BatchOutcome:
    """What a batch call did, and its results."""

    out: Path | None
    runs: int
    computed: int
    reused: int
    errors: int
    seconds: float
    results: Results


def run_batch(
    plan: Plan,
    out: Path | None,
    executor: Executor | None = None,
    progress: bool | None = None,
    workers: int = 1,
    format: str = "csv",
    force: bool = False,
) -> BatchOutcome:
    """Run the chunks not yet done, writing each as it finishes; merge; write the manifest.

    Args:
        plan: the batch (see `sim.batching.plan.plan_batch`).
        out: results folder, or None to keep everything in memory.
        executor: where chunks run (default: in this process).
        progress: show a progress bar (default: on a terminal or in a notebook).
        workers: how many chunks the executor runs at once (sets how many are in flight).
        format: table format of the folder, "csv" (gzip) or "parquet".
        force: write into a folder that holds other files or another batch (`--force`;
            never one that another batch is writing).

    Returns:
        A `BatchOutcome` whose `results` holds every replication.
    """
    if out is None:
        return _run(plan, None, executor, progress, workers, format)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    with FolderLock(out):
        return _run(plan, out, executor, progress, workers, format, force)


def _run(plan, out, executor, progress, workers, format, force=False) -> BatchOutcome:
    began = time.perf_counter()
    executor = executor or InlineExecutor()
    total = plan.total_runs
    if out is not None:
        prepare_folder(out, plan, force)
        if (out / "manifest.json").exists() and (out / "results.npz").exists():
            results = Results.load(out)  # this very batch, finished: nothing to compute
            errors = len(results.errors)
            return BatchOutcome(out, total, 0, total, errors, time.perf_counter() - began, results)
    done = done_chunks(out, plan) if out is not None else set()
    todo = [c for c in plan.chunks if c.name not in done]
    finished = total - sum(c.stop - c.start for c in todo)
    computed: dict[str, Results] = {}
    rendered: dict[str, ChunkResult] = {}  # chunk -> its result, rows rendered by the worker
    render = out is not None and format == "csv"
    errors = sum(chunk_errors(out, c) for c in plan.chunks if c.name in done)
    window = max(1, workers) * IN_FLIGHT if not isinstance(executor, InlineExecutor) else 1
    bar = progress_bar.bar(total, finished, enabled=progress)
    pending = {}
    queue = list(reversed(todo))
    try:
        while queue or pending:
            while queue and len(pending) < window:
                chunk = queue.pop()
                pending[executor.submit(run_chunk, _task(plan, chunk, render))] = chunk
            ready, _ = wait(list(pending), return_when=FIRST_COMPLETED)
            for future in ready:
                del pending[future]
                result = future.result()
                if out is not None:
                    write_chunk(out, plan, result)
                computed[result.chunk.name] = result.results
                if result.tables is not None:
                    rendered[result.chunk.name] = result
                errors += result.errors
                bar.update(result.chunk.stop - result.chunk.start)
    except BaseException:
        for f in pending:
            f.cancel()
        raise
    finally:
        bar.close()
    parts = [computed[c.name] if c.name in computed else read_chunk(out, c) for c in plan.chunks]
    results = Results.concat(parts)
    outcome = BatchOutcome(
        out=out,
        runs=total,
        computed=total - finished,
        reused=finished,
        errors=errors,
        seconds=0.0,
        results=results,
    )
    if out is not None:
        if render:
            write_tables(results, out, format, _members(plan, parts, rendered))
        else:
            results.save(out, format)
        # The manifest goes last: its presence says the folder is complete.
        write_json(out / "manifest.json", batch_manifest(plan, outcome))
        remove_chunks(out)
    outcome.seconds = time.perf_counter() - began
    return outcome


def _members(plan: Plan, parts: list[Results], rendered: dict) -> dict[str, list[bytes]]:
    """Each CSV table's rows as gzip members, one per chunk in plan order: the worker's,
    or rendered here for a chunk read back on resume, and for support where the chunk's
    rows stop before the batch's last round."""
    span = max(p.support_rounds() for p in parts)
    members: dict[str, list[bytes]] = {t: [] for t in TABLES}
    for chunk, part in zip(plan.chunks, parts, strict=True):
        done = rendered.get(chunk.name)
        for t in TABLES:
            if done is not None and (t != "support" or done.support_rounds == span):
                members[t].append(done.tables[t])
            else:
                members[t].append(gzip_member(table_body(part, t, span)))
    return members


def _task(plan: Plan, chunk, render: bool = False) -> ChunkTask:
    scenarios = {}
    for point, _, _ in chunk.pieces():
        p = plan.points[point]
        scenarios[point] = (p.scenario, p.digest)
    return ChunkTask(chunk, scenarios, plan.seed, plan.runs, [p.values for p in plan.points],
                     plan.swept, render)  # fmt: skip


def batch_manifest(plan: Plan, outcome: BatchOutcome) -> dict:
    """manifest.json of a batch: what produced it and how it went."""
    return manifest(
        outcome.results,
        plan.points[0].digest,
        plan.scenario_path,
        runs_per_point=plan.runs,
        points=len(plan.points),
        swept=plan.swept,
        overrides=plan.overrides,
        errors=outcome.errors,
    )
