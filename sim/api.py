"""The Python API: load a scenario, run one replication, run a batch, score it, compare.

The command line is a thin layer over these functions; a notebook calls them directly:

    >>> import sim
    >>> r = sim.batch("scenarios/nato-2024.yaml", runs=500)
    >>> r.probabilities()                       # outcome, probability, low, high, ...
    >>> r.support.groupby(["date", "candidate"])["supporters"].median()
"""

from __future__ import annotations

import json
import numbers
import sys
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sim.batching.executors import InlineExecutor, make_executor
from sim.batching.plan import Plan, plan_batch
from sim.batching.runner import BatchOutcome, run_batch
from sim.batching.worker import world_for
from sim.engine.loop import simulate
from sim.engine.world import build_world
from sim.errors import arg
from sim.results.files import write_atomic
from sim.results.outcomes import DEADLOCK
from sim.results.results import Results
from sim.results.summary import Summary
from sim.scenario.loader import load_scenario
from sim.scenario.schema import Scenario

if TYPE_CHECKING:  # imported where used: `coalition-sim batch` need not load pandas or scipy
    import pandas as pd

    from sim.evaluate.forecast import CountedForecast, Forecast
    from sim.evaluate.record import Record

__all__ = [
    "Analysis",
    "Comparison",
    "Score",
    "batch",
    "compare",
    "load",
    "run",
    "score",
    "sensitivity",
]

ScenarioLike = str | Path | Scenario


def overrides_of(set: dict | list | None) -> list[str]:
    """`{"parameters.noise": 0.3}` (or `["parameters.noise=0.3"]`) as `--set` texts."""
    _check_args(set=set)
    if not set:
        return []
    if isinstance(set, dict):
        return [f"{k}={json.dumps(v, default=str)}" for k, v in set.items()]
    return list(set)


# Arguments that take several items, and what to give: a text there is refused, never read
# letter by letter (`set="parameters.noise=0.3"` would be 26 overrides of one letter each).
_LISTS = {"set": "a dict or a list", "sweep": "a dict, a DataFrame or a list",
          "inputs": "a list", "scenarios": "a list of files", "parameter_sets": "a list of files"}  # fmt: skip


def _check_args(**given) -> None:
    """Arguments a user passes from Python, refused in one sentence naming the argument
    (the command line's parser refuses the same values): counts are whole numbers of at
    least 1, seeds whole numbers of at least 0, the format csv or parquet."""
    for name, value in given.items():
        if name in ("scenario", "path") and not isinstance(value, str | Path | Scenario):
            raise ValueError(f"{name}={value!r}: give a scenario file or a loaded Scenario")
        if value is None:
            continue
        if name in _LISTS and isinstance(value, str | Path):  # not its letters, one by one
            raise ValueError(f"{name}={str(value)!r}: give {_LISTS[name]}, e.g. [{str(value)!r}]")
        if name in ("runs", "chunk", "workers", "seed", "trajectories", "samples"):
            low = 0 if name == "seed" else 1
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
                raise ValueError(f"{name}={value!r}: give a whole number of at least {low}")
        elif name == "format" and value not in ("csv", "parquet"):
            raise ValueError(f"format={value!r}: give 'csv' or 'parquet'")
        elif name == "sweep" and isinstance(value, dict):
            for key, values in value.items():
                if isinstance(values, str) or not isinstance(values, list | tuple):
                    raise ValueError(f"sweep[{key!r}]={values!r}: give a list of values, "
                                     f"e.g. {{{key!r}: [{values!r}]}}")  # fmt: skip
                if not values:
                    raise ValueError(f"sweep[{key!r}]={values!r}: give at least one value")


def load(path: ScenarioLike, set: dict | list | None = None) -> Scenario:
    """A scenario, resolved (`extends:`) and checked, with overrides applied.

    Args:
        path: a scenario YAML file (or a loaded Scenario).
        set: overrides, as `{"parameters.noise": 0.3}` or `["parameters.noise=0.3"]`.

    Returns:
        The scenario. Raises `sim.errors.ScenarioError` listing every problem.
    """
    _check_args(path=path)
    return load_scenario(path, overrides_of(set))


def run(scenario: ScenarioLike, seed: int = 1, set: dict | list | None = None):
    """One replication as a Mesa model, already run to appointment or the last round.

    Args:
        scenario: a scenario file or a loaded Scenario.
        seed: the replication's seed (a batch's runs table gives each replication's).
        set: overrides, as for `load`.

    Returns:
        The `ConsensusModel` (`.winner`, `.date`, `.members`, `.history`, `.datacollector`).
    """
    from sim.engine.model import ConsensusModel  # Mesa is imported only where it is used

    _check_args(scenario=scenario, seed=seed)
    return ConsensusModel(build_world(load(scenario, set)), rng=seed).run()


