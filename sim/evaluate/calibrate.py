"""Fit behavioural parameters to the part of a record before a split date.

The objective is noisy (it is read off simulated replications), so every
evaluation uses the same replication seeds (common random numbers): two
parameter sets are compared on the same draws, not on luck. The search is a
Latin hypercube over the parameter ranges, then a pattern search around the
best point with a shrinking step. Only behavioural parameters can be fitted;
facts stay as the scenario's sources say.

The search is deterministic given its seed, so an interrupted one is resumed by running it
again with the evaluations it had finished (`known`) taken as they were instead of
simulated again: it then asks for the same values in the same order and ends where an
uninterrupted search ends.
"""

from collections.abc import Callable
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


def _as_simulated(values: dict[str, float]) -> dict[str, float]:
    """`values` as they are simulated: integer parameters rounded."""
    return {k: (round(v) if k in INTEGER else v) for k, v in values.items()}


def parameter_range(name: str) -> tuple[float, float]:
    """The schema's allowed range of a behavioural parameter."""
    lo = hi = None
    for rule in Parameters.model_fields[name].metadata:
        lo = getattr(rule, "ge", None) if getattr(rule, "ge", None) is not None else lo
        lo = getattr(rule, "gt", None) if getattr(rule, "gt", None) is not None else lo
        hi = getattr(rule, "le", None) if getattr(rule, "le", None) is not None else hi
    return float(lo), float(hi)


def bound_note(name: str, value: float, low: float, high: float) -> str:
    """A warning for a fitted value at an end of the range searched that the schema would let
    it pass: the best value may lie beyond it, so the range, not the cases, set it.

    Returns:
        "" inside the range or at an end the schema allows no further; else the words.
    """
    lo, hi = parameter_range(name)
    near = 1e-6 * (high - low)
    if value >= high - near and high < hi:
        return f"  <- at the top of the range searched; the schema allows up to {hi:g}: widen it"
    if value <= low + near and low > lo:
        return (
            f"  <- at the bottom of the range searched; the schema allows down to {lo:g}: widen it"
        )
    return ""


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
        if name in out:
            msg = "given more than once in --params: give each parameter once"
            raise ScenarioError([Problem(f"--params {text}", None, name, msg)])
        lo, hi = parameter_range(name)
        if span:
            try:
                a, b = (float(x) for x in span.split(":"))
            except ValueError:
                raise ScenarioError(
                    [Problem(f"--params {text}", None, name, "range must be LOW:HIGH")]
                ) from None
            if b <= a:
                msg = "max must be above min (nothing to vary)"  # as sensitivity's --inputs
                raise ScenarioError([Problem(f"--params {text}", None, name, msg)])
            if not lo <= a < b <= hi:
                raise ScenarioError(
                    [Problem(f"--params {text}", None, name, f"range must lie in [{lo:g}, {hi:g}]")]
                )
            lo, hi = a, b
        out[name] = (lo, hi)
    return out


def start_values(
    parameters: Parameters, ranges: dict[str, tuple[float, float]]
) -> tuple[dict[str, float], list[str]]:
    """Where the search starts: the scenario's values, each brought into its range (a start
    outside it would be kept as the best if nothing inside beat it); and one note for each
    value so moved."""
    start, notes = {}, []
    for name, (lo, hi) in ranges.items():
        value = float(getattr(parameters, name))
        start[name] = min(max(value, lo), hi)
        if start[name] != value:
            notes.append(f"{name}: the scenario's {value:g} lies outside the range {lo:g} to "
                         f"{hi:g}; the search starts at {start[name]:g}")  # fmt: skip
    return start, notes


