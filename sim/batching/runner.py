"""Running a batch: chunks on an executor, each written as soon as it is done; resume; merge.

A batch is a list of sweep points, each run for `runs` replications. Replications are cut
into chunks; a chunk runs vectorised on any `concurrent.futures.Executor` and comes back
as a `Results`. With a results folder, each finished chunk is written at once (in every
executor, the inline one included), so a killed batch loses at most the chunks in flight
and `--resume` finishes it; an unchanged, finished batch is read back, not recomputed.
Only a few chunks are in flight at a time, so nothing queues up in memory; each finished
chunk is tallied for the report (`Summary`) and, unless the caller keeps every
replication, dropped, so that memory stays flat in the number of runs. Results never
depend on the number of workers or on chunking: each replication draws from its own seed,
derived from (batch seed, point, replication) by `numpy.random.SeedSequence`.
"""

import json
import sys
import time
import zipfile
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Executor, wait
from dataclasses import dataclass
from pathlib import Path

from sim.batching import progress as progress_bar
from sim.batching.executors import InlineExecutor
from sim.batching.folder import (
    FolderLock,
    chunk_errors,
    chunk_file,
    done_chunks,
    prepare_folder,
    read_chunk,
    recorded_command,
    remove_chunks,
    write_chunk,
)
from sim.batching.plan import Plan
from sim.batching.worker import ChunkResult, ChunkTask, run_chunk
from sim.results.command import command_line
from sim.results.files import is_regular, read_regular, write_atomic, write_json
from sim.results.merge import write_arrays, write_csv_tables
from sim.results.parquet import write_parquet_tables
from sim.results.results import Results
from sim.results.summary import FAN_POINTS, Summary
from sim.results.tables import TABLES, manifest

IN_FLIGHT = 2  # chunks submitted per worker ahead of the one being written
SUMMARY = "summary.json"  # the report's counts, so that a finished batch is reported again


@dataclass
class BatchOutcome:
    """What a batch call did: its `summary` (the report's counts) and, when kept, every
    replication (`results`)."""

    out: Path | None
    runs: int
    computed: int
    reused: int
    errors: int
    seconds: float
    results: Results | None
    summary: Summary | None = None
    manifest: dict | None = None  # with a folder: its manifest.json (written last of all)


def run_batch(
    plan: Plan,
    out: Path | None,
    executor: Executor | None = None,
    progress: bool | None = None,
    workers: int = 1,
    format: str = "csv",
    force: bool = False,
    keep: bool = True,
    fans: list[int] | None = None,
    finish: Callable[[BatchOutcome], None] | None = None,
) -> BatchOutcome:
    """Run the chunks not yet done, writing each as it finishes; merge; `finish`; write
    the manifest, last.

    Args:
        plan: the batch (see `sim.batching.plan.plan_batch`).
        out: results folder, or None to keep everything in memory.
        executor: where chunks run (default: in this process).
        progress: show a progress bar (default: on a terminal or in a notebook).
        workers: how many chunks the executor runs at once (sets how many are in flight).
        format: table format of the folder, "csv" (gzip) or "parquet".
        force: write into a folder that holds other files or another batch (`--force`;
            never one that another batch is writing).
        keep: also hold every replication in memory (`results`). With keep=False,
            memory stays flat in the number of runs: chunks are tallied (`summary`) and,
            with `out`, merged into the folder's files piece by piece.
        fans: points whose supporters by round the summary must count, besides those
            the report draws (`score` draws point 0's).
        finish: with `out`, what writes the rest of the folder (its report and figures,
            a score's scores.csv), called with the outcome while the folder's lock is still
            held, so that no other batch writes the folder before all of it is written.

    Returns:
        A `BatchOutcome`: `summary` always, `results` (every replication) when kept.
    """
    if out is None:
        return _run(plan, None, executor, progress, workers, format, keep=keep, extra=fans)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    with FolderLock(out):
        outcome = _run(plan, out, executor, progress, workers, format, force, keep, fans)
        if finish is not None:
            finish(outcome)
        if not (out / "manifest.json").exists():
            # The manifest goes last, after the report and figures: its presence says the
            # folder is complete (a batch killed before it is found and finished by --resume).
            write_json(out / "manifest.json", outcome.manifest)
        remove_chunks(out)  # (also one killed after its manifest, before its clean-up)
        return outcome