def plan(
    scenario: ScenarioLike,
    runs: int | None = None,
    seed: int | None = None,
    sweep: dict | pd.DataFrame | list | None = None,
    set: dict | list | None = None,
    chunk: int | None = None,
) -> Plan:
    """The batch a `batch` call would run (every point checked before anything runs).

    `sweep` is a dict of {key: [values]} (a grid), a DataFrame with one row per point and
    one column per swept key, a list of `--sweep` texts, or None for the scenario's own."""
    _check_args(scenario=scenario, runs=runs, seed=seed, chunk=chunk, sweep=sweep)
    overrides = overrides_of(set)
    pd = sys.modules.get("pandas")  # a DataFrame sweep means pandas is already imported
    if pd is not None and isinstance(sweep, pd.DataFrame):
        design = [{k: _plain(v) for k, v in row.items()} for row in sweep.to_dict("records")]
        return plan_batch(scenario, overrides, runs, seed, chunk, design=design)
    if isinstance(sweep, dict):
        texts = [f"{k}={','.join(json.dumps(v) for v in values)}" for k, values in sweep.items()]
        return plan_batch(scenario, overrides, runs, seed, chunk, sweeps=texts)
    return plan_batch(scenario, overrides, runs, seed, chunk, sweeps=list(sweep) if sweep else None)


def _plain(v):
    return v.item() if hasattr(v, "item") else v


def execute(
    plan: Plan,
    out: Path | None = None,
    workers: int = 1,
    executor: str = "process",
    scheduler: str | None = None,
    progress: bool | None = None,
    format: str = "csv",
    force: bool = False,
    keep: bool = True,
    fans: list[int] | None = None,
    finish=None,
) -> BatchOutcome:
    """Run a plan on `workers` processes (or Dask), into `out` or in memory (`force`:
    into a folder that holds other files, as `--force`; `keep=False`: memory flat in the
    number of runs, the outcome's `results` None and its `summary` kept; `fans`: points
    whose supporters by round the summary must count besides those the report draws;
    `finish(outcome)`: writes the rest of `out`, its report, with the folder still locked)."""
    if format == "parquet":
        _check_parquet()
    pool, close = (
        make_executor(executor, workers, scheduler)
        if executor == "dask" or workers > 1
        else (InlineExecutor(), lambda: None)
    )
    try:
        return run_batch(plan, out, pool, progress, workers, format, force, keep, fans, finish)
    except BrokenProcessPool:  # one line saying why (a script without a main guard, say)
        from sim.batching.executors import broken

        raise broken(pool, workers) from None
    finally:
        close()


def _check_parquet() -> None:
    """Parquet needs pyarrow: say so before anything runs."""
    import importlib.util

    from sim.errors import Problem, ScenarioError

    if not importlib.util.find_spec("pyarrow"):  # the tables are written chunk by chunk by it
        msg = "needs pyarrow (pip install -e '.[parquet]'), which is not installed"
        raise ScenarioError([Problem(arg("format", "parquet"), None, "", msg)])


def batch(
    scenario: ScenarioLike,
    runs: int | None = None,
    seed: int | None = None,
    sweep: dict | pd.DataFrame | list | None = None,
    workers: int = 1,
    out: str | Path | None = None,
    set: dict | list | None = None,
    chunk: int | None = None,
    progress: bool | None = None,
    report: bool = True,
    format: str = "csv",
    keep: bool = True,
) -> Results | Summary:
    """Many replications (and sweep points) at once, vectorised.

    Args:
        scenario: a scenario file or a loaded Scenario.
        runs: replications per point (default: the scenario's `batch:` block, else 1000).
        seed: batch seed (default: the scenario's, else 1).
        sweep: points to run: {key: [values]} for a grid, a DataFrame of points, or None.
        workers: processes (1 runs in this process). More than 1 starts worker
            processes, which import the calling script again: in a script, call this under
            `if __name__ == "__main__":` (else it stops, saying so in one line).
        out: results folder to write (tables, figures, report.md), or None for memory only.
        set: overrides, as for `load`.
        chunk: replications per chunk (default: the scenario's).
        progress: show a progress bar (default: on a terminal or in a notebook).
        report: with `out`, also write plots/ and report.md.
        format: tables as "csv" (gzip-compressed) or "parquet".
        keep: hold every replication in memory and return it as `Results` (the default;
            memory grows with the runs). With keep=False the batch runs in flat memory, as
            `coalition-sim batch` does: each chunk is tallied (and, with `out`, written)
            and dropped, and the return value is the batch's `Summary` (`.probabilities()`,
            `.appointment_dates()`, ...), as for `score` and `compare`; with `out`,
            `sim.Results.load(out)` reads every replication back.

    Returns:
        The `Results`: `.runs`, `.support`, `.declarations`, `.withdrawals`, `.holdouts`,
        `.concessions`, `.offers` (DataFrames) and `.probabilities()`; with keep=False, the
        `Summary`.
    """
    _check_args(workers=workers, format=format)
    the_plan = plan(scenario, runs, seed, sweep, set, chunk)
    if out:
        check_out(out, scenario, reuse=batch_folder, forced_by=None)  # as the command line's
    # the report is written while the folder is still locked: no other batch writes it meanwhile
    finish = (lambda outcome: batch_report(the_plan, outcome)) if out and report else None
    outcome = execute(
        the_plan, Path(out) if out else None, workers, progress=progress, format=format,
        keep=keep, finish=finish,
    )  # fmt: skip
    return outcome.results if outcome.results is not None else outcome.summary


