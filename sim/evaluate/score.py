"""Scores of a forecast against an observed record, and simple baselines to beat.

Every score is defined for probabilities over outcomes (each candidate, or
deadlock), so the agent-based model and the baselines are scored the same way;
scores a baseline cannot give are left out rather than faked.
"""

import math
from dataclasses import dataclass
from datetime import date

import numpy as np
from scipy.stats import spearmanr

from sim.engine.world import World
from sim.errors import FailedRunsError
from sim.evaluate.forecast import CountedForecast, Forecast, deadlock_day
from sim.evaluate.record import Record
from sim.results.outcomes import DEADLOCK, quantiles

SCORES = [
    ("brier", "Brier score of the outcome (0 best, 2 worst)"),
    ("log_score", "log probability of the observed outcome (0 best)"),
    ("p_observed", "probability given to the observed outcome"),
    (
        "date_error_days",
        "median simulated appointment date minus the observed one, in days "
        "(every run counted, whoever it appoints; a deadlock as after the last round)",
    ),
    ("date_in_50", "observed date inside the simulated 50% interval (1 yes, 0 no)"),
    ("date_in_90", "observed date inside the simulated 90% interval (1 yes, 0 no)"),
    ("support_rmse", "root-mean-square error of supporters per candidate at the record's dates"),
    ("declaration_rank_rho", "rank correlation of simulated and observed order of declaration"),
    (
        "holdout_hit_rate",
        "share of the runs that appointed in which each observed last holdout is a simulated one",
    ),
]


def observed_outcome(record: Record) -> str:
    """The observed winner, or deadlock when the record holds no appointment (before its
    `until` date, if it has one)."""
    return record.appointment.winner if record.appointment else DEADLOCK


def brier(probs: dict[str, float], observed: str) -> float:
    """Multi-category Brier score: sum over outcomes of (p - observed)^2."""
    return sum((p - (k == observed)) ** 2 for k, p in probs.items())


def log_score(probs: dict[str, float], observed: str, runs: int) -> float:
    """ln p(observed). A probability below 1/(2 runs) is floored there, `runs` being the
    replications of the batch scored: the model and every baseline scored against that
    batch take the same floor, so that one unseen outcome does not make the score infinite
    and no forecaster gains or loses by the floor alone."""
    return math.log(max(probs.get(observed, 0.0), 1 / (2 * runs)))


def outcome_scores(probs: dict[str, float], record: Record, runs: int) -> dict:
    """The scores any forecast of the outcome can be given; `runs`: the replications of the
    batch scored, whose 1/(2 runs) floors the log score (see `log_score`)."""
    observed = observed_outcome(record)
    return {
        "brier": brier(probs, observed),
        "log_score": log_score(probs, observed, runs),
        "p_observed": probs.get(observed, 0.0),
    }


def date_scores(forecast: Forecast | CountedForecast, record: Record) -> dict:
    """Median error of the appointment date and whether the observed date is in the 50%/90% bands."""
    if record.appointment is None:
        return {}
    seen = record.appointment.date.toordinal()
    q05, q25, q50, q75, q95 = forecast.date_quantiles()
    # Simulated dates come in rounds: an appointment between two round dates belongs to the
    # round that follows it, and that round date is what the intervals are checked against.
    rounds = [d.toordinal() for d in forecast.world.dates]
    later = [r for r in rounds if r >= seen]
    as_round = later[0] if later else rounds[-1] + forecast.world.scenario.calendar.round_days
    return {
        "date_error_days": float(q50 - seen),
        "date_in_50": float(q25 <= as_round <= q75),
        "date_in_90": float(q05 <= as_round <= q95),
    }


def date_reading(forecast: Forecast | CountedForecast, record: Record) -> str | None:
    """In words, what the date scores count and the median of the runs that appointed:
    the two medians differ when some runs deadlock (they count as appointing after the
    last round), and a batch's report gives the second."""
    if record.appointment is None:
        return None
    seen = record.appointment.date
    q50 = int(forecast.date_quantiles()[2])
    text = ("dates: the date scores count every run, whoever it appoints, a deadlock as "
            "appointing after the last round: ")  # fmt: skip
    if q50 >= deadlock_day(forecast.world):
        text += "fewer than half the runs appoint (more than half deadlock), so no median date"
    else:
        text += f"half the runs have appointed by {date.fromordinal(q50)}, {_against(q50, seen)}"
    appointed = forecast.appointed_date_quantiles()
    if appointed is None:
        return text
    share = 1 - forecast.probabilities()[DEADLOCK]
    if share >= 1:
        return text + " (no run deadlocks)"
    day = int(appointed[2])
    return (text + f"; the {share:.1%} of runs that appointed did so by a median of "
            f"{date.fromordinal(day)}, {_against(day, seen)}")  # fmt: skip


