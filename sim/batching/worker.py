"""One chunk of a batch, simulated in a worker and returned as a `Results`."""

import time
from dataclasses import dataclass, replace

import numpy as np

from sim.batching.plan import Chunk, pieces_seeds, replication_seeds
from sim.engine.history import History
from sim.engine.loop import simulate
from sim.engine.world import World, build_world, reparameterised, stack_worlds, stackable
from sim.results.results import Results, support_cube
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
STACK_POINTS = 256  # the most points one vectorised call stacks (their worlds are kept)


def world_for(scenario: Scenario, key: str) -> World:
    """The compiled scenario, built once per process (`key` is its digest)."""
    if key not in _WORLDS:
        _WORLDS.clear()  # a worker serves one point at a time, mostly
        _WORLDS[key] = build_world(scenario)
    return _WORLDS[key]


@dataclass
class _Piece:
    """One point's share of a chunk, with its world."""

    point: int
    start: int
    stop: int
    world: World


def _groups(task: ChunkTask) -> list[list[_Piece]]:
    """The chunk's pieces in order, consecutive ones that can share a call grouped."""
    pieces = task.chunk.pieces()
    if len(pieces) == 1:
        point, start, stop = pieces[0]
        return [[_Piece(point, start, stop, world_for(*task.scenarios[point]))]]
    built: dict[str, World] = {}
    groups: list[list[_Piece]] = []
    first = None  # the first world compiled; a point that sets only parameters reuses it
    for point, start, stop in pieces:
        scenario, key = task.scenarios[point]
        if key not in built:
            again = reparameterised(first, scenario) if first is not None else None
            built[key] = again or build_world(scenario)
            first = first or built[key]
        piece = _Piece(point, start, stop, built[key])
        last = groups[-1] if groups else None
        if last and len(last) < STACK_POINTS and stackable(last[0].world, piece.world):
            last.append(piece)
        else:
            groups.append([piece])
    return groups


def _runs(task: ChunkTask, piece: _Piece) -> tuple[list[int], list[int]]:
    seeds = replication_seeds(task.seed, piece.point, piece.start, piece.stop)
    runs = [piece.point * task.runs_per_point + k for k in range(piece.start, piece.stop)]
    return runs, seeds


def _stacked(task: ChunkTask, group: list[_Piece], describe: dict) -> Results:
    """One call for a group of stackable points, as one `Results` whose rows read as each
    point's own call gives them (the same tables, byte for byte, as one per point)."""
    seeds = pieces_seeds(task.seed, [(p.point, p.start, p.stop) for p in group])
    sizes = np.array([p.stop - p.start for p in group])
    runs = np.concatenate([np.arange(p.point * task.runs_per_point + p.start,
                                     p.point * task.runs_per_point + p.stop) for p in group])  # fmt: skip
    index = np.repeat(np.arange(len(group)), sizes)
    history = simulate(stack_worlds([p.world for p in group]), seeds, index)
    # The rounds each point's own history records: up to the last round its replications
    # played (`point_history`), each row with its own point's.
    f, world = history.final, history.world
    last = np.where(f.appointed_round >= 0, f.appointed_round, world.n_rounds)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    rounds = np.minimum(len(history.stance), 1 + np.maximum.reduceat(last, starts))
    played = np.repeat(rounds, sizes)
    # The support cube of the whole call at once, each row as its own point's history counts
    # it: that point's capability, and only the rounds its replications played.
    units = np.stack([p.world.capability_units for p in group])[index]
    cube = support_cube(history, units, played)
    points = np.repeat([p.point for p in group], sizes)
    return Results.from_history(history, runs, seeds, points, cube=cube, played=played,
                                **describe)  # fmt: skip


def point_history(history: History, world: World, rows: "np.ndarray | slice") -> History:
    """The history of some replications of a stacked call, as their point's world alone
    records it: its own world, and only the rounds its replications played. With `rows` a
    slice, the per-round arrays are views of the call's (nothing writes into them)."""
    final = history.final.take(
        np.arange(rows.start, rows.stop) if isinstance(rows, slice) else rows
    )
    last = np.where(final.appointed_round >= 0, final.appointed_round, world.n_rounds)
    rounds = min(len(history.stance), 1 + int(last.max())) if len(final.appointed) else 1
    m = world.max_offers  # the point's own offer log (a stacked one may be longer)
    final = replace(final, **{f: getattr(final, f)[:, :m] for f in _OFFER_LOG})
    part = History(world)
    for name in History.PER_ROUND:
        setattr(part, name, [x[rows] for x in getattr(history, name)[:rounds]])
    part.final = final
    return part


_OFFER_LOG = ("offer_round", "offer_by", "offer_to", "offer_for", "offer_size")


def _alone(task: ChunkTask, piece: _Piece, describe: dict) -> tuple[list[Results], int]:
    """One point's call; if it raises, each replication alone, failures recorded."""
    world, point = piece.world, piece.point
    runs, seeds = _runs(task, piece)
    try:
        history = simulate(world, seeds)
        return [Results.from_history(history, runs, seeds, point, **describe)], 0
    except Exception:
        parts, errors = [], 0
        for run, s in zip(runs, seeds, strict=True):  # find the replications that fail
            try:
                history = simulate(world, [s])
                parts.append(Results.from_history(history, [run], [s], point, **describe))
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"
                parts.append(Results.failed(world, [run], [s], point, error, **describe))
                errors += 1
        return parts, errors


def run_chunk(task: ChunkTask) -> ChunkResult:
    """Simulate one chunk's replications; isolate any that raise and go on.

    Points whose worlds differ only in values read per replication (parameters, rule
    values, capability, salience) share one vectorised call (`stack_worlds`); each
    replication plays exactly as it does in its own point's world."""
    began = time.perf_counter()
    describe = {"points": task.points, "swept": task.swept, "seed": task.seed,
                "runs_per_point": task.runs_per_point}  # fmt: skip
    parts, errors = [], 0
    for group in _groups(task):
        if len(group) > 1:
            try:
                parts.append(_stacked(task, group, describe))
                continue
            except Exception:  # find the point (and replications) that fail, one by one
                pass
        for piece in group:
            got, failed = _alone(task, piece, describe)
            parts.extend(got)
            errors += failed
    results = parts[0] if len(parts) == 1 else Results.concat(parts)
    tables = None
    if task.render:  # here, in the worker, rather than all in the parent after the merge
        tables = {t: gzip_member(table_body(results, t)) for t in TABLES}
    summary = Summary.of(results, fans=task.fans)  # here too, not in the parent
    return ChunkResult(task.chunk, results, errors, time.perf_counter() - began, tables,
                       results.support_rounds(), summary)  # fmt: skip