def batch_report(plan: Plan, outcome: BatchOutcome, sections: list[str] | None = None) -> list[str]:
    """Write a batch folder's plots and report.md (with extra `sections`); return its lines."""
    from sim.report.batch_report import write_report

    summary, out = outcome.summary, outcome.out
    modal = summary.modal(0)
    history = None
    if modal is not None:
        # The stances of the most frequent outcome's first replication, replayed exactly.
        point = plan.points[0]
        history = simulate(world_for(point.scenario, point.digest), [modal[3]])
    # the manifest is written after the report (its presence says the folder is complete)
    meta = outcome.manifest or json.loads((out / "manifest.json").read_text())

    def deadline_of(p: int):
        point = plan.points[p]
        return world_for(point.scenario, point.digest).rounds[-1].deadline

    return write_report(out, summary, plan.describe(), meta, history, sections or [], deadline_of)


@dataclass
class Score:
    """A batch scored against what happened, beside the baselines."""

    results: Results | None  # None when scored with keep=False (from the chunks' tallies)
    forecast: Forecast | CountedForecast
    record: Record
    rows: list[tuple[str, str, dict]]  # (forecast, description, scores)
    keys: list[str]
    verdict: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)  # the report's summary, with `out`
    forecasts: list[Forecast | CountedForecast] = field(default_factory=list)  # per point
    outcome: BatchOutcome | None = None  # the batch: runs computed and reused, seconds

    @property
    def table(self) -> pd.DataFrame:
        """One row per forecast (the model, then each baseline), a column per score."""
        import pandas as pd

        return pd.DataFrame(
            [
                {"forecast": n, "description": d, **{k: s.get(k) for k in self.keys}}
                for n, d, s in self.rows
            ]
        )


def check_out(out, *scenarios: ScenarioLike, record=None, force=False, reuse=None,
              forced_by: str | None = "force", unfinished=None) -> Path:  # fmt: skip
    """The folder check every `--out` gets (`sim.results.paths.check_folder`): never an
    input (the scenario files, every base they extend, the record), never a file, a busy
    folder only with `force` (or when `reuse` says the command may go on in it); the
    refusal suggests `forced_by` (None for a command without it), each named as the caller
    gave it (`out=`, `force=True` from Python; `--out`, `--force` on the command line).
    `unfinished` names what a busy folder holds when it is an unfinished run of the same
    command (`unfinished_comparison`, ...): the refusal then suggests `resume` first."""
    from sim.results.paths import check_folder
    from sim.scenario.loader import extends_chain

    files = [p for s in scenarios if isinstance(s, str | Path) for p, _ in extends_chain(s)]
    files += [Path(record)] if record else []
    return check_folder(Path(out), files, force, reuse, flag=arg("out"),
                        forced_by=arg(forced_by) if forced_by else None,
                        unfinished=unfinished)  # fmt: skip


def unfinished_score(key: str):
    """For `check_out(unfinished=)`: a folder holding a killed score of the batch `key`."""

    def unfinished(folder: Path) -> str | None:
        from sim.batching.folder import recorded_batch
        from sim.results.paths import FINISHED_SCORE, holds

        if holds(folder, FINISHED_SCORE) or not (folder / "batch.json").is_file():
            return None
        return "score of these settings" if recorded_batch(folder)[0] == key else None

    return unfinished


def unfinished_comparison(folder: Path) -> str | None:
    """For `check_out(unfinished=)`: a folder holding a killed comparison."""
    from sim.results.paths import FINISHED_COMPARISON, holds

    started = (folder / COMPARISON).is_file() or any(folder.glob("*/batch.json"))
    return "comparison" if started and not holds(folder, FINISHED_COMPARISON) else None


def unfinished_analysis(folder: Path) -> str | None:
    """For `check_out(unfinished=)`: a folder holding a killed analysis (its checkpoint, no
    report)."""
    from sim.analysis.evaluations import FILE
    from sim.results.paths import FINISHED_ANALYSIS, holds

    kept = (folder / FILE).is_file() and not holds(folder, FINISHED_ANALYSIS)
    return "analysis (its checkpoint)" if kept else None


def batch_folder(folder: Path) -> bool:
    """A folder a batch may go on in: one holding a batch (the runner checks it is the same
    batch) or only a batch's lock (the runner says whether its holder still runs)."""
    from sim.batching.folder import LOCK

    return (folder / "batch.json").exists() or all(p.name == LOCK for p in folder.iterdir())


