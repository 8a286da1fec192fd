"""Running a batch: chunks on an executor, crash-safe writing, resume, merging.

A batch is a list of sweep points, each run for `runs` replications. Replications
are cut into chunks; a chunk runs vectorised (`history.simulate`) on any
`concurrent.futures.Executor` and comes back as finished table text, which this
process writes under temporary names and renames when whole, marking the chunk
done last. A rerun of the same batch into the same folder reuses every chunk
marked done, so a killed batch resumes where it stopped and an unchanged batch
recomputes nothing. Results never depend on the number of workers or on chunking:
each replication draws from its own seed, derived from (batch seed, point,
replication) by `numpy.random.SeedSequence`.
"""

import io
import json
import shutil
import sys
import time
from concurrent.futures import Executor, as_completed
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from sim import __version__
from sim.errors import Problem, ScenarioError
from sim.executors import InlineExecutor, make_executor
from sim.history import simulate
from sim.plan import Chunk, Plan, Point, plan_batch, replication_seed, replication_seeds
from sim.results import (
    DECLARATIONS_COLUMNS,
    RUNS_COLUMNS,
    SUPPORT_COLUMNS,
    csv_text,
    declarations_text,
    run_rows,
    support_counts,
    support_text,
    write_atomic,
    write_json,
)
from sim.scenario import scenario_digest
from sim.schema import Scenario
from sim.world import build_world

# Re-exported: the batch runner's public face.
__all__ = [
    "Chunk", "InlineExecutor", "Plan", "Point", "make_executor", "plan_batch",
    "replication_seed", "run_batch", "run_chunk",
]  # fmt: skip

ARRAYS = ("supporters", "capability_share", "objectors", "undecided")


# --- one chunk (runs in a worker) ----------------------------------------------------------


@dataclass
class ChunkResult:
    """A finished chunk: its tables as CSV text (no header) and its trajectory arrays."""

    chunk: Chunk
    runs_csv: str
    support_csv: str
    declarations_csv: str
    arrays: dict[str, np.ndarray]
    errors: int
    seconds: float


_WORLDS: dict[str, object] = {}


def _world(scenario: Scenario, key: str):
    """The compiled scenario, built once per worker process (`key` is its digest)."""
    if key not in _WORLDS:
        _WORLDS.clear()  # a worker serves one point at a time, mostly
        _WORLDS[key] = build_world(scenario)
    return _WORLDS[key]


def run_chunk(task: tuple[Chunk, Scenario, str, int, int, list]) -> ChunkResult:
    """Simulate one chunk's replications together; isolate any that raise and go on."""
    chunk, scenario, digest, seed, runs_per_point, extra = task
    began = time.perf_counter()
    world = _world(scenario, digest)
    reps = range(chunk.start, chunk.stop)
    seeds = replication_seeds(seed, chunk.point, chunk.start, chunk.stop)
    runs = [chunk.point * runs_per_point + k for k in reps]
    try:
        pieces = [(simulate(world, seeds), runs, seeds, None)]
    except Exception:
        pieces = []
        for run, s in zip(runs, seeds, strict=True):  # find the replications that fail
            try:
                pieces.append((simulate(world, [s]), [run], [s], None))
            except Exception as exc:
                pieces.append((None, [run], [s], f"{type(exc).__name__}: {exc}"))
    runs_rows, support, declarations = [], "", ""
    arrays = {name: [] for name in ARRAYS}
    for history, run_ids, run_seeds, error in pieces:
        if history is None:
            blank = [""] * (len(RUNS_COLUMNS) - 2)
            runs_rows.append([run_ids[0], run_seeds[0], chunk.point, *extra, *blank, error])
            empty = support_counts_like(world, 1)
            for name in ARRAYS:
                arrays[name].append(empty[name])
            continue
        counts = support_counts(history)
        for row in run_rows(history, run_ids, run_seeds, extra=[chunk.point, *extra]):
            runs_rows.append([*row, ""])
        support += support_text(history, run_ids, counts)
        declarations += declarations_text(history, run_ids)
        for name in ARRAYS:
            arrays[name].append(counts[name])
    return ChunkResult(
        chunk=chunk,
        runs_csv=_rows_text(runs_rows),
        support_csv=support,
        declarations_csv=declarations,
        arrays={name: np.concatenate(parts) for name, parts in arrays.items()},
        errors=sum(1 for *_, error in pieces if error),
        seconds=time.perf_counter() - began,
    )