def _run(plan, out, executor, progress, workers, format, force=False, keep=True,
         extra=None) -> BatchOutcome:  # fmt: skip
    began = time.perf_counter()
    executor = executor or InlineExecutor()
    total = plan.total_runs
    if out is not None:
        prepare_folder(out, plan, force, format)
        if (out / "manifest.json").exists() and (out / "results.npz").exists():
            try:
                finished = _finished(out, total, keep, began, extra or [])  # nothing to compute
            except (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile):
                print(f"{out}: this batch's files are damaged; computing it again", file=sys.stderr)
                (out / "manifest.json").unlink(missing_ok=True)
                (out / "chunks").mkdir(exist_ok=True)  # removed after the merge
            else:
                return finished
    done = done_chunks(out, plan) if out is not None else set()
    todo = [c for c in plan.chunks if c.name not in done]
    finished = total - sum(c.stop - c.start for c in todo)
    render = out is not None and format == "csv"
    # every point's fan counts when the report draws them all or there is no folder to
    # read the chunks of the points it draws back from; else those points', afterwards
    fans = len(plan.points) <= FAN_POINTS or (out is None and not keep)
    tally = _Tally(plan, out, keep, fans, extra or [])
    errors = sum(chunk_errors(out, c) for c in plan.chunks if c.name in done)
    window = max(1, workers) * IN_FLIGHT if not isinstance(executor, InlineExecutor) else 1
    bar = progress_bar.bar(total, finished, enabled=progress)
    pending = {}
    queue = list(reversed(todo))
    try:
        tally.advance(done)
        while queue or pending:
            while queue and len(pending) < window:
                chunk = queue.pop()
                pending[executor.submit(run_chunk, _task(plan, chunk, render, fans))] = chunk
            ready, _ = wait(list(pending), return_when=FIRST_COMPLETED)
            for future in ready:
                del pending[future]
                result = future.result()
                if out is not None:
                    write_chunk(out, plan, result)
                tally.finished(result)
                errors += result.errors
                bar.update(result.chunk.stop - result.chunk.start)
                tally.advance(done)
    except BaseException:
        for f in pending:
            f.cancel()
        raise
    finally:
        bar.close()
    summary, results = tally.close()
    outcome = BatchOutcome(out=out, runs=total, computed=total - finished, reused=finished,
                           errors=errors, seconds=0.0, results=results, summary=summary)  # fmt: skip
    if out is not None:
        names = [c.name for c in plan.chunks]
        if format == "csv":
            write_csv_tables(out, names, tally.read, tally.rendered, tally.span(), summary)
        else:  # chunk by chunk too: one chunk's frames in memory at a time
            write_parquet_tables(out, names, tally.read, TABLES, [p.values for p in plan.points],
                                 plan.swept, tally.span())  # fmt: skip
        write_arrays(out, [chunk_file(out, c) for c in plan.chunks])
        write_json(out / SUMMARY, summary.to_dict(), indent=None)  # for the program only
        outcome.manifest = batch_manifest(plan, outcome, out)  # written by run_batch, last
    outcome.seconds = time.perf_counter() - began
    return outcome


def _finished(out: Path, total: int, keep: bool, began: float, extra: list[int]) -> BatchOutcome:
    """A finished batch read back: its summary.json (or, for a folder written before
    there was one, its results), and its results when kept (or when the fans of the
    `extra` points are not in summary.json)."""
    summary = None
    if is_regular(out / SUMMARY):
        saved = json.loads(read_regular(out / SUMMARY, None))
        summary = Summary.from_dict(saved)  # (damaged: raises, and all is computed again)
        if "support_sums" not in saved:  # written before the score's tallies: tally again
            summary = None
    results = None
    lacking = [p for p in extra if summary is not None and p not in summary.fans]
    if keep or summary is None or lacking:
        if not (is_regular(out / "results.npz") and is_regular(out / "trajectories.npz")):
            raise ValueError("results.npz or trajectories.npz is not a regular file")
        results = Results.load(out)
    if summary is not None and lacking:
        summary.add_fans(results, [p for p in lacking if p in summary.appointed])
    summary = summary or Summary.of(results)
    meta = json.loads(read_regular(out / "manifest.json", None))
    return BatchOutcome(out, total, 0, total, summary.failed, time.perf_counter() - began,
                        results if keep else None, summary, meta)  # fmt: skip