def _names(scenario: ScenarioLike, loaded: Scenario) -> list[str]:
    """The scenario's name and, for a file, those of the bases it extends: the names a
    record's `scenario:` may give (as the command line checks them)."""
    if not isinstance(scenario, str | Path):
        return [loaded.name]
    from sim.scenario.loader import extends_chain, record_names

    return record_names(loaded.name, extends_chain(scenario))


def score(
    scenario: ScenarioLike,
    record: str | Path,
    runs: int | None = None,
    seed: int | None = None,
    set: dict | list | None = None,
    out: str | Path | None = None,
    workers: int = 1,
    progress: bool | None = None,
    force: bool = False,
    keep: bool = True,
    resume: bool = False,
) -> Score:
    """Run a batch and score it against an observed record, beside three baselines.

    Args:
        scenario: a scenario file or a loaded Scenario.
        record: the observed record's YAML file.
        runs, seed, set, workers, progress: as for `batch`.
        out: results folder (tables, figures, report.md with the scores, scores.csv).
        force: write into `out` even if it already holds files (never over an input).
        keep: hold every replication in memory (`.results`; the default). With
            keep=False, as `coalition-sim score` does, memory stays flat in the number of
            runs: the scores are read off each chunk's tallies (the same numbers, bit for
            bit), `.results` is None and, with `out`, `sim.Results.load(out)` reads them.
        resume: go on with the score interrupted in `out`: its batch goes on from the chunks
            it holds (a folder holding a batch of other settings is refused first).

    Returns:
        A `Score`: `.table` (DataFrame; a sweep gives a model row per point, named
        `agent-based model, point k (key=value)`), `.verdict` (plain words, including
        every measure on which the model fell short), `.results`.
    """
    from sim.evaluate.record import load_record

    _check_args(workers=workers)
    the_plan = plan(scenario, runs, seed, None, set)
    sc = the_plan.points[0].scenario
    rec = load_record(record, sc, _names(scenario, sc))  # checked before anything runs
    if out:
        check_out(out, scenario, record=record, force=force,
                  reuse=(lambda _: True) if resume else None,
                  unfinished=unfinished_score(the_plan.key))  # fmt: skip
        if resume:
            _check_resumable([Path(out)], [the_plan])
    elif resume:
        from sim.errors import Problem, ScenarioError

        raise ScenarioError([Problem("resume", None, "", "needs the score's folder (out)")])
    scored: list[Score] = []

    def finish(outcome: BatchOutcome) -> None:
        scored.append(_scored(the_plan, outcome, rec, out))

    # with `out`, the scores, figures and report are written while the batch still holds
    # the folder's lock: no other batch writes the folder before all of it is written
    outcome = execute(
        the_plan,
        Path(out) if out else None,
        workers,
        progress=progress,
        force=force,
        keep=keep,
        fans=[0],
        finish=finish if out else None,
    )  # fmt: skip (the score's fan: point 0)
    return scored[0] if out else _scored(the_plan, outcome, rec, None)


def _scored(the_plan: Plan, outcome: BatchOutcome, rec, out) -> Score:
    """The batch `outcome` scored against the record `rec`; with `out`, scores.csv, the
    score's fan and report.md written there."""
    from sim.evaluate.forecast import CountedForecast, Forecast
    from sim.evaluate.score import (
        SCORES,
        baselines,
        date_reading,
        outcome_scores,
        standstill_rmse,
    )
    from sim.evaluate.score import score as score_forecast
    from sim.report import scores as score_report
    from sim.report.scores import MODEL

    sc = the_plan.points[0].scenario
    rows, forecasts = [], []
    swept = len(the_plan.points) > 1
    for p in the_plan.points:  # a sweep: every point scored, a row each
        world = world_for(p.scenario, p.digest)  # the world the batch ran on
        if outcome.results is not None:
            forecast = Forecast.from_results(outcome.results, world, point=p.index)
        else:
            forecast = CountedForecast(world, outcome.summary, p.index)
        forecasts.append(forecast)
        label = MODEL
        if swept:
            values = ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                               for k, v in p.values.items())  # fmt: skip
            label = f"{MODEL}, point {p.index} ({values})"
        rows.append((label, "this scenario's batch", score_forecast(forecast, rec)))
    world = world_for(sc, the_plan.points[0].digest)
    bases = []
    # baselines too, when a sweep changes what they read; each scored as its point's batch
    # is (the same log-score floor, 1/(2 runs))
    for p, forecast in zip(the_plan.points, forecasts, strict=True):
        for b in baselines(world_for(p.scenario, p.digest) if swept else world):
            row = (b.name, b.description, outcome_scores(b.probabilities, rec, forecast.runs))
            if all(row[0] != r[0] or row[2] != r[2] for r in bases):
                bases.append(row)
    if len({r[0] for r in bases}) < len(bases):  # a baseline that differs by point: say which
        bases = [(f"{n} (point {i})", d, s) for i, (n, d, s) in enumerate(bases)]
    rows += bases
    # a record's last holdouts get their column even when no run appointed (shown n/a)
    keys = [k for k, _ in SCORES if any(k in r[2] for r in rows)
            or (k == "holdout_hit_rate" and rec.last_holdouts)]  # fmt: skip
    says = score_report.verdict(rows, keys, standstill_rmse(world, rec))
    if rec.appointment is None:  # said, since an unfinished record reads the same
        by = f"by {rec.until.isoformat()}" if rec.until else "at all"
        says.insert(0, f"observed outcome: no appointment {by} (the record has no "
                       "`appointment:`), so p_observed is the forecast's probability of deadlock")  # fmt: skip
    for p, forecast in zip(the_plan.points, forecasts, strict=True):
        reading = date_reading(forecast, rec)
        if reading is not None:
            says.append(f"point {p.index}: {reading}" if swept else reading)
    result = Score(outcome.results, forecasts[0], rec, rows, keys, says, forecasts=forecasts,
                   outcome=outcome)  # fmt: skip
    if out:
        out = Path(out)
        write_atomic(out / "scores.csv", score_report.scores_csv(rows, keys))
        score_report.score_fan(out, forecasts[0], rec, sc.name + (", point 0" if swept else ""))
        result.lines = batch_report(
            the_plan, outcome, score_report.markdown(rows, keys, rec, forecasts[0].runs, says)
        )
    return result