def support_counts_like(world, reps: int) -> dict[str, np.ndarray]:
    """Trajectory arrays of a failed replication: all -1, so plots can leave it out."""
    rounds, c = world.n_rounds + 1, len(world.candidates)
    return {
        "supporters": np.full((reps, rounds, c), -1, dtype=np.int16),
        "capability_share": np.full((reps, rounds, c), np.nan),
        "objectors": np.full((reps, rounds, c), -1, dtype=np.int16),
        "undecided": np.full((reps, rounds), -1, dtype=np.int16),
    }


def _rows_text(rows) -> str:
    return csv_text([], rows).removeprefix("\n")


# --- writing, resuming, merging ------------------------------------------------------------


class BatchFolderError(ScenarioError):
    """An output folder that holds a different batch."""


def prepare_folder(out: Path, plan: Plan) -> None:
    """Create `out` for this plan, or check that it already belongs to this very batch."""
    recorded = out / "batch.json"
    if recorded.exists():
        key = json.loads(recorded.read_text()).get("key")
        if key != plan.key:
            msg = "holds a different batch (scenario, sweep, runs, seed or chunk differ); choose another --out"
            raise BatchFolderError([Problem(str(out), None, "", msg)])
        return
    if out.exists() and any(out.iterdir()):
        raise BatchFolderError(
            [Problem(str(out), None, "", "is not empty and holds no batch; choose another --out")]
        )
    (out / "chunks").mkdir(parents=True, exist_ok=True)
    # Each point's resolved scenario, so the folder can be read (and any replication
    # replayed) exactly, even after the scenario file changes or from another directory.
    (out / "points").mkdir(exist_ok=True)
    for point in plan.points:
        text = point.scenario.model_dump_json(by_alias=True, indent=1)
        write_atomic(out / "points" / f"p{point.index:04d}.json", text)
    write_json(recorded, plan.describe())


def done_chunks(out: Path, plan: Plan) -> set[str]:
    """Names of chunks whose files are complete (their `.done` marker is written last)."""
    done = set()
    for chunk in plan.chunks:
        marker = out / "chunks" / f"{chunk.name}.done"
        if marker.exists() and json.loads(marker.read_text()).get("key") == plan.key:
            done.add(chunk.name)
    return done


def write_chunk(out: Path, plan: Plan, result: ChunkResult) -> None:
    """Write a chunk's files, each atomically, and then its marker."""
    base = out / "chunks" / result.chunk.name
    write_atomic(base.with_suffix(".runs.csv"), result.runs_csv)
    write_atomic(base.with_suffix(".support.csv"), result.support_csv)
    write_atomic(base.with_suffix(".declarations.csv"), result.declarations_csv)
    buf = io.BytesIO()
    np.savez(buf, **result.arrays)
    write_atomic(base.with_suffix(".npz"), buf.getvalue())
    marker = {"key": plan.key, "runs": result.chunk.stop - result.chunk.start,
              "errors": result.errors, "seconds": round(result.seconds, 4)}  # fmt: skip
    write_atomic(base.with_suffix(".done"), json.dumps(marker))


