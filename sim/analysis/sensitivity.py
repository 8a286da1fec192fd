"""Which inputs move the outcome: sampling, evaluation with common random numbers, analysis.

Morris screening (elementary effects: mu*, sigma) for many inputs; Saltelli sampling with
Sobol indices (S1, ST with confidence intervals) for a chosen few. Both come from SALib
(the `sensitivity` extra). Every point is simulated with the same replication seeds (those
of a batch's first point), so two points differ by their inputs, not by their luck.

Outputs of a point: P(winner) for each candidate, P(deadlock), and the median appointment
date in days after the start, a deadlocked replication counted one round (the calendar's
`round_days`) after the last, as the scores count it (`sim.evaluate.forecast.deadlock_day`).
"""

import os
import time
from dataclasses import dataclass, field

import numpy as np

from sim.analysis.evaluations import Evaluations
from sim.analysis.inputs import Input, problem_of
from sim.analysis.variant import simulated_value, varied_world
from sim.batching.plan import replication_seeds
from sim.batching.worker import point_history
from sim.engine.history import History
from sim.engine.loop import simulate
from sim.engine.world import World, build_world, stack_worlds, stackable
from sim.errors import Problem, ScenarioError, arg
from sim.evaluate.forecast import deadlock_day
from sim.results.outcomes import quantiles
from sim.scenario.loader import scenario_digest
from sim.scenario.schema import Scenario

DEADLOCK = "deadlock"
MEDIAN_DAYS = "median_days"
POINTS_PER_TASK = 64  # points a worker simulates per task, stacked in one call where they can
# Replication cells (runs x members x options) simulated at once: the stacked state of a task
# is a few hundred bytes a cell, so this bounds a task near 0.5-1 GB whatever the points.
CELLS_PER_TASK = 2**21


def output_names(world: World) -> list[str]:
    """The outputs of a point: p_<candidate> for each, p_deadlock, median_days."""
    return [*(f"p_{c}" for c in world.candidates), f"p_{DEADLOCK}", MEDIAN_DAYS]


def outputs_of(world: World, history: History) -> np.ndarray:
    """(K,) the outputs of one point's replications (see `output_names`)."""
    f = history.final
    runs = len(f.appointed)
    p_win = np.bincount(f.appointed[f.appointed >= 0], minlength=len(world.candidates)) / runs
    days = np.array([(d - world.dates[0]).days for d in world.dates], dtype=float)
    after = float(deadlock_day(world) - world.dates[0].toordinal())  # as the scores count it
    when = np.where(f.appointed >= 0, days[np.maximum(f.appointed_round, 0)], after)
    # The median by the project's one rule (a day that occurred, never a midpoint of two)
    return np.array([*p_win, float((f.appointed < 0).mean()), float(quantiles(when)[2])])


@dataclass(frozen=True)
class Change:
    """What one point does to the scenario: new input values and members' positions."""

    values: tuple[float, ...] = ()  # one per input of the task, in order
    undecided: tuple[str, ...] = ()
    no_grievances: tuple[str, ...] = ()
    no_objections: tuple[str, ...] = ()


@dataclass
class Task:
    """A block of points for one worker (the scenario, not its world: small to send)."""

    scenario: Scenario
    digest: str
    inputs: list[Input]
    changes: list[Change]
    seeds: list[int]


_BASE: dict[str, World] = {}


def base_world(scenario: Scenario, digest: str) -> World:
    if digest not in _BASE:
        _BASE.clear()
        _BASE[digest] = build_world(scenario)
    return _BASE[digest]


def evaluate_task(task: Task) -> np.ndarray:
    """(points, K) outputs of a block of points, each with the task's seeds. Consecutive
    points that differ only in values read per replication share one vectorised call."""
    base = base_world(task.scenario, task.digest)
    groups: list[list[World]] = []
    for ch in task.changes:
        pairs = list(zip((i.field for i in task.inputs), ch.values, strict=True))
        world = varied_world(base, pairs, ch.undecided, ch.no_grievances, ch.no_objections)
        if groups and stackable(groups[-1][0], world):
            groups[-1].append(world)
        else:
            groups.append([world])
    out = []
    for group in groups:
        if len(group) == 1:
            out.append(outputs_of(group[0], simulate(group[0], task.seeds)))
            continue
        index = np.repeat(np.arange(len(group)), len(task.seeds))
        history = simulate(stack_worlds(group), task.seeds * len(group), index)
        for p, world in enumerate(group):
            out.append(outputs_of(world, point_history(history, world, np.flatnonzero(index == p))))
    return np.array(out).reshape(len(task.changes), -1)