@dataclass
class Comparison:
    """The same batch on several scenarios, side by side; the first is the base."""

    table: pd.DataFrame  # one row per scenario: p_<outcome>, p_<outcome>_low/_high, dates
    outcomes: list[str]
    results: dict[str, Results]  # empty when compared with keep=False
    summaries: dict[str, Summary] = field(default_factory=dict)  # each batch's tallies
    # With parameter sets: set name -> that set's Comparison ("as given" first), and per
    # what-if under how many of them it differs from the base (`comparison.robustness`).
    by_set: dict[str, Comparison] = field(default_factory=dict)
    robustness: pd.DataFrame | None = None

    def verdicts(self) -> list[str]:
        """One line per what-if: on what it differs from the base, or `same as base`."""
        from sim.report import comparison

        return comparison.verdicts(self.table, self.outcomes)

    def lines(self) -> list[str]:
        """The table, the verdicts and, with parameter sets, the robustness block."""
        from sim.report import comparison

        out = [*comparison.lines(self.table, self.outcomes), "", *self.verdicts()]
        if self.robustness is not None:
            head = (f"under {len(self.by_set)} parameter sets ({', '.join(self.by_set)}; "
                    "the same seeds):")  # fmt: skip
            out += ["", head, *comparison.robustness_lines(self.robustness)]
        return out