def cross_field_problem(
    ranges: dict[str, tuple[float, float]], parameters: Parameters
) -> Problem | None:
    """The schema's rule between parameters that `ranges` would break at some of its points
    (lift_threshold must not be below object_threshold), checked against the scenario's
    value of the one not searched; None if every point of the ranges keeps it."""
    lift, obj = "lift_threshold", "object_threshold"
    if lift not in ranges and obj not in ranges:
        return None
    lift_low = ranges[lift][0] if lift in ranges else float(parameters.lift_threshold)
    obj_high = ranges[obj][1] if obj in ranges else float(parameters.object_threshold)
    if lift_low >= obj_high:
        return None
    rule = "lift_threshold must not be below object_threshold"
    if lift in ranges and obj in ranges:
        msg = (
            f"lift_threshold's range starts at {lift_low:g}, below the top of "
            f"object_threshold's range, {obj_high:g} ({rule}): give ranges that do not overlap"
        )
        return Problem("--params", None, lift, msg)
    if lift in ranges:
        msg = (
            f"the range starts at {lift_low:g}, below object_threshold ({obj_high:g}) "
            f"({rule}): start it at {obj_high:g} or above"
        )
        return Problem("--params", None, lift, msg)
    msg = (
        f"the range ends at {obj_high:g}, above lift_threshold ({lift_low:g}) ({rule}): "
        f"end it at {lift_low:g} or below"
    )
    return Problem("--params", None, obj, msg)


def check_ranges(ranges: dict[str, tuple[float, float]], parameters: Parameters) -> None:
    """Raise ScenarioError if `ranges` cross a rule between parameters (`cross_field_problem`)."""
    problem = cross_field_problem(ranges, parameters)
    if problem is not None:
        raise ScenarioError([problem])


@dataclass
class Evaluation:
    """One evaluation of a search: the values tried, the loss, and (several cases) each
    case's loss without the prior pull."""

    values: dict[str, float]
    loss: float
    cases: dict[str, float] | None = None  # case name -> loss

    def as_dict(self) -> dict:
        """As a checkpoint keeps it (JSON)."""
        return {"values": self.values, "loss": self.loss,
                **({"cases": self.cases} if self.cases is not None else {})}  # fmt: skip

    @classmethod
    def from_dict(cls, data: dict) -> "Evaluation":
        """From `as_dict`; ValueError if it is not one."""
        try:
            values, loss, cases = data["values"], float(data["loss"]), data.get("cases")
            values = {str(k): float(v) for k, v in values.items()}
            if cases is not None:
                cases = {str(k): float(v) for k, v in cases.items()}
        except (KeyError, TypeError, ValueError, AttributeError):
            raise ValueError("not an evaluation") from None
        return cls(values, loss, cases)


class ReplayMismatch(Exception):
    """A resumed search asked for other values than the evaluation it was to take as known:
    that evaluation was not written by this search (other settings, or another program)."""

    def __init__(self, index: int):
        self.index = index  # 0-based number of the evaluation
        super().__init__(f"evaluation {index + 1} is not the one this search asks for")


class Replaying:
    """What both objectives share: each evaluation goes to `trace`; the first `known` ones
    are taken from there instead of computed (a resumed search), and `on_evaluation` is
    told of each one computed (to keep it, or to count it on a progress bar)."""

    trace: list[Evaluation]
    known: list[Evaluation]
    on_evaluation: Callable[[Evaluation], None] | None

    def evaluate(self, values: dict[str, float]) -> Evaluation:  # pragma: no cover
        raise NotImplementedError

    def __call__(self, values: dict[str, float]) -> float:
        n = len(self.trace)
        if n < len(self.known):
            done = self.known[n]
            if done.values != values:
                raise ReplayMismatch(n)
        else:
            done = self.evaluate(values)
            if self.on_evaluation is not None:
                self.on_evaluation(done)
        self.trace.append(done)
        return done.loss

    def replayed_all(self) -> None:
        """Raise ReplayMismatch if the search ended before using every known evaluation."""
        if len(self.trace) < len(self.known):
            raise ReplayMismatch(len(self.trace))


@dataclass
class Fit:
    """The outcome of a calibration."""

    start: dict[str, float]
    best: dict[str, float]
    loss_start: float
    loss_best: float
    scores: dict[str, dict[str, float]]  # {"default/fit": ..., "default/check": ..., ...}
    trace: list[Evaluation] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # starts brought into their ranges


