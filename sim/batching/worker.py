"""One chunk of a batch, simulated in a worker and returned as a `Results`."""

import time
from dataclasses import dataclass

from sim.batching.plan import Chunk, replication_seeds
from sim.engine.loop import simulate
from sim.engine.world import World, build_world
from sim.results.results import Results
from sim.scenario.schema import Scenario


@dataclass
class ChunkTask:
    """What a worker needs to run one chunk (small to send: the scenario, not its world)."""

    chunk: Chunk
    scenario: Scenario
    digest: str  # of the scenario, so a worker builds each point's world once
    seed: int
    runs_per_point: int
    points: list[dict]
    swept: list[str]


@dataclass
class ChunkResult:
    """A finished chunk: its replications' results, how many failed, how long it took."""

    chunk: Chunk
    results: Results
    errors: int
    seconds: float


_WORLDS: dict[str, World] = {}


def world_for(scenario: Scenario, key: str) -> World:
    """The compiled scenario, built once per process (`key` is its digest)."""
    if key not in _WORLDS:
        _WORLDS.clear()  # a worker serves one point at a time, mostly
        _WORLDS[key] = build_world(scenario)
    return _WORLDS[key]


def run_chunk(task: ChunkTask) -> ChunkResult:
    """Simulate one chunk's replications together; isolate any that raise and go on."""
    chunk = task.chunk
    began = time.perf_counter()
    world = world_for(task.scenario, task.digest)
    seeds = replication_seeds(task.seed, chunk.point, chunk.start, chunk.stop)
    runs = [chunk.point * task.runs_per_point + k for k in range(chunk.start, chunk.stop)]
    describe = {"points": task.points, "swept": task.swept, "seed": task.seed,
                "runs_per_point": task.runs_per_point}  # fmt: skip
    try:
        results = Results.from_history(simulate(world, seeds), runs, seeds, chunk.point, **describe)
        errors = 0
    except Exception:
        parts, errors = [], 0
        for run, s in zip(runs, seeds, strict=True):  # find the replications that fail
            try:
                history = simulate(world, [s])
                parts.append(Results.from_history(history, [run], [s], chunk.point, **describe))
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"
                parts.append(Results.failed(world, [run], [s], chunk.point, error, **describe))
                errors += 1
        results = Results.concat(parts)
    return ChunkResult(chunk, results, errors, time.perf_counter() - began)