def compare(
    scenarios: list[ScenarioLike],
    runs: int = 1000,
    seed: int = 1,
    set: dict | list | None = None,
    out: str | Path | None = None,
    workers: int = 1,
    progress: bool | None = None,
    force: bool = False,
    keep: bool = True,
    parameter_sets: dict[str, dict] | list[str | Path] | None = None,
    resume: bool = False,
) -> Comparison:
    """Run the same batch on each scenario: outcome probabilities and timing side by side.

    Args:
        scenarios: the scenario, then its variants (files or loaded Scenarios).
        runs, seed, set, workers, progress: as for `batch`, the same for each.
        out: folder for compare.csv, compare.md, compare.png and each scenario's batch
            (with parameter sets also compare-sets.csv and robustness.csv).
        force: write into `out` even if it already holds files (never over an input).
        keep: hold every replication in memory (`.results`; the default). With
            keep=False, as `coalition-sim compare` does, memory stays flat in the number
            of runs: the table is read off each chunk's tallies (the same numbers, bit for
            bit) and `.results` is empty.
        parameter_sets: {name: {parameter: value}} (as `sim.load_parameter_sets` gives)
            or the files to load them from. The scenarios are then compared once as given
            and once under each set (its values applied over each scenario, as `--set
            parameters.<name>=<value>` after `set`), on the same seeds; with `out`, each
            set's batches go to `out/sets/<set>/<scenario>/`.
        resume: go on with the comparison interrupted in `out`: every batch goes on from
            the chunks its folder holds (a finished one is read back, not run again), to
            the tables an uninterrupted comparison writes; a folder holding a batch of
            other settings is refused before anything runs.

    Returns:
        A `Comparison` with `.table`, a DataFrame of one row per scenario (as given),
        `.verdicts()`, and with parameter sets `.by_set` and `.robustness`.
    """

    _check_args(scenarios=scenarios, workers=workers, parameter_sets=parameter_sets)
    if not scenarios:
        raise ValueError("scenarios=[]: give the base scenario, then its variants")
    overrides = overrides_of(set)
    if parameter_sets is not None and not isinstance(parameter_sets, dict):
        from sim.scenario.parameter_sets import load_parameter_sets

        parameter_sets = load_parameter_sets(parameter_sets)
    sets = {
        name: [*overrides, *_set_texts(values)] for name, values in (parameter_sets or {}).items()
    }
    plans = [plan(s, runs, seed, None, overrides) for s in scenarios]  # every problem first
    set_plans = {name: [_set_plan(s, runs, seed, texts, name) for s in scenarios]
                 for name, texts in sets.items()}  # fmt: skip
    names = _scenario_names(scenarios)
    folders = [Path(out) / n for n in names] if out else [None] * len(names)
    set_folders = {name: ([Path(out) / "sets" / _slug(name) / n for n in names] if out
                          else [None] * len(names)) for name in sets}  # fmt: skip
    if out:
        reuse = (lambda _: True) if resume else only_lock
        check_out(out, *scenarios, force=force, reuse=reuse,
                  unfinished=unfinished_comparison)  # fmt: skip
    with _comparison_lock(out):  # held until the tables are written
        from sim.report import comparison

        if out:
            every = [*plans, *sum(set_plans.values(), [])]
            record = {"scenarios": names, "runs": runs, "seed": seed, "set": overrides,
                      "parameter_sets": list(sets), "keys": [p.key for p in every]}  # fmt: skip
            if resume:
                _check_comparison(Path(out), record, force)
                _check_resumable([*folders, *sum(set_folders.values(), [])], every)
            Path(out).mkdir(parents=True, exist_ok=True)
            write_atomic(Path(out) / COMPARISON, json.dumps(record, indent=1))  # before any batch
        elif resume:
            from sim.errors import Problem, ScenarioError

            raise ScenarioError(
                [Problem("resume", None, "", "needs the comparison's folder (out)")]
            )
        tables = {}
        result = _compared(names, plans, folders, workers, progress, force, keep)
        for name, the_plans in set_plans.items():
            tables[name] = _compared(
                names, the_plans, set_folders[name], workers, progress, force, keep=False
            )  # fmt: skip (flat memory)
        if sets:
            outcomes = list(result.outcomes)
            for t in tables.values():
                outcomes[-1:-1] = [k for k in t.outcomes if k not in outcomes]
            as_given = Comparison(result.table, result.outcomes, {}, result.summaries)
            result.by_set = {comparison.AS_GIVEN: as_given, **tables}
            for c in [result, *result.by_set.values()]:
                c.table, c.outcomes = _with_outcomes(c.table, outcomes), outcomes
            result.robustness = comparison.robustness(
                {n: c.table for n, c in result.by_set.items()}, outcomes
            )
        if out:
            said = (
                f" With {' '.join('--set ' + o for o in overrides)} on each." if overrides else ""
            )
            by_set = {n: c.table for n, c in result.by_set.items()} if sets else None
            comparison.write(Path(out), result.table, result.outcomes,
                             f"{runs:,} replications each, seed {seed}.{said}", by_set,
                             result.robustness)  # fmt: skip
        return result


def only_lock(folder: Path) -> bool:
    """Whether `folder` holds nothing but a lock (left by a command killed as it began)."""
    from sim.results.lock import LOCK

    return all(p.name == LOCK for p in folder.iterdir())


def _comparison_lock(out):
    """The comparison folder's lock (`FolderLock`, as a batch takes), held for the whole
    comparison so that two comparisons never write one folder's tables at once; the folder
    is checked first (a second comparison into it meanwhile is refused in one line)."""
    import contextlib

    from sim.batching.folder import FolderLock

    if not out:
        return contextlib.nullcontext()
    return FolderLock(Path(out))


def _slug(name: str) -> str:
    """A parameter set's name as a folder name ("without nato-2024" -> without-nato-2024)."""
    import re

    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.") or "set"


COMPARISON = "compare.json"  # a comparison's scenarios and settings, written before its batches
_SHOWN = {
    "scenarios": None,
    "runs": "runs",
    "seed": "seed",
    "set": "set",
    "parameter_sets": "parameter-sets",
}  # fmt: skip (None: the scenarios)


