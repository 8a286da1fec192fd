"""Fit behavioural parameters to the part of a record before a split date.

The objective is noisy (it is read off simulated replications), so every
evaluation uses the same replication seeds (common random numbers): two
parameter sets are compared on the same draws, not on luck. The search is a
Latin hypercube over the parameter ranges, then a pattern search around the
best point with a shrinking step. Only behavioural parameters can be fitted;
facts stay as the scenario's sources say.
"""

from dataclasses import dataclass, field
from datetime import date

import numpy as np
from scipy.stats import qmc

from sim.batching.plan import replication_seeds
from sim.engine.loop import simulate
from sim.engine.world import build_world
from sim.errors import Problem, ScenarioError
from sim.evaluate.forecast import Forecast
from sim.evaluate.record import Record
from sim.evaluate.score import fit_loss, score
from sim.scenario.schema import PARAMETER_NAMES, Parameters, Scenario

INTEGER = {name for name, f in Parameters.model_fields.items() if f.annotation is int}


def parameter_range(name: str) -> tuple[float, float]:
    """The schema's allowed range of a behavioural parameter."""
    lo = hi = None
    for rule in Parameters.model_fields[name].metadata:
        lo = getattr(rule, "ge", None) if getattr(rule, "ge", None) is not None else lo
        lo = getattr(rule, "gt", None) if getattr(rule, "gt", None) is not None else lo
        hi = getattr(rule, "le", None) if getattr(rule, "le", None) is not None else hi
    return float(lo), float(hi)


def parse_params(texts: list[str]) -> dict[str, tuple[float, float]]:
    """`noise` (the schema's range) or `noise=0.05:1` (a range of one's own)."""
    out = {}
    for text in texts:
        name, _, span = text.partition("=")
        name = name.removeprefix("parameters.")  # the long name, as in `--set`, works too
        if name not in PARAMETER_NAMES:
            raise ScenarioError(
                [Problem(f"--params {text}", None, name, "not a behavioural parameter")]
            )
        lo, hi = parameter_range(name)
        if span:
            try:
                a, b = (float(x) for x in span.split(":"))
            except ValueError:
                raise ScenarioError(
                    [Problem(f"--params {text}", None, name, "range must be LOW:HIGH")]
                ) from None
            if not lo <= a < b <= hi:
                raise ScenarioError(
                    [Problem(f"--params {text}", None, name, f"range must lie in [{lo:g}, {hi:g}]")]
                )
            lo, hi = a, b
        out[name] = (lo, hi)
    return out


@dataclass
class Evaluation:
    values: dict[str, float]
    loss: float


@dataclass
class Fit:
    """The outcome of a calibration."""

    start: dict[str, float]
    best: dict[str, float]
    loss_start: float
    loss_best: float
    scores: dict[str, dict[str, float]]  # {"default/fit": ..., "default/check": ..., ...}
    trace: list[Evaluation] = field(default_factory=list)


class Objective:
    """Loss of a parameter set on a record, with fixed replication seeds."""

    def __init__(self, scenario: Scenario, record: Record, runs: int, seed: int):
        self.scenario, self.record = scenario, record
        self.seeds = replication_seeds(seed, 0, 0, runs)
        self.trace: list[Evaluation] = []

    def forecast(self, values: dict[str, float]) -> Forecast:
        current = self.scenario.parameters.model_dump(exclude={"source", "assumption", "note"})
        fixed = {k: (round(v) if k in INTEGER else v) for k, v in values.items()}
        params = Parameters.model_validate({**current, **fixed, "assumption": True})
        world = build_world(self.scenario.model_copy(update={"parameters": params}))
        return Forecast.from_history(simulate(world, self.seeds))

    def __call__(self, values: dict[str, float]) -> float:
        try:
            loss = fit_loss(self.forecast(values), self.record)
        except ValueError:  # e.g. lift_threshold pushed below object_threshold
            loss = float("inf")
        self.trace.append(Evaluation(dict(values), loss))
        return loss


