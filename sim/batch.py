"""Replications and sweeps: seeds, executors, chunked crash-safe writing, resume.

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

import hashlib
import io
import itertools
import json
import shutil
import time
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sim import __version__
from sim.errors import Problem, ScenarioError
from sim.history import simulate
from sim.results import (
    DECLARATIONS_COLUMNS,
    RUNS_COLUMNS,
    SUPPORT_COLUMNS,
    csv_text,
    declaration_rows,
    plain_csv_text,
    run_rows,
    support_counts,
    support_rows,
    write_atomic,
    write_json,
)
from sim.scenario import load_scenario, scenario_digest
from sim.schema import Scenario, Span, Sweep
from sim.world import build_world
from sim.yamlfile import load_located, where_of

ARRAYS = ("supporters", "capability_share", "objectors", "undecided")


def replication_seed(seed: int, point: int, rep: int) -> int:
    """The seed of one replication: a SeedSequence child of (batch seed, point, replication).

    `coalition-sim run --seed <this>` replays that replication alone.
    """
    child = np.random.SeedSequence(seed, spawn_key=(point, rep))
    return int(child.generate_state(1, dtype=np.uint64)[0])


# --- the plan ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Point:
    """One sweep point: the values it sets and the scenario they give."""

    index: int
    values: dict[str, Any]
    scenario: Scenario


@dataclass(frozen=True)
class Chunk:
    """Replications [start, stop) of one point: the unit of work and of writing."""

    point: int
    start: int
    stop: int

    @property
    def name(self) -> str:
        return f"p{self.point:04d}-r{self.start:09d}"


@dataclass
class Plan:
    """Everything that defines a batch; its `key` says whether two batches are the same."""

    scenario_path: str
    overrides: list[str]
    points: list[Point]
    runs: int
    seed: int
    chunk: int
    swept: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.points[0].scenario.name

    @property
    def chunks(self) -> list[Chunk]:
        return [
            Chunk(p.index, a, min(a + self.chunk, self.runs))
            for p in self.points
            for a in range(0, self.runs, self.chunk)
        ]

    @property
    def total_runs(self) -> int:
        return self.runs * len(self.points)

    @property
    def key(self) -> str:
        ident = {
            "points": [[p.values, scenario_digest(p.scenario)] for p in self.points],
            "runs": self.runs,
            "seed": self.seed,
            "chunk": self.chunk,
            "version": __version__,
        }
        return hashlib.sha256(json.dumps(ident, sort_keys=True, default=str).encode()).hexdigest()

    @property
    def runs_columns(self) -> list[str]:
        return [*RUNS_COLUMNS[:2], "point", *self.swept, *RUNS_COLUMNS[2:], "error"]

    def describe(self) -> dict:
        return {
            "key": self.key,
            "scenario": self.name,
            "scenario_path": self.scenario_path,
            "overrides": self.overrides,
            "runs_per_point": self.runs,
            "seed": self.seed,
            "chunk": self.chunk,
            "swept": self.swept,
            "points": [
                {
                    "point": p.index,
                    "values": p.values,
                    "scenario_sha256": scenario_digest(p.scenario),
                }
                for p in self.points
            ],
        }


def plan_batch(
    path: str | Path,
    overrides: list[str] | None = None,
    runs: int | None = None,
    seed: int | None = None,
    chunk: int | None = None,
    sweeps: list[str] | None = None,
) -> Plan:
    """Load the scenario and every sweep point (all checked before anything runs)."""
    overrides = list(overrides or [])
    base = load_scenario(path, overrides)
    settings = base.batch
    sweep = _cli_sweep(sweeps) if sweeps else settings.sweep
    seed = settings.seed if seed is None else seed
    values = design_points(sweep, seed) if sweep else [{}]
    points = []
    for index, point in enumerate(values):
        sets = [f"{k}={json.dumps(v)}" for k, v in point.items()]
        try:
            scenario = load_scenario(path, [*overrides, *sets]) if sets else base
        except ScenarioError as exc:
            raise _sweep_error(path, exc, from_cli=bool(sweeps)) from None
        points.append(Point(index, point, scenario))
    return Plan(
        scenario_path=str(path),
        overrides=overrides,
        points=points,
        runs=runs or settings.replications,
        seed=seed,
        chunk=chunk or settings.chunk,
        swept=list(values[0]),
    )


def design_points(sweep: Sweep, seed: int) -> list[dict[str, Any]]:
    """The sweep's points in a fixed order: a grid's product, or an LHS or Sobol sample."""
    keys = list(sweep.params)
    if sweep.design == "grid":
        axes = []
        for spec in sweep.params.values():
            if isinstance(spec, Span):
                axes.append([float(v) for v in np.linspace(spec.min, spec.max, spec.num)])
            else:
                axes.append(list(spec))
        return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*axes)]
    from scipy.stats import qmc

    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(2**32 - 1,)))
    if sweep.design == "lhs":
        unit = qmc.LatinHypercube(d=len(keys), rng=rng).random(sweep.samples)
    else:
        unit = qmc.Sobol(d=len(keys), rng=rng).random_base2(int(np.log2(sweep.samples)))
    lo = np.array([sweep.params[k].min for k in keys])
    hi = np.array([sweep.params[k].max for k in keys])
    values = qmc.scale(unit, lo, hi) if (hi > lo).all() else lo + unit * (hi - lo)
    return [dict(zip(keys, map(float, row), strict=True)) for row in values]


def _cli_sweep(texts: list[str]) -> Sweep:
    """`--sweep parameters.noise=0.1,0.2,0.4` (repeatable) as a grid."""
    params = {}
    for text in texts:
        key, _, raw = text.partition("=")
        if not raw:
            raise ScenarioError([Problem(f"--sweep {text}", None, "", "expected key=v1,v2,...")])
        params[key.strip()] = [_scalar(v) for v in raw.split(",")]
    return Sweep(design="grid", params=params)


def _scalar(text: str):
    import yaml

    try:
        return yaml.safe_load(text)
    except (yaml.YAMLError, ValueError):
        return text


def _sweep_error(path, exc: ScenarioError, from_cli: bool) -> ScenarioError:
    """Point a problem found while applying a sweep value at the sweep that set it."""
    if from_cli:
        return ScenarioError(
            [
                Problem(p.file.replace("--set", "--sweep", 1), p.line, p.path, p.message)
                for p in exc.problems
            ]
        )
    try:
        data = load_located(Path(path))
    except ScenarioError:
        data = None
    problems = []
    for p in exc.problems:
        if p.file.startswith("--set "):
            key = p.file.removeprefix("--set ").split("=", 1)[0]
            where = where_of(data, ("batch", "sweep", "params", key)) if data else None
            file, line = where or (str(path), None)
            problems.append(Problem(file, line, f"batch.sweep.params.{key}", p.message))
        else:
            problems.append(p)
    return ScenarioError(problems)


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


def _world(scenario: Scenario):
    """The compiled scenario, built once per worker process."""
    key = scenario_digest(scenario)
    if key not in _WORLDS:
        _WORLDS.clear()  # a worker serves one point at a time, mostly
        _WORLDS[key] = build_world(scenario)
    return _WORLDS[key]


def run_chunk(task: tuple[Chunk, Scenario, int, int, list]) -> ChunkResult:
    """Simulate one chunk's replications together; isolate any that raise and go on."""
    chunk, scenario, seed, runs_per_point, extra = task
    began = time.perf_counter()
    world = _world(scenario)
    reps = range(chunk.start, chunk.stop)
    seeds = [replication_seed(seed, chunk.point, k) for k in reps]
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
    runs_rows, support, declarations = [], [], []
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
        support += support_rows(history, run_ids, counts)
        declarations += declaration_rows(history, run_ids)
        for name in ARRAYS:
            arrays[name].append(counts[name])
    return ChunkResult(
        chunk=chunk,
        runs_csv=_rows_text(runs_rows),
        support_csv=plain_csv_text(support),
        declarations_csv=plain_csv_text(declarations),
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


# --- executors -----------------------------------------------------------------------------


class InlineExecutor(Executor):
    """Runs each task at once in this process (one worker, no pool to start)."""

    def submit(self, fn, /, *args, **kwargs) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # handed to the caller through the future
            future.set_exception(exc)
        return future


def make_executor(kind: str, workers: int, scheduler: str | None = None):
    """An Executor and the function that shuts it down."""
    if kind == "dask":
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise ScenarioError(
                [
                    Problem(
                        "--executor dask",
                        None,
                        "",
                        "needs the `cluster` extra: pip install -e '.[cluster]'",
                    )
                ]
            ) from None
        if scheduler:
            client = Client(scheduler)
            return client.get_executor(), client.close
        cluster = LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
        )
        client = Client(cluster)

        def close():
            client.close()
            cluster.close()

        return client.get_executor(), close
    if workers <= 1:
        return InlineExecutor(), lambda: None
    import multiprocessing
    import os

    # One BLAS thread per worker: the workers are the parallelism, and oversubscribed
    # threads slow every worker down. Workers inherit this environment.
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    # forkserver, not fork: forking a process that has threads can deadlock.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["sim.batch"])
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context)
    return pool, lambda: pool.shutdown(wait=True, cancel_futures=True)


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
    info = json.loads((Path(out) / "batch.json").read_text())
    values = info["points"][point]["values"]
    sets = [*info["overrides"], *(f"{k}={json.dumps(v)}" for k, v in values.items())]
    return build_world(load_scenario(info["scenario_path"], sets))


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
    """Run the chunks not yet done, writing each as it finishes; then merge the tables."""
    began = time.perf_counter()
    prepare_folder(out, plan)
    done = done_chunks(out, plan)
    todo = [c for c in plan.chunks if c.name not in done]
    extra = {p.index: [p.values[k] for k in plan.swept] for p in plan.points}
    total = plan.total_runs
    finished = total - sum(c.stop - c.start for c in todo)
    if progress:
        progress.start(total, finished)
    errors = 0
    futures = {
        executor.submit(
            run_chunk, (c, plan.points[c.point].scenario, plan.seed, plan.runs, extra[c.point])
        ): c
        for c in todo
    }
    try:
        for future in as_completed(futures):
            result = future.result()
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
    return BatchOutcome(
        out=out,
        runs=total,
        computed=sum(c.stop - c.start for c in todo),
        reused=total - sum(c.stop - c.start for c in todo),
        errors=errors,
        seconds=time.perf_counter() - began,
    )


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