def _check_comparison(out: Path, ours: dict, force: bool) -> None:
    """Before a resumed comparison runs anything: the one in `out` (compare.json; or, in a
    folder written before there was one, the scenarios of its compare.csv) is this one,
    the same scenarios in the same order and the same settings, else one line saying what
    differs, so that its tables are never replaced by another comparison's."""
    from sim.errors import Problem, ScenarioError

    if force:
        return
    theirs = None
    try:
        theirs = json.loads((out / COMPARISON).read_text(encoding="utf-8"))
        if not isinstance(theirs, dict):
            theirs = None
    except (OSError, ValueError):
        if (out / "compare.csv").is_file():  # an older finished comparison: its rows
            import csv

            with open(out / "compare.csv", encoding="utf-8", newline="") as fh:
                theirs = {"scenarios": [r.get("scenario") for r in csv.DictReader(fh)]}
    if theirs is None:
        return
    keys = [k for k in _SHOWN if k in theirs and theirs[k] != ours[k]]
    if not keys and theirs.get("keys", ours["keys"]) == ours["keys"]:
        return

    def shown(key, value):
        if key == "set":
            return " ".join(f"--set {o}" for o in value) or "no --set"
        if isinstance(value, list):
            return ", ".join(map(str, value)) or "none"
        return str(value)

    said = "; ".join(f"{arg(_SHOWN[k]) if _SHOWN[k] else 'the scenarios'}: "
                     f"{shown(k, theirs[k])} there, {shown(k, ours[k])} here"
                     for k in keys) or "the scenario files or the program changed"  # fmt: skip
    msg = (f"holds another comparison ({said}); resume it with its own scenarios and "
           f"settings, or choose another {arg('out')} ({arg('force')} replaces it)")  # fmt: skip
    raise ScenarioError([Problem(f"{arg('resume')} {out}", None, "", msg)])


def _check_resumable(folders: list[Path], plans: list[Plan]) -> None:
    """Before a resumed comparison or score runs anything: each batch folder there holds
    that very batch (or none yet), else one line naming the folder."""
    from sim.batching.folder import recorded_batch
    from sim.errors import Problem, ScenarioError

    for folder, p in zip(folders, plans, strict=True):
        if (folder / "batch.json").exists() and recorded_batch(folder)[0] != p.key:
            msg = ("holds a batch of other settings (scenario, runs, seed or chunk differ); "
                   f"start anew with {arg('force')}, or choose another {arg('out')}")  # fmt: skip
            raise ScenarioError([Problem(f"{arg('resume')} {folder}", None, "", msg)])


def _set_texts(values: dict) -> list[str]:
    """A parameter set as `--set` texts: `parameters.<name>=<value>` each."""
    return overrides_of({f"parameters.{k}": v for k, v in values.items()})


def _set_plan(scenario: ScenarioLike, runs, seed, texts: list[str], name: str) -> Plan:
    """The plan under a parameter set; a scenario it does not suit is one line naming the set."""
    from sim.errors import Problem, ScenarioError

    try:
        return plan(scenario, runs, seed, None, texts)
    except ScenarioError as exc:
        raise ScenarioError(
            [Problem(f"parameter set {name!r}", None, "", str(p)) for p in exc.problems]
        ) from None


def _scenario_names(scenarios: list[ScenarioLike]) -> list[str]:
    """Each scenario's name in the table (a file's stem), two of one name made distinct."""
    names: list[str] = []
    for s in scenarios:
        name = Path(s).stem if not isinstance(s, Scenario) else s.name
        if name in names:  # two files of one name (a/x.yaml, b/x.yaml): two folders
            name = next(f"{name}-{k}" for k in range(2, len(scenarios) + 2)
                        if f"{name}-{k}" not in names)  # fmt: skip
        names.append(name)
    return names


def _compared(names, plans, folders, workers, progress, force, keep) -> Comparison:
    """Run each plan (into its folder, or tallied only) and tabulate them side by side."""
    import pandas as pd

    rows, outcomes, all_results, summaries = [], [], {}, {}
    for name, p, folder in zip(names, plans, folders, strict=True):
        outcome = execute(p, folder, workers, progress=progress, force=force, keep=keep)
        summaries[name] = outcome.summary
        # kept: read off the replications; else off the tallies (the same numbers)
        tally = outcome.results if outcome.results is not None else outcome.summary
        if outcome.results is not None:
            all_results[name] = outcome.results
        probs = tally.probabilities()
        row = {"scenario": name, "runs": int(probs["n"].iloc[0])}
        for _, pr in probs.iterrows():
            k = pr["outcome"]
            if k not in outcomes:
                outcomes.append(k)
            row[f"p_{k}"], row[f"p_{k}_low"], row[f"p_{k}_high"] = (
                pr["probability"],
                pr["low"],
                pr["high"],
            )
        q = tally.appointment_dates()
        row["median_appointment"] = q[2].isoformat() if q else None
        row["appointment_q25"] = q[1].isoformat() if q else None
        row["appointment_q75"] = q[3].isoformat() if q else None
        m = tally.median_appointment_interval()  # what the median date's verdict compares
        row["median_low"], row["median_high"] = (
            (m[0].isoformat(), m[1].isoformat()) if m else (None, None)
        )
        rows.append(row)
    outcomes = [k for k in outcomes if k != DEADLOCK] + [DEADLOCK]
    return Comparison(_with_outcomes(pd.DataFrame(rows), outcomes), outcomes, all_results,
                      summaries)  # fmt: skip


