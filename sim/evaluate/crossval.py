"""Leave-one-contest-out: fit on all cases but one, score on the one left out.

A parameter set earns trust only on contests it was not fitted on. For each case the shared
parameters are fitted (`calibrate_cases`) on the others, then the left-out case is forecast
with them and scored beside the three baselines (compromise, major powers, uniform).
"""

from collections.abc import Callable
from dataclasses import dataclass

from sim.evaluate.calibrate import Case, Objective, calibrate_cases
from sim.evaluate.forecast import Forecast
from sim.evaluate.profile import Profile, profile
from sim.evaluate.score import baselines, fit_loss, outcome_scores, score

# The columns of the crossval table, in order (a baseline gives only the first three).
COLUMNS = (
    "p_observed", "brier", "log_score", "date_error_days", "date_in_50", "date_in_90",
    "support_rmse", "declaration_rank_rho", "holdout_hit_rate", "loss",
)  # fmt: skip


@dataclass
class Fold:
    """One left-out case: the parameters fitted without it, its forecast and scores."""

    case: Case
    fitted: dict[str, float]
    forecast: Forecast
    scores: dict[str, float]
    baselines: dict[str, dict[str, float]]  # baseline name -> outcome scores
    profile: Profile | None = None  # every case's loss along each parameter, at `fitted`


@dataclass
class CrossVal:
    """Every fold of a leave-one-contest-out run."""

    folds: list[Fold]

    def mean_loss(self) -> float:
        """The left-out cases' mean fit loss (`fit_loss`, without any prior pull): the
        number to compare crossvals by, e.g. over prior weights."""
        return float(sum(f.scores["loss"] for f in self.folds) / len(self.folds))

    def rows(self) -> list[dict]:
        """One row per case and forecaster (the model, then each baseline)."""
        out = []
        for fold in self.folds:
            name = fold.case.name
            fitted = ", ".join(f"{k}={v:.4g}" for k, v in fold.fitted.items())
            out.append({"case": name, "forecaster": "agent-based model", "fitted": fitted,
                        **{k: fold.scores.get(k) for k in COLUMNS}})  # fmt: skip
            for label, scores in fold.baselines.items():
                out.append({"case": name, "forecaster": label, "fitted": "",
                            **{k: scores.get(k) for k in COLUMNS}})  # fmt: skip
        return out


def crossval(
    cases: list[Case],
    ranges: dict[str, tuple[float, float]],
    budget: int = 30,
    runs: int = 200,
    seed: int = 1,
    progress: bool | None = None,
    prior_weight: float = 0.0,
    known: dict[str, dict[str, float]] | None = None,
    on_fold: Callable[[str, dict[str, float]], None] | None = None,
    profile_points: int = 0,
    known_profiles: dict[str, Profile] | None = None,
    on_profile: Callable[[str, Profile], None] | None = None,
) -> CrossVal:
    """Leave each case out in turn: fit on the others, score on it.

    Args:
        cases: at least two contests.
        ranges: the shared parameters to fit, name -> (low, high).
        budget, runs, seed, progress, prior_weight: as for `calibrate_cases` (the same seeds
            in every fold).
        known: case name -> values already fitted without it (a resumed run): that fold is
            not fitted again; its forecast and scores are computed as for a new fit.
        on_fold: told (case name, fitted values) as soon as each fold's fit is known, so a
            caller can keep it (a checkpoint).
        profile_points: if > 0, profile each fold's fit (`profile`, this many points a
            parameter) on every case, the left-out one included, on the same seeds.
        known_profiles: case name -> that fold's profile already made (a resumed run).
        on_profile: told (case name, profile) as soon as each fold's profile is known.

    Returns:
        A CrossVal with one Fold per case, in the order given.
    """
    if len(cases) < 2:
        raise ValueError("crossval needs at least two cases")
    folds = []
    for k, held in enumerate(cases):
        others = cases[:k] + cases[k + 1 :]
        if known and held.name in known:
            fitted = dict(known[held.name])
        else:
            fitted = calibrate_cases(others, ranges, budget, runs, seed, progress,
                                     prior_weight).best  # fmt: skip
        if on_fold is not None:
            on_fold(held.name, fitted)
        forecast = Objective(held.scenario, held.record, runs, seed).forecast(fitted)
        world = forecast.world
        base = {  # scored as the model's batch is: the same log-score floor, 1/(2 runs)
            b.name: outcome_scores(b.probabilities, held.record, forecast.runs)
            for b in baselines(world)
        }
        scores = {**score(forecast, held.record), "loss": fit_loss(forecast, held.record)}
        profiled = None
        if profile_points and known_profiles and held.name in known_profiles:
            profiled = known_profiles[held.name]
        elif profile_points:
            profiled = profile(cases, fitted, ranges, profile_points, runs, seed, progress)
            if on_profile is not None:
                on_profile(held.name, profiled)
        folds.append(Fold(held, fitted, forecast, scores, base, profiled))
    return CrossVal(folds)