def merge(out: Path, plan: Plan) -> None:
    """Join the chunks, in order, into the batch's tables and trajectory arrays."""
    for table, columns in (
        ("runs", plan.runs_columns),
        ("support", SUPPORT_COLUMNS),
        ("declarations", DECLARATIONS_COLUMNS),
    ):
        target = out / f"{table}.csv"
        tmp = target.with_name(target.name + ".tmp")
        with tmp.open("w", encoding="utf-8", newline="") as fh:
            fh.write(",".join(columns) + "\n")
            for chunk in plan.chunks:
                with (out / "chunks" / f"{chunk.name}.{table}.csv").open(encoding="utf-8") as part:
                    shutil.copyfileobj(part, fh)
        tmp.replace(target)
    arrays = {}
    for point in plan.points:
        parts = [
            np.load(out / "chunks" / f"{c.name}.npz") for c in plan.chunks if c.point == point.index
        ]
        for name in ARRAYS:
            arrays[f"p{point.index}_{name}"] = np.concatenate([p[name] for p in parts])
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    write_atomic(out / "trajectories.npz", buf.getvalue())


def load_trajectories(out: Path, point: int = 0) -> dict[str, np.ndarray]:
    """A point's (R, T+1, C) supporters, capability_share, objectors and (R, T+1) undecided."""
    with np.load(Path(out) / "trajectories.npz") as data:
        return {name: data[f"p{point}_{name}"] for name in ARRAYS}


def point_world(out: Path, point: int = 0):
    """The World a point of a finished batch ran on (to replay one replication, say)."""
    text = (Path(out) / "points" / f"p{point:04d}.json").read_text()
    return build_world(Scenario.model_validate_json(text))


# --- running -------------------------------------------------------------------------------


@dataclass
class BatchOutcome:
    """What a batch call did."""

    out: Path
    runs: int
    computed: int
    reused: int
    errors: int
    seconds: float


def run_batch(
    plan: Plan,
    out: Path,
    executor: Executor,
    progress=None,
) -> BatchOutcome:
    """Run the chunks not yet done, writing each as it finishes; merge; write the manifest."""
    began = time.perf_counter()
    prepare_folder(out, plan)
    done = done_chunks(out, plan)
    todo = [c for c in plan.chunks if c.name not in done]
    extra = {p.index: [p.values[k] for k in plan.swept] for p in plan.points}
    scenarios = {p.index: (p.scenario, scenario_digest(p.scenario)) for p in plan.points}
    total = plan.total_runs
    finished = total - sum(c.stop - c.start for c in todo)
    if progress:
        progress.start(total, finished)
    errors = 0
    futures = {
        executor.submit(
            run_chunk, (c, *scenarios[c.point], plan.seed, plan.runs, extra[c.point])
        ): c
        for c in todo
    }
    try:
        for future in as_completed(list(futures)):
            result = future.result()
            del futures[future]  # drop the finished chunk, so a long batch streams to disk
            write_chunk(out, plan, result)
            errors += result.errors
            finished += result.chunk.stop - result.chunk.start
            if progress:
                progress.update(finished)
    except BaseException:
        for f in futures:
            f.cancel()
        raise
    merge(out, plan)
    for c in plan.chunks:
        if c.name in done:
            errors += json.loads((out / "chunks" / f"{c.name}.done").read_text()).get("errors", 0)
    outcome = BatchOutcome(
        out=out,
        runs=total,
        computed=sum(c.stop - c.start for c in todo),
        reused=total - sum(c.stop - c.start for c in todo),
        errors=errors,
        seconds=time.perf_counter() - began,
    )
    # The manifest goes last: its presence says the folder is complete.
    created = datetime.now(UTC).isoformat(timespec="seconds")
    command = " ".join(["coalition-sim", *sys.argv[1:]])
    write_json(out / "manifest.json", batch_manifest(plan, outcome, command, created))
    return outcome


def batch_manifest(plan: Plan, outcome: BatchOutcome, command: str, created: str) -> dict:
    """manifest.json of a batch: what produced it and how it went."""
    return {
        "scenario": plan.name,
        "scenario_path": plan.scenario_path,
        "scenario_sha256": scenario_digest(plan.points[0].scenario),
        "package_version": __version__,
        "seed": plan.seed,
        "runs": outcome.runs,
        "runs_per_point": plan.runs,
        "points": len(plan.points),
        "swept": plan.swept,
        "overrides": plan.overrides,
        "errors": outcome.errors,
        "command": command,
        "created": created,
    }
