"""One chunk of a batch, simulated in a worker: its tables as text and its trajectory arrays."""

import time
from dataclasses import dataclass

import numpy as np

from sim.batching.plan import Chunk, replication_seeds
from sim.engine.loop import simulate
from sim.engine.world import build_world
from sim.results.files import csv_text
from sim.results.tables import (
    RUNS_COLUMNS,
    declarations_text,
    run_rows,
    support_counts,
    support_text,
)
from sim.scenario.schema import Scenario

ARRAYS = ("supporters", "capability_share", "objectors", "undecided")


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
