"""One chunk of a batch, simulated in a worker and returned as a `Results`."""

import time
from dataclasses import dataclass

from sim.batching.plan import Chunk, replication_seeds
from sim.engine.loop import simulate
from sim.engine.world import World, build_world
from sim.results.results import Results
from sim.results.summary import Summary
from sim.results.tables import TABLES, gzip_member, table_body
from sim.scenario.schema import Scenario


@dataclass
class ChunkTask:
    """What a worker needs to run one chunk (small to send: the scenario, not its world)."""

    chunk: Chunk
    scenarios: dict[int, tuple[Scenario, str]]  # point -> scenario and its digest, for the
    # chunk's points (a worker builds each point's world once)
    seed: int
    runs_per_point: int
    points: list[dict]
    swept: list[str]
    render: bool = False  # also render the CSV tables' rows, gzip-compressed (`tables`)
    fans: bool = True  # tally supporters by round too (the fan chart of every point is drawn)


@dataclass
class ChunkResult:
    """A finished chunk: its replications' results, how many failed, how long it took."""

    chunk: Chunk
    results: Results
    errors: int
    seconds: float
    tables: dict[str, bytes] | None = None  # table -> its rows as one gzip member
    support_rounds: int = 0  # the rounds the support rows span (`Results.support_rounds`)
    summary: Summary | None = None  # the chunk's tally for the report


_WORLDS: dict[str, World] = {}


def world_for(scenario: Scenario, key: str) -> World:
    """The compiled scenario, built once per process (`key` is its digest)."""
    if key not in _WORLDS:
        _WORLDS.clear()  # a worker serves one point at a time, mostly
        _WORLDS[key] = build_world(scenario)
    return _WORLDS[key]


def run_chunk(task: ChunkTask) -> ChunkResult:
    """Simulate one chunk's replications, point by point; isolate any that raise and go on."""
    began = time.perf_counter()
    describe = {"points": task.points, "swept": task.swept, "seed": task.seed,
                "runs_per_point": task.runs_per_point}  # fmt: skip
    parts, errors = [], 0
    for point, start, stop in task.chunk.pieces():
        world = world_for(*task.scenarios[point])
        seeds = replication_seeds(task.seed, point, start, stop)
        runs = [point * task.runs_per_point + k for k in range(start, stop)]
        try:
            parts.append(
                Results.from_history(simulate(world, seeds), runs, seeds, point, **describe)
            )
        except Exception:
            for run, s in zip(runs, seeds, strict=True):  # find the replications that fail
                try:
                    history = simulate(world, [s])
                    parts.append(Results.from_history(history, [run], [s], point, **describe))
                except Exception as exc:
                    error = f"{type(exc).__name__}: {exc}"
                    parts.append(Results.failed(world, [run], [s], point, error, **describe))
                    errors += 1
    results = parts[0] if len(parts) == 1 else Results.concat(parts)
    tables = None
    if task.render:  # here, in the worker, rather than all in the parent after the merge
        tables = {t: gzip_member(table_body(results, t)) for t in TABLES}
    summary = Summary.of(results, fans=task.fans)  # here too, not in the parent
    return ChunkResult(task.chunk, results, errors, time.perf_counter() - began, tables,
                       results.support_rounds(), summary)  # fmt: skip