def evaluate(
    scenario: Scenario,
    inputs: list[Input],
    changes: list[Change],
    runs: int,
    seed: int,
    workers: int = 1,
    kept: Evaluations | None = None,
    stage: str = "analysis",
) -> np.ndarray:
    """Simulate every point with the same `runs` seeds; (points, K) outputs in order.

    Args:
        scenario: the validated scenario.
        inputs: the inputs each change gives values for.
        changes: the points.
        runs, seed: replications per point and the seed they are drawn from (the seeds of
            point 0 of a batch with this seed, so a batch of one point reproduces a point).
        workers: processes (1: in this process).
        kept: the analysis's checkpoint: the points of `stage` it holds are taken from it,
            and each finished task is added to it.
        stage: which of the analysis's evaluations this is, in `kept`.

    Returns:
        The outputs, one row per change.
    """
    seeds = replication_seeds(seed, 0, 0, runs)
    digest = scenario_digest(scenario)
    rows = kept.rows(stage) if kept else {}
    todo = [k for k in range(len(changes)) if k not in rows]
    size = points_per_task(base_world(scenario, digest), runs, len(todo), workers)
    blocks = [todo[k : k + size] for k in range(0, len(todo), size)]
    tasks = [Task(scenario, digest, inputs, [changes[k] for k in b], seeds) for b in blocks]

    def finished(block: list[int], outputs: np.ndarray) -> None:
        rows.update(zip(block, outputs, strict=True))
        if kept:
            kept.add(stage, block, outputs)

    if workers <= 1 or len(tasks) == 1:
        for block, task in zip(blocks, tasks, strict=True):
            finished(block, evaluate_task(task))
    else:
        from concurrent.futures import as_completed
        from concurrent.futures.process import BrokenProcessPool

        from sim.batching.executors import broken, make_executor

        pool, close = make_executor("process", workers)
        try:
            futures = {pool.submit(evaluate_task, t): b for t, b in zip(tasks, blocks, strict=True)}
            for done in as_completed(futures):  # kept as each ends, not in order
                finished(futures[done], done.result())
        except BrokenProcessPool:  # one line saying why (a script without a main guard, say)
            raise broken(pool, workers) from None
        finally:
            close()
    return np.array([rows[k] for k in range(len(changes))]) if changes else np.zeros((0, 0))