class Objective(Replaying):
    """Loss of a parameter set on a record, with fixed replication seeds."""

    def __init__(self, scenario: Scenario, record: Record, runs: int, seed: int,
                 known: list[Evaluation] | None = None,
                 on_evaluation: Callable[[Evaluation], None] | None = None):  # fmt: skip
        self.scenario, self.record = scenario, record
        self.seeds = replication_seeds(seed, 0, 0, runs)
        self.trace: list[Evaluation] = []
        self.known, self.on_evaluation = list(known or ()), on_evaluation

    def forecast(self, values: dict[str, float]) -> Forecast:
        current = self.scenario.parameters.model_dump(exclude={"source", "assumption", "note"})
        params = Parameters.model_validate({**current, **_as_simulated(values), "assumption": True})
        world = build_world(self.scenario.model_copy(update={"parameters": params}))
        return Forecast.from_history(simulate(world, self.seeds))

    def evaluate(self, values: dict[str, float]) -> Evaluation:
        """The loss at `values`, simulated."""
        try:
            loss = fit_loss(self.forecast(values), self.record)
        except ValueError:  # e.g. lift_threshold pushed below object_threshold
            loss = float("inf")
        return Evaluation(dict(values), loss)


def calibrate(
    scenario: Scenario,
    record: Record,
    ranges: dict[str, tuple[float, float]],
    split: date,
    budget: int = 60,
    runs: int = 200,
    seed: int = 1,
    progress: bool | None = False,
    known: list[Evaluation] | None = None,
    on_evaluation: Callable[[Evaluation], None] | None = None,
) -> Fit:
    """Fit `ranges`' parameters on the record before `split`; score before and after it.

    Args:
        scenario, record: the contest and what happened in it.
        ranges: parameter -> (low, high).
        split: fit on the record before this date, check on the rest.
        budget, runs, seed: evaluations, replications per evaluation, their seed.
        progress: show a bar of evaluations (None: on a terminal or in a notebook).
        known: evaluations already made by this search (a resumed run, in order): taken
            as they are, not simulated again; ReplayMismatch if the search asks for others.
        on_evaluation: told of each evaluation simulated, as soon as it is known.

    Returns:
        A Fit.
    """
    from sim.batching.progress import bar

    fit_part, check_part = record.before(split), record.on_or_after(split)
    if not (fit_part.declarations or fit_part.support or fit_part.appointment):
        raise ScenarioError(
            [Problem("--split", None, "", f"the record holds nothing before {split} to fit")]
        )
    if not (check_part.declarations or check_part.support or check_part.appointment):
        # Else an empty check part is scored as if deadlock had been observed.
        msg = f"the record holds nothing on or after {split} to check the fit on"
        raise ScenarioError([Problem("--split", None, "", msg)])
    check_ranges(ranges, scenario.parameters)
    start, notes = start_values(scenario.parameters, ranges)
    with bar(budget, min(len(known or ()), budget), "evaluations", progress) as shown:
        objective = Objective(scenario, fit_part, runs, seed, known, _told(shown, on_evaluation))
        best, loss_start, best_loss = search(objective, ranges, start, budget, seed)
        objective.replayed_all()
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
    return Fit(start, best, loss_start, best_loss, scores, objective.trace, notes)


def _told(shown, on_evaluation):
    """An `on_evaluation` that tells `on_evaluation` (which keeps it), then moves the bar on."""

    def told(done: Evaluation) -> None:
        if on_evaluation is not None:
            on_evaluation(done)
        shown.update(1)

    return told


def search(objective, ranges, start, budget, seed):
    """Minimise `objective` over `ranges` from `start`: a Latin hypercube on half the budget,
    then a pattern search around the best point, halving the step when nothing improves.

    Returns (best values, loss at start, best loss). The values asked for depend only on
    the arguments and the losses, so a search given the same losses asks for the same values.
    """
    names = list(ranges)
    lo = np.array([ranges[n][0] for n in names])
    hi = np.array([ranges[n][1] for n in names])
    used = 0

    def evaluate(values):
        nonlocal used
        used += 1
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
    return _as_simulated(best), loss_start, best_loss


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
    return [(scenario, record) for scenario, record, _ in case_entries(texts)]


def missing_case_files(texts: list[str]) -> list[Problem]:
    """A problem for each scenario or record a case names that is not there, at the case
    list's line (`scenarios/cases.txt:2: records/x.yaml: file not found (paths are
    relative to the list's folder, scenarios/)`), or at the SCENARIO:RECORD argument."""
    from pathlib import Path

    problems = []
    for scenario, record, where in case_entries(texts):
        for path, written in zip((scenario, record), where[2:], strict=True):
            if Path(path).exists():
                continue
            if where[1] is None:  # a SCENARIO:RECORD argument
                problems.append(Problem(where[0], None, written, "file not found"))
                continue
            folder = Path(where[0]).parent
            shown = f"{folder}/" if str(folder) != "." else "the current folder"
            msg = f"file not found (paths are relative to the list's folder, {shown})"
            problems.append(Problem(where[0], where[1], written, msg))
    return problems