def _with_outcomes(table: pd.DataFrame, outcomes: list[str]) -> pd.DataFrame:
    """The table's columns in order, every outcome in it: one a scenario lacks (another
    candidate) has probability 0 (its high NaN: no interval, it cannot happen)."""
    table = table.copy()
    for k in outcomes:
        for suffix in ("", "_low", "_high"):
            col = f"p_{k}{suffix}"
            if col not in table:
                table[col] = float("nan")
            if suffix != "_high":
                table[col] = table[col].fillna(0.0)
    ordered = ["scenario", "runs"]
    for k in outcomes:
        ordered += [f"p_{k}", f"p_{k}_low", f"p_{k}_high"]
    return table[[*ordered, "median_appointment", "median_low", "median_high",
                  "appointment_q25", "appointment_q75"]]  # fmt: skip


@dataclass
class Analysis:
    """What would change it: a sensitivity analysis and the pivotal members."""

    result: object  # sim.analysis.sensitivity.Sensitivity
    pivotal: object | None  # sim.analysis.pivotal.Pivotal

    @property
    def table(self) -> pd.DataFrame:
        """One row per input and output: mu*, sigma (Morris) or S1, ST (Sobol), rank."""
        return self.result.table

    @property
    def members(self) -> pd.DataFrame | None:
        """Per member and change, each output's change (the pivotal members), or None."""
        return self.pivotal.table if self.pivotal is not None else None

    def lines(self) -> list[str]:
        from sim.report import sensitivity as words

        out = words.words(self.result)
        return out + (["", *words.pivotal_words(self.pivotal)] if self.pivotal else [])


def sensitivity(
    scenario: ScenarioLike,
    inputs: list[str] | None = None,
    method: str = "morris",
    runs: int = 50,
    trajectories: int = 20,
    samples: int = 64,
    seed: int = 1,
    set: dict | list | None = None,
    out: str | Path | None = None,
    pivotal: bool = True,
    workers: int | None = None,
    resume: bool = False,
    force: bool = False,
) -> Analysis:
    """Which assumptions and which members decide the outcome.

    Args:
        scenario: a scenario file or a loaded Scenario.
        inputs: `--inputs` texts (`KEY`, `KEY=LOW:HIGH`, `parameters`, `assumptions`);
            default: every assumption and every parameter (see README.md for the ranges).
        method: `morris` (screening) or `sobol` (Sobol indices, for a few inputs).
        runs: replications per point (the same seeds at every point).
        trajectories: Morris trajectories; samples: Sobol base samples (a power of two).
        seed, set: as for `batch`.
        out: folder for sensitivity.csv, sensitivity.md, plots/ (and pivotal.csv); checked
            before anything runs, as `coalition-sim sensitivity --out` is: a folder that
            already holds files (another analysis, a batch) is refused without `force`.
        pivotal: also push each member's assumptions alone (the pivotal members).
        workers: processes (default: every core for a large analysis).
        resume: go on with the analysis interrupted in `out`: the points its checkpoint
            (`sensitivity.evaluations.jsonl`, kept as each task ends) holds are not
            simulated again; the result is the uninterrupted one (a checkpoint of other
            settings is refused in one line).
        force: write into `out` even if it already holds files (never over an input); a
            checkpoint there is started anew.

    Returns:
        An `Analysis`: `.table` (DataFrame), `.members` (pivotal DataFrame), `.lines()`.
    """
    from sim.analysis import pivotal as pivotal_members
    from sim.analysis.evaluations import Evaluations
    from sim.analysis.inputs import choose_inputs
    from sim.analysis.sensitivity import analyse, analysis_settings
    from sim.errors import Problem, ScenarioError

    _check_args(scenario=scenario, runs=runs, trajectories=trajectories, samples=samples,
                seed=seed, workers=workers, inputs=inputs)  # fmt: skip
    runs, trajectories, samples, seed = map(int, (runs, trajectories, samples, seed))  # numpy's too
    loaded = load(scenario, set)
    chosen = choose_inputs(loaded, inputs)
    kept = None
    if out:
        check_out(out, scenario, force=force, reuse=(lambda _: True) if resume else None,
                  unfinished=unfinished_analysis)  # fmt: skip
        settings = analysis_settings(loaded, chosen, method, runs, seed, trajectories, samples,
                                     pivotal)  # fmt: skip
        kept = Evaluations.open(Path(out), settings, resume)
    elif resume:
        raise ScenarioError([Problem("resume", None, "", "needs the analysis's folder (out)")])
    result = analyse(loaded, chosen, method, runs, seed, trajectories, samples,
                     workers=workers, kept=kept)  # fmt: skip
    piv = None
    if pivotal:
        piv = pivotal_members.pivotal(loaded, choose_inputs(loaded), runs, seed, workers, kept)
    if out:
        from sim.report import sensitivity as report

        report.write(Path(out), result, piv)
    return Analysis(result, piv)