def _against(day: int, seen: date) -> str:
    n = day - seen.toordinal()
    return "the observed day" if n == 0 else (
        f"{abs(n)} day{'s' * (abs(n) != 1)} {'after' if n > 0 else 'before'} the observed {seen}")  # fmt: skip


def support_rmse(forecast: Forecast | CountedForecast, record: Record) -> dict:
    """RMSE of the mean simulated supporters against the record's dated counts."""
    if not record.support:
        return {}
    cands = forecast.world.candidates
    errors = []
    for entry in record.support:
        t = forecast.round_of(entry.date)
        simulated = forecast.mean_supporters(t, cands.index(entry.candidate))
        errors.append(simulated - entry.supporters)
    return {"support_rmse": float(np.sqrt(np.mean(np.square(errors))))}


def declaration_rank(forecast: Forecast | CountedForecast, record: Record) -> dict:
    """Spearman correlation of observed declaration dates and simulated mean first rounds."""
    pairs = [
        (d.date.toordinal(), forecast.first_round[(d.member, d.candidate)])
        for d in record.declarations
        if (d.member, d.candidate) in forecast.first_round
    ]
    if len(pairs) < 3 or len({p[0] for p in pairs}) < 2 or len({p[1] for p in pairs}) < 2:
        return {}
    rho = spearmanr([p[0] for p in pairs], [p[1] for p in pairs]).statistic
    return {"declaration_rank_rho": float(rho)}


def holdout_hits(forecast: Forecast | CountedForecast, record: Record) -> dict:
    """Mean over the observed last holdouts of the share of the runs that appointed which
    name them too (a deadlocked run has no last holdouts, so it is not counted); none when
    no run appointed (n/a, not 0)."""
    appointed = forecast.appointed_runs
    if not record.last_holdouts or not appointed:
        return {}
    shares = [forecast.holdout_runs(code) / appointed for code in record.last_holdouts]
    return {"holdout_hit_rate": float(np.mean(shares))}


def score(forecast: Forecast | CountedForecast, record: Record) -> dict[str, float]:
    """Every score the record allows for this forecast.

    Raises FailedRunsError when the forecast holds no replication (every one failed).
    """
    if not forecast.runs:
        raise FailedRunsError("every replication failed, so there is nothing to score")
    return {
        **outcome_scores(forecast.probabilities(record.until), record, forecast.runs),
        **date_scores(forecast, record),
        **support_rmse(forecast, record),
        **declaration_rank(forecast, record),
        **holdout_hits(forecast, record),
    }


# --- shortfalls on the measures no baseline gives ------------------------------------------

SHORT_RHO = 0.5  # below this the simulated order of declaration is at best weakly right
SHORT_HOLDOUTS = 0.5  # below this a typical appointing run misses most observed last holdouts


def standstill_rmse(world: World, record: Record) -> float | None:
    """RMSE of "nobody moves" (each candidate keeps its starting supporters) against the
    record's dated counts: what a support RMSE must beat to show the model learnt anything."""
    if not record.support:
        return None
    start = world.initial[world.rounds[0].active]
    errors = [
        int((start == world.candidates.index(e.candidate)).sum()) - e.supporters
        for e in record.support
    ]
    return float(np.sqrt(np.mean(np.square(errors))))


def shortfalls(scores: dict, standstill: float | None = None) -> list[str]:
    """Every measure without a baseline on which the model fell short, in plain words.

    Args:
        scores: the model's scores (as from `score`).
        standstill: `standstill_rmse` of the record, the bar for `support_rmse`.

    Returns:
        One phrase per shortfall: the observed date outside the simulated 50% or 90%
        interval, a support RMSE no better than the standstill, a declaration rank
        correlation below SHORT_RHO, a holdout hit rate below SHORT_HOLDOUTS.
    """
    out = []
    err = scores.get("date_error_days")
    days = f"{abs(err):.0f} day{'s' * (round(abs(err)) != 1)}" if err else ""
    off = f"; the median is {days} {'early' if err < 0 else 'late'}" if err else ""
    if scores.get("date_in_90") == 0:
        out.append(f"the observed appointment date is outside the simulated 90% interval{off}")
    elif scores.get("date_in_50") == 0:
        out.append(f"the observed appointment date is outside the simulated 50% interval "
                   f"(inside the 90%){off}")  # fmt: skip
    rmse = scores.get("support_rmse")
    if rmse is not None and standstill is not None and rmse >= standstill:
        out.append(f"support_rmse {rmse:.3g} members is no better than assuming nobody moves "
                   f"({standstill:.3g})")  # fmt: skip
    rho = scores.get("declaration_rank_rho")
    if rho is not None and rho < SHORT_RHO:
        out.append(f"declaration_rank_rho {rho:.2f} is below {SHORT_RHO} (order of declaration "
                   "at best weakly right)")  # fmt: skip
    hits = scores.get("holdout_hit_rate")
    if hits is not None and hits < SHORT_HOLDOUTS:
        out.append(f"holdout_hit_rate {hits:.2f} is below {SHORT_HOLDOUTS} (most observed last "
                   "holdouts missed in a typical run that appointed)")  # fmt: skip
    return out