def points_per_task(world: World, runs: int, points: int, workers: int) -> int:
    """How many points one task simulates: as many as fit in CELLS_PER_TASK (all of them,
    in one process, for a small analysis), and no more than POINTS_PER_TASK with several
    workers, so the work spreads over them."""
    cells = runs * len(world.members) * (len(world.candidates) + 1)
    size = min(max(points, 1), max(1, CELLS_PER_TASK // cells))
    return min(size, POINTS_PER_TASK) if workers > 1 else size


def analysis_settings(scenario, inputs, method, runs, seed, trajectories, samples,
                      pivotal) -> dict:  # fmt: skip
    """What an analysis's outputs depend on, for its checkpoint: the scenario as loaded, the
    inputs and their ranges, the sampling, the seeds and the program's version (not the
    workers: a point's outputs do not depend on them)."""
    from sim.version import __version__

    return {"scenario_sha256": scenario_digest(scenario), "method": method,
            "inputs": [[i.key, i.low, i.high] for i in inputs], "runs": runs, "seed": seed,
            "trajectories": trajectories if method == "morris" else 0,
            "samples": samples if method == "sobol" else 0, "pivotal": pivotal,
            "version": __version__}  # fmt: skip


def default_workers(points: int, runs: int) -> int:
    """Every core for a large analysis, one process for a small one."""
    return min(os.cpu_count() or 1, 8) if points * runs >= 20_000 else 1


MORRIS_RESAMPLES, MORRIS_CONF = 100, 0.95  # SALib's defaults for mu*'s bootstrap interval


def morris_indices(inputs: list[Input], X: np.ndarray, y: np.ndarray, levels: int,
                   seed: int) -> tuple[dict[str, np.ndarray], list[int]]:  # fmt: skip
    """Morris mu, mu*, sigma and mu*'s 95% bootstrap interval of one output, per input.

    An elementary effect is the output's change over one step of a trajectory divided by
    the step, in units of the input's range. For a continuous input the step is SALib's
    nominal one and every figure is SALib's (`SALib.analyze.morris.analyze`, the same
    bootstrap draws). A whole-number input is simulated at its sampled value rounded
    (`simulated_value`), so its effect is divided by the step actually taken; a step that
    rounding makes zero is no effect and is left out, and the figures are those of the
    effects left (NaN when none is: an input none of whose steps moved it).

    Returns:
        ({mu, mu_star, sigma, mu_star_conf: (inputs,)}, the number of effects per input).
    """
    from scipy.stats import norm

    d = len(inputs)
    trajectories = len(X) // (d + 1)
    xs = X.reshape(trajectories, d + 1, d)
    ys = y.reshape(trajectories, d + 1)
    delta = levels / (2.0 * (levels - 1))  # SALib's nominal step, in units of the range
    ee = np.empty((d, trajectories))
    taken = np.ones((d, trajectories))  # the step actually taken, in units of the range
    for t in range(trajectories):
        for k in range(d):
            j = int(np.flatnonzero(xs[t, k + 1] != xs[t, k])[0])  # the one input this step moves
            up = xs[t, k + 1, j] > xs[t, k, j]
            lo, hi = (k, k + 1) if up else (k + 1, k)
            ee[j, t] = (ys[t, hi] - ys[t, lo]) / delta
            field, span = inputs[j].field, inputs[j].high - inputs[j].low
            if field.integer:
                moved = simulated_value(field, xs[t, hi, j]) - simulated_value(field, xs[t, lo, j])
                taken[j, t] = moved / span
    # SALib's figures on every input (a continuous input's are SALib's, to the last digit) ...
    from SALib.analyze import morris as morris_analyze

    res = morris_analyze.analyze(problem_of(inputs), X, y, num_resamples=MORRIS_RESAMPLES,
                                 conf_level=MORRIS_CONF, num_levels=levels, seed=seed)  # fmt: skip
    out = {name: np.array(res[name], dtype=float) for name in ("mu", "mu_star", "sigma",
                                                                "mu_star_conf")}  # fmt: skip
    # ... its bootstrap draws (one block an input) passed over, for the intervals below
    rng = np.random.default_rng(seed)
    for _ in range(d):
        rng.integers(trajectories, size=(MORRIS_RESAMPLES, trajectories))
    z = norm.ppf(0.5 + MORRIS_CONF / 2)

    def interval(effects: np.ndarray) -> float:
        pick = rng.integers(len(effects), size=(MORRIS_RESAMPLES, len(effects)))
        return float(z * np.average(np.abs(effects[pick]), axis=1).std(ddof=1))

    counts = [trajectories] * d
    # ... then a whole-number input's from the steps it took, each divided by its own step
    for j, inp in enumerate(inputs):
        if not inp.field.integer:
            continue
        kept = taken[j] > 0
        counts[j] = int(kept.sum())
        effects = (ee[j] * delta)[kept] / taken[j][kept]
        if not len(effects):
            for name in out:
                out[name][j] = np.nan
            continue
        out["mu"][j] = np.average(effects)
        out["mu_star"][j] = np.average(np.abs(effects))
        out["sigma"][j] = np.std(effects, ddof=1) if len(effects) > 1 else np.nan
        out["mu_star_conf"][j] = interval(effects)
    return out, counts


@dataclass
class Sensitivity:
    """What a sensitivity analysis found.

    `table` has one row per input and output: input, kind, member, base, low, high, output,
    and mu, mu_star, sigma, mu_star_conf (Morris) or S1, S1_conf, ST, ST_conf (Sobol),
    with `rank` (1 = the input that moves that output most)."""

    scenario: str
    method: str
    inputs: list[Input]
    outputs: list[str]
    X: np.ndarray  # (points, D) the sampled inputs
    Y: np.ndarray  # (points, K) their outputs
    base: dict[str, float]  # the outputs with every input at its scenario value
    runs: int
    seed: int
    seconds: float
    trajectories: int = 0
    samples: int = 0
    table: object = None  # pandas DataFrame
    constant: list[str] = field(default_factory=list)  # outputs that did not vary
    # Morris: whole-number inputs none of whose steps survived rounding (no effect measured)
    no_effects: list[str] = field(default_factory=list)
    reused: int = 0  # points read from a resumed analysis's checkpoint (`seconds`: this run's)

    @property
    def points(self) -> int:
        return len(self.X)

    def ranked(self, output: str):
        """The table's rows for one output, the most influential input first."""
        t = self.table
        return t[t["output"] == output].sort_values("rank")


def _salib():
    try:
        from SALib.analyze import morris as morris_analyze
        from SALib.analyze import sobol as sobol_analyze
        from SALib.sample import morris as morris_sample
        from SALib.sample import sobol as sobol_sample
    except ImportError:  # pragma: no cover - depends on the environment
        raise ScenarioError(
            [Problem("sensitivity", None, "", "needs SALib: pip install -e '.[sensitivity]'")]
        ) from None
    return morris_sample, morris_analyze, sobol_sample, sobol_analyze


def analyse(
    scenario: Scenario,
    inputs: list[Input],
    method: str = "morris",
    runs: int = 50,
    seed: int = 1,
    trajectories: int = 20,
    samples: int = 64,
    levels: int = 4,
    workers: int | None = None,
    kept: Evaluations | None = None,
) -> Sensitivity:
    """Sample the inputs, simulate every point with common random numbers, analyse.

    Args:
        scenario: the validated scenario.
        inputs: what to vary (`sim.analysis.inputs.choose_inputs`).
        method: `morris` (screening, many inputs) or `sobol` (Saltelli sampling, Sobol
            indices; a few inputs).
        runs: replications per point.
        seed: seeds the replications and the sampling.
        trajectories: Morris trajectories (points: trajectories x (inputs + 1)).
        samples: Sobol base samples, a power of two (points: samples x (inputs + 2)).
        levels: Morris grid levels.
        workers: processes (default: every core for a large analysis).
        kept: a checkpoint to take finished points from and add to (`Evaluations`).

    Returns:
        The `Sensitivity`, its table ranked per output.
    """
    import pandas as pd

    if not inputs:
        raise ScenarioError([Problem("sensitivity", None, "inputs", "nothing to vary")])
    began = time.perf_counter()
    m_sample, m_analyze, s_sample, s_analyze = _salib()
    problem = problem_of(inputs)
    if method == "morris":
        X = m_sample.sample(problem, trajectories, num_levels=levels, seed=seed)
    elif method == "sobol":
        if samples < 2 or samples & (samples - 1):
            raise ScenarioError([Problem(arg("samples"), None, "", "must be a power of two")])
        X = s_sample.sample(problem, samples, calc_second_order=False, seed=seed)
    else:
        raise ScenarioError([Problem(arg("method"), None, "", "morris or sobol")])
    changes = [Change(tuple(map(float, row))) for row in X]
    changes.append(Change(tuple(i.base for i in inputs)))  # the scenario itself
    workers = default_workers(len(changes), runs) if workers is None else workers
    held = kept.rows("analysis") if kept else {}
    reused = sum(1 for k in held if 0 <= k < len(changes))  # read back, not simulated here
    Y = evaluate(scenario, inputs, changes, runs, seed, workers, kept, "analysis")
    Y, base_row = Y[:-1], Y[-1]
    world = base_world(scenario, scenario_digest(scenario))
    outputs = output_names(world)
    rows, constant, no_effects = [], [], []
    for k, out in enumerate(outputs):
        y = Y[:, k]
        flat = np.ptp(y) == 0
        if flat:
            constant.append(out)
        if method == "morris":
            res, counts = morris_indices(inputs, X, y, levels, seed)
            no_effects = [i.key for i, n in zip(inputs, counts, strict=True) if not n]
            if flat:  # no input moved it: zero effects (none, for an input with no step)
                res = {name: np.where(np.isnan(v), np.nan, 0.0) for name, v in res.items()}
            metrics = {
                name: np.broadcast_to(np.asarray(res[name], dtype=float), len(inputs))
                for name in ("mu", "mu_star", "sigma", "mu_star_conf")
            }
            score = metrics["mu_star"]
        else:
            if flat:
                res = {name: np.zeros(len(inputs)) for name in ("S1", "S1_conf", "ST", "ST_conf")}
            else:
                res = s_analyze.analyze(problem, y, calc_second_order=False, seed=seed)
            metrics = {
                name: np.asarray(res[name], dtype=float)
                for name in ("S1", "S1_conf", "ST", "ST_conf")
            }
            score = metrics["ST"]
        order = np.argsort(-np.nan_to_num(score, nan=-np.inf), kind="stable")
        rank = np.empty(len(inputs), dtype=int)
        rank[order] = np.arange(1, len(inputs) + 1)
        for j, inp in enumerate(inputs):
            rows.append(
                {
                    "output": out,
                    "input": inp.key,
                    "kind": inp.field.kind,
                    "member": inp.member or "",
                    "base": inp.base,
                    "low": inp.low,
                    "high": inp.high,
                    **{name: float(v[j]) for name, v in metrics.items()},
                    "rank": int(rank[j]),
                }
            )
    table = pd.DataFrame(rows).sort_values(["output", "rank"], kind="stable").reset_index(drop=True)
    return Sensitivity(
        scenario=scenario.name,
        method=method,
        inputs=inputs,
        outputs=outputs,
        X=X,
        Y=Y,
        base=dict(zip(outputs, map(float, base_row), strict=True)),
        runs=runs,
        seed=seed,
        seconds=time.perf_counter() - began,
        trajectories=trajectories if method == "morris" else 0,
        samples=samples if method == "sobol" else 0,
        table=table,
        constant=constant,
        no_effects=no_effects if method == "morris" else [],
        reused=reused,
    )