class _Tally:
    """The chunks' tallies added in plan order (so that ties break as on the whole batch),
    the chunks kept in memory if asked, and what the merge needs to know of each chunk."""

    def __init__(self, plan: Plan, out: Path | None, keep: bool, fans: bool, extra: list[int]):
        self.plan, self.out, self.keep, self.fans, self.extra = plan, out, keep, fans, extra
        self.chunks = plan.chunks  # (a property that builds the list)
        self.by_name = {c.name: c for c in self.chunks}
        self.next = 0  # the first chunk of the plan not yet added
        self.waiting: dict[str, ChunkResult] = {}  # finished out of order
        self.summary: Summary | None = None
        self.parts: dict[str, Results] = {}
        self.rounds: dict[str, int] = {}  # chunk -> support_rounds
        self.members: set[str] = set()  # chunks whose table members are under chunks/
        self._span: int | None = None

    def finished(self, result: ChunkResult) -> None:
        name = result.chunk.name
        self.rounds[name] = result.support_rounds
        if result.tables is not None and self.out is not None:
            for t, data in result.tables.items():
                write_atomic(self.out / "chunks" / f"{name}.{t}.gz", data)
            self.members.add(name)
        if self.keep:
            self.parts[name] = result.results
        result.results = None  # the tally is what stays
        result.tables = None
        self.waiting[name] = result

    def advance(self, done: set[str]) -> None:
        """Add every chunk that is next in plan order and ready (finished, or done before)."""
        chunks = self.chunks
        while self.next < len(chunks):
            chunk = chunks[self.next]
            if chunk.name in self.waiting:
                part = self.waiting.pop(chunk.name).summary
            elif chunk.name in done:
                results = read_chunk(self.out, chunk)
                self.rounds[chunk.name] = results.support_rounds()
                if self.keep:
                    self.parts[chunk.name] = results
                part = Summary.of(results, fans=self.fans)
            else:
                return
            self.summary = part if self.summary is None else self.summary.add(part)
            self.next += 1

    def close(self) -> tuple[Summary, Results | None]:
        """The batch's summary (with the fans of the points shown) and, if kept, results."""
        results = None
        if self.keep:
            results = Results.concat([self.parts[c.name] for c in self.chunks])
        shown = dict.fromkeys([*self.summary.fan_points(), *self.extra])
        need = [p for p in shown if p not in self.summary.fans and p in self.summary.appointed]
        if need and results is not None:
            self.summary.add_fans(results, need)
        elif need:  # read back only the chunks that hold those points
            for chunk in self.chunks:
                mine = [p for p, _, _ in chunk.pieces() if p in need]
                if mine:
                    self.summary.add_fans(read_chunk(self.out, chunk), mine)
        return self.summary, results

    def span(self) -> int:
        """The rounds the batch's support rows span (once every chunk is in)."""
        if self._span is None:
            self._span = max(self.rounds.values())
        return self._span

    def read(self, name: str) -> Results:
        if name in self.parts:
            return self.parts[name]
        return read_chunk(self.out, self.by_name[name])

    def rendered(self, name: str, table: str) -> Path | None:
        """The chunk's worker-rendered member of `table`, if it can be used as it is."""
        if name not in self.members or (table == "support" and self.rounds[name] != self.span()):
            return None
        return self.out / "chunks" / f"{name}.{table}.gz"


def _task(plan: Plan, chunk, render: bool = False, fans: bool = True) -> ChunkTask:
    scenarios = {}
    for point, _, _ in chunk.pieces():
        p = plan.points[point]
        scenarios[point] = (p.scenario, p.digest)
    return ChunkTask(chunk, scenarios, plan.seed, plan.runs, [p.values for p in plan.points],
                     plan.swept, render, fans)  # fmt: skip


def batch_manifest(plan: Plan, outcome: BatchOutcome, out: Path | None = None) -> dict:
    """manifest.json of a batch: what produced it and how it went.

    `command` is the one that began the batch; a batch finished by another (a `--resume`)
    names that one too, as `resumed_with`."""
    began, now = (recorded_command(out), command_line()) if out is not None else (None, None)
    resumed = {"command": began, "resumed_with": now} if began and began != now else {}
    return manifest(
        outcome.summary,
        plan.points[0].digest,
        plan.scenario_path,
        **resumed,
        runs_per_point=plan.runs,
        points=len(plan.points),
        swept=plan.swept,
        overrides=plan.overrides,
        errors=outcome.errors,
    )