# --- baselines -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Baseline:
    """A simple forecast of the outcome only."""

    name: str
    description: str
    probabilities: dict[str, float]


def baselines(world: World) -> list[Baseline]:
    """The compromise model, "follow the major powers", and a uniform guess."""
    return [compromise(world), major_powers(world), uniform(world)]


def compromise(world: World) -> Baseline:
    """Each member backs the candidate that fits it best (affinity minus grievance at the
    start; every candidate of the scenario, including those entering later), with a weight of
    capability x salience; a candidate's probability is its share of that weight (ties
    split). After the compromise model of The European Union Decides."""
    affinity, grievance, _ = world.matrices(0)
    fit = affinity - grievance
    weight = world.capability * world.salience * world.rounds[0].active
    votes = np.zeros(len(world.candidates))
    for i, row in enumerate(fit):
        best = np.flatnonzero(row == row.max())
        votes[best] += weight[i] / len(best)
    total = votes.sum()
    probs = votes / total if total > 0 else np.full(len(votes), 1 / len(votes))
    return Baseline(
        "compromise",
        "capability x salience weighted vote by policy fit",
        {**dict(zip(world.candidates, probs.tolist(), strict=True)), DEADLOCK: 0.0},
    )


def major_powers(world: World) -> Baseline:
    """The candidate declared for by most of the major powers wins (ties split). Major
    powers: members with at least half the largest capability."""
    major = world.capability >= 0.5 * world.capability.max()
    backing = np.zeros(len(world.candidates))
    for i in np.flatnonzero(major):
        if world.initial[i] >= 0:
            backing[world.initial[i]] += 1
    if backing.max() == 0:
        return Baseline(
            "major powers", "no major power has declared: uniform", uniform(world).probabilities
        )
    best = backing == backing.max()
    probs = best / best.sum()
    names = ", ".join(world.members[i] for i in np.flatnonzero(major))
    return Baseline(
        "major powers",
        f"the candidate most of {names} back wins",
        {**dict(zip(world.candidates, probs.tolist(), strict=True)), DEADLOCK: 0.0},
    )


def uniform(world: World) -> Baseline:
    """Every candidate equally likely."""
    p = 1 / len(world.candidates)
    return Baseline(
        "uniform",
        "every candidate equally likely",
        {**dict.fromkeys(world.candidates, p), DEADLOCK: 0.0},
    )


# --- calibration objective -----------------------------------------------------------------


def fit_loss(forecast: Forecast, record: Record) -> float:
    """One number to minimise when fitting to (part of) a record; each term is scaled to
    about 0-1 so that none dominates: support error per member, declaration timing error
    per round of the calendar, the outcome's Brier score and the date error per calendar."""
    world = forecast.world
    n, rounds = len(world.members), world.n_rounds + 1
    terms = []
    if record.support:
        terms.append(support_rmse(forecast, record)["support_rmse"] / n)
    timing = [
        abs(forecast.first_round[(d.member, d.candidate)] - forecast.round_of(d.date))
        for d in record.declarations
        if (d.member, d.candidate) in forecast.first_round
    ]
    if timing:
        terms.append(float(np.mean(timing)) / rounds)
    if record.appointment is not None or record.until is not None:
        probs = forecast.probabilities(record.until)
        terms.append(outcome_scores(probs, record, forecast.runs)["brier"] / 2)
    if record.appointment is not None:
        days = abs(quantiles(forecast.appointment_dates())[2] - record.appointment.date.toordinal())
        span = (world.dates[-1] - world.dates[0]).days or 1
        terms.append(min(days / span, 1.0))
    return float(np.mean(terms)) if terms else 0.0


def record_dates(record: Record) -> list[date]:
    """Every date in the record, sorted."""
    days = [d.date for d in record.declarations] + [s.date for s in record.support]
    days += [w.date for w in record.withdrawals]
    if record.appointment:
        days.append(record.appointment.date)
    return sorted(days)