def case_entries(texts: list[str]) -> list[tuple[str, str, tuple]]:
    """(scenario, record, where) for each case: where is (the argument or list file, its
    line or None, the scenario and the record as written)."""
    from pathlib import Path

    from sim.results.files import read_regular

    yaml = (".yaml", ".yml")
    pairs = []
    for text in texts:
        if ":" in text:
            scenario, _, record = text.partition(":")
            pairs.append((scenario, record, (text, None, scenario, record)))
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
            where = (text, n, scenario, record)
            pairs.append((str(path.parent / scenario), str(path.parent / record), where))
    if not pairs:
        raise ScenarioError([Problem("cases", None, "", "no cases given")])
    return pairs


class CasesObjective(Replaying):
    """Sum of the per-case losses, each case weighing the same, on fixed seeds per case;
    with a `prior_weight` w, plus w x the mean over the fitted parameters of
    ((value - start) / (high - low))^2: a pull towards the start (the priors), so that where
    the cases cannot tell values apart the fit stays at the start instead of wandering."""

    def __init__(self, cases: list[Case], runs: int, seed: int, prior_weight: float = 0.0,
                 start: dict[str, float] | None = None,
                 ranges: dict[str, tuple[float, float]] | None = None,
                 known: list[Evaluation] | None = None,
                 on_evaluation: Callable[[Evaluation], None] | None = None):  # fmt: skip
        self.names = [c.name for c in cases]
        self.objectives = [Objective(c.scenario, c.record, runs, seed) for c in cases]
        self.trace: list[Evaluation] = []
        self.prior_weight, self.start, self.ranges = prior_weight, start or {}, ranges or {}
        self.known, self.on_evaluation = list(known or ()), on_evaluation

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

    def evaluate(self, values: dict[str, float]) -> Evaluation:
        """The summed loss at `values` (with the prior pull) and each case's, simulated."""
        losses = self.losses(values)
        loss = float(sum(losses)) + self.penalty(values)
        return Evaluation(dict(values), loss, dict(zip(self.names, losses, strict=True)))

    def case_losses(self, values: dict[str, float]) -> list[float]:
        """Each case's loss at `values` (integer parameters rounded, as they are simulated):
        from the trace if the search evaluated them, else simulated."""
        at = _as_simulated(values)
        for done in self.trace:
            if done.cases is not None and _as_simulated(done.values) == at:
                return [done.cases[name] for name in self.names]
        return self.losses(values)


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
    notes: list[str] = field(default_factory=list)  # starts brought into their ranges


def calibrate_cases(
    cases: list[Case],
    ranges: dict[str, tuple[float, float]],
    budget: int = 60,
    runs: int = 200,
    seed: int = 1,
    progress: bool | None = None,
    prior_weight: float = 0.0,
    known: list[Evaluation] | None = None,
    on_evaluation: Callable[[Evaluation], None] | None = None,
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
        known: evaluations already made by this search (a resumed run, in order): taken as
            they are, not simulated again (the bar counts them as done); ReplayMismatch if
            the search asks for other values.
        on_evaluation: told of each evaluation simulated, as soon as it is known.

    Returns:
        A CasesFit; its start is the first case's parameter values (brought into the
        ranges: `start_values`), and its losses include
        the prior pull (its case_losses do not).
    """
    from sim.batching.progress import bar

    for case in cases:
        check_ranges(ranges, case.scenario.parameters)
    start, notes = start_values(cases[0].scenario.parameters, ranges)
    with bar(budget, min(len(known or ()), budget), "evaluations", progress) as shown:
        objective = CasesObjective(cases, runs, seed, prior_weight, start, ranges, known,
                                   _told(shown, on_evaluation))  # fmt: skip
        best, loss_start, best_loss = search(objective, ranges, start, budget, seed)
        objective.replayed_all()
    # The search evaluated both (the start first): their losses are in its trace.
    before, after = objective.case_losses(start), objective.case_losses(best)
    per_case = {c.name: (b, a) for c, b, a in zip(cases, before, after, strict=True)}
    return CasesFit(start, best, loss_start, best_loss, per_case, objective.trace, prior_weight,
                    notes)  # fmt: skip