def calibrate(
    scenario: Scenario,
    record: Record,
    ranges: dict[str, tuple[float, float]],
    split: date,
    budget: int = 60,
    runs: int = 200,
    seed: int = 1,
) -> Fit:
    """Fit `ranges`' parameters on the record before `split`; score before and after it."""
    fit_part, check_part = record.before(split), record.on_or_after(split)
    if not (fit_part.declarations or fit_part.support or fit_part.appointment):
        raise ScenarioError(
            [Problem("--split", None, "", f"the record holds nothing before {split} to fit")]
        )
    objective = Objective(scenario, fit_part, runs, seed)
    names = list(ranges)
    start = {n: float(getattr(scenario.parameters, n)) for n in names}
    best, loss_start, best_loss = search(objective, ranges, start, budget, seed)
    scores = {}
    for label, values in (("default", start), ("fitted", best)):
        forecast = objective.forecast(values)
        scores[f"{label} / fit part"] = {
            "loss": fit_loss(forecast, fit_part),
            **score(forecast, fit_part),
        }
        scores[f"{label} / check part"] = {
            "loss": fit_loss(forecast, check_part),
            **score(forecast, check_part),
        }
    return Fit(start, best, loss_start, best_loss, scores, objective.trace)


def search(objective, ranges, start, budget, seed, progress=None):
    """Minimise `objective` over `ranges` from `start`: a Latin hypercube on half the budget,
    then a pattern search around the best point, halving the step when nothing improves.

    Returns (best values, loss at start, best loss). `progress` is told of each evaluation.
    """
    names = list(ranges)
    lo = np.array([ranges[n][0] for n in names])
    hi = np.array([ranges[n][1] for n in names])
    used = 0

    def evaluate(values):
        nonlocal used
        used += 1
        if progress is not None:
            progress.update(1)
        return objective(values)

    loss_start = evaluate(start)
    best, best_loss = start, loss_start
    sampler = qmc.LatinHypercube(d=len(names), rng=np.random.default_rng(seed))
    for row in qmc.scale(sampler.random(max(1, budget // 2)), lo, hi):
        values = dict(zip(names, map(float, row), strict=True))
        loss = evaluate(values)
        if loss < best_loss:
            best, best_loss = values, loss
    step = (hi - lo) / 4
    while used < budget and step.max() > (hi - lo).max() * 1e-3:
        improved = False
        for k, name in enumerate(names):
            for sign in (1, -1):
                if used >= budget:
                    break
                trial = dict(best)
                trial[name] = float(np.clip(best[name] + sign * step[k], lo[k], hi[k]))
                if trial[name] == best[name]:
                    continue
                loss = evaluate(trial)
                if loss < best_loss:
                    best, best_loss, improved = trial, loss, True
        if not improved:
            step = step / 2
    best = {k: (round(v) if k in INTEGER else v) for k, v in best.items()}
    return best, loss_start, best_loss


def variant_text(fit: Fit, extends: str, header: list[str]) -> str:
    """A scenario variant that `extends:` the original with the fitted parameters."""
    lines = [f"# {line}" for line in header]
    lines += ["#", "# Scores (loss: lower is better; see docs/ODD.md and README, `score`):"]
    for label, scores in fit.scores.items():
        shown = ", ".join(f"{k} {v:.3f}" for k, v in scores.items())
        lines.append(f"#   {label}: {shown}")
    lines += [f"extends: {extends}", "parameters:"]
    for name, value in fit.best.items():
        lines.append(f"  {name}: {value if isinstance(value, int) else round(value, 4)}")
    lines += [
        "  assumption: true",
        "  note: >-",
        "    Fitted by coalition-sim calibrate on the record before the split date (see the",
        "    header); behavioural parameters, not facts.",
        "",
    ]
    return "\n".join(lines)


# --- several cases at once -----------------------------------------------------------------


@dataclass
class Case:
    """A contest to fit or check on: a scenario with the record of what happened."""

    name: str
    scenario: Scenario
    record: Record


def case_paths(texts: list[str]) -> list[tuple[str, str]]:
    """`scenario.yaml:record.yaml` pairs, or files listing one pair a line (`#` comments,
    paths relative to the list file), into (scenario, record) paths."""
    from pathlib import Path

    from sim.results.files import read_regular

    yaml = (".yaml", ".yml")
    pairs = []
    for text in texts:
        if ":" in text:
            scenario, _, record = text.partition(":")
            pairs.append((scenario, record))
            continue
        path = Path(text)
        if not path.is_file():
            raise ScenarioError(
                [Problem(text, None, "", "expected SCENARIO:RECORD or a case list file")]
            )
        try:  # a regular file of at most 20 MB, of text: else said, never quoted
            lines = read_regular(path).splitlines()
        except (OSError, ValueError):  # UnicodeDecodeError is a ValueError
            msg = "is not a case list (a UTF-8 text file of at most 20 MB, SCENARIO:RECORD lines)"
            raise ScenarioError([Problem(text, None, "", msg)]) from None
        for n, line in enumerate(lines, start=1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            scenario, _, record = (part.strip() for part in line.partition(":"))
            if not (scenario.lower().endswith(yaml) and record.lower().endswith(yaml)):
                msg = "expected SCENARIO:RECORD, two .yaml or .yml files"  # the line not quoted
                raise ScenarioError([Problem(text, n, "", msg)])
            pairs.append((str(path.parent / scenario), str(path.parent / record)))
    if not pairs:
        raise ScenarioError([Problem("cases", None, "", "no cases given")])
    return pairs


class CasesObjective:
    """Sum of the per-case losses, each case weighing the same, on fixed seeds per case;
    with a `prior_weight` w, plus w x the mean over the fitted parameters of
    ((value - start) / (high - low))^2: a pull towards the start (the priors), so that where
    the cases cannot tell values apart the fit stays at the start instead of wandering."""

    def __init__(self, cases: list[Case], runs: int, seed: int, prior_weight: float = 0.0,
                 start: dict[str, float] | None = None,
                 ranges: dict[str, tuple[float, float]] | None = None):  # fmt: skip
        self.objectives = [Objective(c.scenario, c.record, runs, seed) for c in cases]
        self.trace: list[Evaluation] = []
        self.prior_weight, self.start, self.ranges = prior_weight, start or {}, ranges or {}

    def losses(self, values: dict[str, float]) -> list[float]:
        """Each case's loss, without the prior pull."""
        return [objective(values) for objective in self.objectives]

    def penalty(self, values: dict[str, float]) -> float:
        """The prior pull at `values` (0 without a prior weight)."""
        if not self.prior_weight or not self.ranges:
            return 0.0
        gaps = [((values[n] - self.start[n]) / (hi - lo)) ** 2
                for n, (lo, hi) in self.ranges.items()]  # fmt: skip
        return self.prior_weight * float(np.mean(gaps))

    def __call__(self, values: dict[str, float]) -> float:
        loss = float(sum(self.losses(values))) + self.penalty(values)
        self.trace.append(Evaluation(dict(values), loss))
        return loss


@dataclass
class CasesFit:
    """One shared parameter set fitted across cases, with each case's loss before and after."""

    start: dict[str, float]
    best: dict[str, float]
    loss_start: float
    loss_best: float
    case_losses: dict[str, tuple[float, float]]  # case -> (start, fitted)
    trace: list[Evaluation] = field(default_factory=list)
    prior_weight: float = 0.0  # the pull towards the start included in loss_best


def calibrate_cases(
    cases: list[Case],
    ranges: dict[str, tuple[float, float]],
    budget: int = 60,
    runs: int = 200,
    seed: int = 1,
    progress: bool | None = None,
    prior_weight: float = 0.0,
) -> CasesFit:
    """Fit one set of behavioural parameters to the whole records of several cases.

    Args:
        cases: the contests; each keeps its own facts, only `ranges`' parameters are shared.
        ranges: parameter -> (low, high).
        budget: evaluations of the summed loss.
        runs: replications per case and evaluation (common random numbers: the same seeds
            for every evaluation).
        seed: seed of those replications.
        progress: show a bar (None: on a terminal or in a notebook).
        prior_weight: weight of the pull towards the start (`CasesObjective`); 0: none.

    Returns:
        A CasesFit; its start is the first case's parameter values, and its losses include
        the prior pull (its case_losses do not).
    """
    from sim.batching.progress import bar

    start = {n: float(getattr(cases[0].scenario.parameters, n)) for n in ranges}
    objective = CasesObjective(cases, runs, seed, prior_weight, start, ranges)
    with bar(budget, desc="evaluations", enabled=progress) as shown:
        best, loss_start, best_loss = search(objective, ranges, start, budget, seed, shown)
    before, after = objective.losses(start), objective.losses(best)
    per_case = {c.name: (b, a) for c, b, a in zip(cases, before, after, strict=True)}
    return CasesFit(start, best, loss_start, best_loss, per_case, objective.trace, prior_weight)
