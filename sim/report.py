"""The batch report: outcome probabilities, dates, withdrawals, holdouts, figures, report.md.

runs.csv is read once, keeping one small number per replication (point, outcome,
appointment day) and counters for the rest, so that 100,000 replications take a few
megabytes; trajectories come from trajectories.npz. Failed replications are counted
and left out of every probability and figure.
"""

import csv
import json
import re
import shlex
from array import array
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from operator import itemgetter
from pathlib import Path
from statistics import NormalDist

import numpy as np

from sim import plots
from sim.batch import load_trajectories, point_world
from sim.history import simulate
from sim.results import write_atomic
from sim.scenario import scenario_digest

Z95 = NormalDist().inv_cdf(0.975)
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
FAN_POINTS = 4  # a fan panel per point up to this many points, else point 0 only
TOP = 5
DEADLOCK = -2  # outcome code while reading; becomes len(candidates) once they are all known


def wilson(k, n, z: float = Z95):
    """The Wilson score interval (lo, hi) of the proportion k/n; (0, 1) when n is 0."""
    k, n = np.asarray(k, dtype=float), np.asarray(n, dtype=float)
    safe = np.maximum(n, 1.0)
    p = k / safe
    denom = 1 + z**2 / safe
    centre = (p + z**2 / (2 * safe)) / denom
    half = z * np.sqrt(p * (1 - p) / safe + z**2 / (4 * safe**2)) / denom
    # lo <= p <= hi holds exactly, but not always in floating point at p = 0 or 1.
    lo = np.where(n > 0, np.clip(np.minimum(centre - half, p), 0.0, 1.0), 0.0)
    hi = np.where(n > 0, np.clip(np.maximum(centre + half, p), 0.0, 1.0), 1.0)
    return lo, hi


@dataclass
class Runs:
    """runs.csv boiled down: arrays of one number per replication, counters for the rest."""

    candidates: list[str]
    point: np.ndarray  # (R,) sweep point
    outcome: np.ndarray  # (R,) candidate index, len(candidates) for deadlock, -1 failed
    day: np.ndarray  # (R,) date ordinal of the appointment, 0 if none
    withdrawals: Counter  # (candidate, point, round) -> replications
    holdouts: Counter  # member -> replications with it among the last holdouts
    groups: Counter  # sorted tuple of last holdouts -> replications
    conceded: int  # replications with any concession
    courted: Counter  # member -> replications in which it was offered a concession
    errors: Counter  # error message -> replications
    first: dict  # point 0: (winner, round) -> [replications, first run, its seed]

    @property
    def labels(self) -> list[str]:
        return [*self.candidates, "deadlock"]

    @property
    def n(self) -> int:
        return int((self.outcome >= 0).sum())

    @property
    def appointed(self) -> int:
        return int(((self.outcome >= 0) & (self.outcome < len(self.candidates))).sum())

    def counts(self, points: int) -> np.ndarray:
        """(points, outcomes) replications per point and outcome, failed ones left out."""
        ok = self.outcome >= 0
        k = len(self.labels)
        flat = self.point[ok].astype(np.int64) * k + self.outcome[ok]
        return np.bincount(flat, minlength=points * k).reshape(points, k)

    def modal(self) -> tuple[str, int | None, int, int] | None:
        """Point 0's most frequent (winner, appointment round), with its first run and seed.

        Ties go to the outcome whose first replication came first.
        """
        if not self.first:
            return None
        (winner, at), (_, run, seed) = max(
            self.first.items(), key=lambda item: (item[1][0], -item[1][1])
        )
        return winner, at, run, seed


def read_runs(path: Path, candidates: list[str]) -> Runs:
    """Read runs.csv row by row, keeping only what the report needs."""
    candidates = list(candidates)
    index = {c: i for i, c in enumerate(candidates)}
    points, outcomes, days = array("i"), array("i"), array("i")
    # The event columns repeat a lot: tally their texts now, take them apart once at the end.
    withdrawn_texts, held_texts, conceded_texts, errors = Counter(), Counter(), Counter(), Counter()
    first, ordinals = {}, {"": 0}
    names = ("run", "seed", "point", "winner", "appointed_round", "appointed_date",
             "withdrawn", "last_holdouts", "concessions", "error")  # fmt: skip
    with Path(path).open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        column = {name: i for i, name in enumerate(next(reader))}
        fields = itemgetter(*(column[name] for name in names))
        for row in reader:
            run, seed, point, winner, at, day, withdrawn, held, concessions, error = fields(row)
            point = int(point)
            points.append(point)
            if error:
                errors[error] += 1
                outcomes.append(-1)
                days.append(0)
                continue
            if winner and winner not in index:  # a sweep may add candidates after point 0's
                index[winner] = len(candidates)
                candidates.append(winner)
            outcomes.append(index[winner] if winner else DEADLOCK)
            if day not in ordinals:
                ordinals[day] = date.fromisoformat(day).toordinal()
            days.append(ordinals[day])
            if withdrawn:
                withdrawn_texts[point, withdrawn] += 1
            if held:
                held_texts[held] += 1
            if concessions:
                conceded_texts[concessions] += 1
            if point == 0:
                key = (winner, int(at) if at else None)
                if key in first:
                    first[key][0] += 1
                else:
                    first[key] = [1, int(run), int(seed)]
    withdrawals, holdouts, groups, courted = Counter(), Counter(), Counter(), Counter()
    for (point, text), k in withdrawn_texts.items():
        for item in text.split(";"):
            cand, _, t = item.partition("@")
            withdrawals[cand, point, int(t)] += k
    for text, k in held_texts.items():
        members = text.split(";")
        for m in members:
            holdouts[m] += k
        groups[tuple(sorted(members))] += k
    for text, k in conceded_texts.items():
        for m in {item.partition("@")[0] for item in text.split(";")}:
            courted[m] += k
    outcome = np.array(outcomes, dtype=np.int32)
    outcome[outcome == DEADLOCK] = len(candidates)
    return Runs(candidates, np.array(points, dtype=np.int32), outcome,
                np.array(days, dtype=np.int32), withdrawals, holdouts, groups,
                conceded_texts.total(), courted, errors, first)  # fmt: skip


def date_quantiles(days: np.ndarray) -> list[date] | None:
    """5/25/50/75/95% of date ordinals, each an actual date of the sample (inverted CDF)."""
    if not len(days):
        return None
    q = np.quantile(days, QUANTILES, method="inverted_cdf")
    return [date.fromordinal(int(d)) for d in q]


# --- writing ---------------------------------------------------------------------------


def write_report(out: Path) -> list[str]:
    """Write plots/*.png and report.md into a finished batch folder; return terminal lines."""
    out = Path(out)
    info = json.loads((out / "batch.json").read_text())
    meta = json.loads((out / "manifest.json").read_text())
    world = point_world(out, 0)
    runs = read_runs(out / "runs.csv", world.candidates)
    n_points = len(info["points"])
    # Dates differ between points only when a sweep moves the calendar.
    moving = any(key.startswith("calendar") for key in info["swept"])

    @cache
    def dates_of(point: int) -> list[date]:
        return point_world(out, point).dates if moving and point else world.dates

    md = _head(info, meta, runs, world)
    if not runs.n:
        md.append("Every replication failed, so there is nothing to report.\n")
        write_atomic(out / "report.md", "\n".join(md))
        return [f"  all {len(runs.outcome):,} replications failed", f"  report: {out}/report.md"]
    counts = runs.counts(n_points)
    total = counts.sum(axis=0)
    lo, hi = wilson(total, runs.n)
    quant = [date_quantiles(runs.day[runs.outcome == k]) for k in range(len(runs.candidates))]
    figures = _figures(out, info, runs, world, counts, moving)
    md += _summary(runs, total, lo, hi, quant, dates_of, n_points)
    if info["swept"]:
        md += _points_table(info, runs, counts)
    md += ["## Figures", "", *figures]
    write_atomic(out / "report.md", "\n".join(md))
    lines = []
    for k, label in enumerate(runs.labels):
        line = f"  {label:<10} {_num(total[k] / runs.n):>5}% [{_num(lo[k])}, {_num(hi[k])}]"
        if k < len(quant) and quant[k]:
            line += f"  median appointment {quant[k][2]} (IQR {quant[k][1]} to {quant[k][3]})"
        lines.append(line)
    if n_points > 1:
        lines.append(f"  (all {n_points} sweep points pooled; each point in report.md)")
    if runs.errors:
        lines.append(
            f"  {sum(runs.errors.values()):,} replications failed (error column of runs.csv)"
        )
    if any(line.startswith("**Note:**") for line in md):
        lines.append(f"  note: {info['scenario_path']} has changed since this batch ran")
    return [*lines, f"  report: {out}/report.md"]


def _head(info: dict, meta: dict, runs: Runs, world) -> list[str]:
    created = datetime.fromisoformat(meta["created"]).strftime("%Y-%m-%d %H:%M %Z")
    points = len(info["points"])
    what = f"{len(runs.outcome):,} replications"
    if points > 1:
        what += f" ({points} sweep points x {info['runs_per_point']:,})"
    md = [
        f"# Batch report: {meta['scenario']}",
        "",
        f"{what} of `{meta['scenario_path']}`, batch seed {meta['seed']}, run {created} "
        f"with coalition-sim {meta['package_version']}.",
        "",
        f"Command: `{meta['command']}`",
        "",
    ]
    if not _file_unchanged(info):
        md += [
            f"**Note:** `{meta['scenario_path']}` has changed since this batch ran (or cannot "
            "be read from here). The figures use the scenario as it ran (saved in `points/`); the "
            "replay command below reads the file as it is now.",
            "",
        ]
    return md


def _file_unchanged(info: dict) -> bool:
    """Whether the scenario file still resolves to what point 0 ran."""
    from sim.errors import ScenarioError
    from sim.scenario import load_scenario

    try:
        now = load_scenario(info["scenario_path"], info["overrides"])
    except ScenarioError:
        return False
    values = info["points"][0]["values"]
    if values:  # a sweep point: compare what the sweep's first point sets
        sets = [f"{k}={json.dumps(v)}" for k, v in values.items()]
        now = load_scenario(info["scenario_path"], [*info["overrides"], *sets])
    return scenario_digest(now) == info["points"][0]["scenario_sha256"]


def _num(x: float) -> str:
    """A share as a percentage number: one decimal, more near 0 and 100 so as not to claim them."""
    for digits in (1, 2, 3):
        text = f"{100 * x:.{digits}f}"
        if x in (0, 1) or 0 < float(text) < 100:
            break
    return text


def _pct(x: float) -> str:
    return f"{_num(x)}%"


def _interval(lo: float, hi: float) -> str:
    return f"{_num(lo)} to {_num(hi)}%"


def _summary(runs: Runs, total, lo, hi, quant, dates_of, n_points: int) -> list[str]:
    n, cands = runs.n, runs.candidates
    pooled = f" (all {n_points} sweep points pooled)" if n_points > 1 else ""
    md = [
        "## Outcomes",
        "",
        f"Share of the {n:,} replications{pooled} that ended with each outcome; deadlock means "
        "no candidate was appointed by the last round. The interval is the 95% Wilson score "
        "interval. Dates are those of the replications the candidate won: the median, the "
        "middle half (25% to 75%) and the middle 90% (5% to 95%); each is a round date that "
        "occurred.",
        "",
        "| outcome | probability | 95% interval | replications | median appointment | middle 50% | middle 90% |",
        "|---|---:|---|---:|---|---|---|",
    ]
    for k, label in enumerate(runs.labels):
        q = quant[k] if k < len(quant) else None
        dates = [str(q[2]), f"{q[1]} to {q[3]}", f"{q[0]} to {q[4]}"] if q else ["-"] * 3
        md.append(f"| {label} | {_pct(total[k] / n)} | {_interval(lo[k], hi[k])} | "
                  f"{total[k]:,} of {n:,} | {' | '.join(dates)} |")  # fmt: skip
    won = runs.day[(runs.outcome >= 0) & (runs.outcome < len(cands))]
    q = date_quantiles(won)
    if q:
        md += ["", f"Any appointment: {_pct(len(won) / n)} of replications; median date {q[2]}, "
                   f"middle 50% {q[1]} to {q[3]}, middle 90% {q[0]} to {q[4]}."]  # fmt: skip
    md += ["", "## Withdrawals", "",
           "Share of replications in which each candidate withdrew, and the median date of "
           "those withdrawals.", "",
           "| candidate | withdrew | median withdrawal date |", "|---|---:|---|"]  # fmt: skip
    for cand in cands:
        when = [(dates_of(p)[t].toordinal(), k) for (c, p, t), k in runs.withdrawals.items()
                if c == cand]  # fmt: skip
        count = sum(k for _, k in when)
        days = np.repeat([d for d, _ in when], [k for _, k in when]).astype(np.int64)
        median = str(date_quantiles(days)[2]) if count else "-"
        md.append(f"| {cand} | {_pct(count / n)} ({count:,}) | {median} |")
    if runs.appointed:
        a = runs.appointed
        md += ["", "## Last holdouts", "",
               f"Members most often among the last three to back the winner, as a share of the "
               f"{a:,} replications with an appointment.", "",
               "| member | share | replications |", "|---|---:|---:|"]  # fmt: skip
        md += [f"| {m} | {_pct(k / a)} | {k:,} |" for m, k in runs.holdouts.most_common(TOP)]
        md += ["", "The most frequent groups of last holdouts (the same members, in any order):",
               "", "| members | share | replications |", "|---|---:|---:|"]  # fmt: skip
        md += [f"| {', '.join(g)} | {_pct(k / a)} | {k:,} |"
               for g, k in runs.groups.most_common(TOP)]  # fmt: skip
    md += ["", "## Concessions", "",
           f"{_pct(runs.conceded / n)} of replications ({runs.conceded:,}) saw at least one "
           "concession."]  # fmt: skip
    if runs.courted:
        md += ["", "Members most often offered one (share of all replications):", "",
               "| member | share | replications |", "|---|---:|---:|"]  # fmt: skip
        md += [f"| {m} | {_pct(k / n)} | {k:,} |" for m, k in runs.courted.most_common(TOP)]
    if runs.errors:
        failed = sum(runs.errors.values())
        md += ["", "## Failed replications", "",
               f"{failed:,} of {len(runs.outcome):,} replications failed and are left out of "
               "every number and figure here. Their errors (the error column of runs.csv):", ""]  # fmt: skip
        md += [f"- {k:,} x `{e}`" for e, k in runs.errors.most_common(TOP)]
    return [*md, ""]


def _points_table(info: dict, runs: Runs, counts: np.ndarray) -> list[str]:
    keys, labels = info["swept"], runs.labels
    per = info["runs_per_point"]
    lo, hi = wilson(per // 2, per)
    md = ["## Sweep points", "",
          f"Outcome probabilities at each point ({per:,} replications each, so each is known "
          f"to within about {100 * (hi - lo) / 2:.1f} percentage points, 95%).", "",
          f"| point | {' | '.join(keys)} | {' | '.join(labels)} | replications |",
          "|---:|" + "---|" * len(keys) + "---:|" * (len(labels) + 1)]  # fmt: skip
    for p, row in zip(info["points"], counts, strict=True):
        n = int(row.sum())
        values = " | ".join(_value(p["values"][k]) for k in keys)
        probs = " | ".join(_pct(k / n) if n else "-" for k in row)
        md.append(f"| {p['point']} | {values} | {probs} | {n:,} |")
    return [*md, ""]


def _value(v) -> str:
    return f"{v:.4g}" if isinstance(v, float) and len(str(v)) > 6 else str(v)


def _figures(out: Path, info: dict, runs: Runs, world, counts, moving: bool) -> list[str]:
    """Draw every figure; return the markdown that shows them."""
    folder, name = out / "plots", world.scenario.name
    n_points, labels, cands = len(info["points"]), runs.labels, runs.candidates
    shown = range(n_points) if n_points <= FAN_POINTS else [0]
    panels = []
    for p in shown:
        supporters = load_trajectories(out, p)["supporters"]
        ok = supporters[:, 0, 0] >= 0  # failed replications are all -1
        if ok.any():
            title = ", ".join(f"{k}={_value(v)}" for k, v in info["points"][p]["values"].items())
            q = np.quantile(supporters[ok], QUANTILES, axis=0)
            w = point_world(out, p) if p else world
            panels.append(plots.FanPanel(title, w.dates, w.candidates, q))
    only = f" (point 0 of {n_points} only)" if len(shown) < n_points else ""
    plots.fan(panels, folder / "fan.png", f"{name}: members backing each candidate{only}")
    total = counts.sum(axis=0)
    lo, hi = wilson(total, runs.n)
    pooled = f", {n_points} points pooled" if n_points > 1 else ""
    plots.outcome_bars(labels, total / runs.n, lo, hi, folder / "outcomes.png",
                       f"{name}: outcome probabilities with 95% intervals\n"
                       f"({runs.n:,} replications{pooled})")  # fmt: skip
    won = (runs.outcome >= 0) & (runs.outcome < len(cands))
    days = np.unique(runs.day[won])
    if len(days) and not moving:  # fill in the round dates nobody was appointed on
        span = [d.toordinal() for d in world.dates if days[0] <= d.toordinal() <= days[-1]]
        days = np.union1d(days, span)
    at = np.searchsorted(days, runs.day[won]) * len(cands) + runs.outcome[won]
    by_day = np.bincount(at, minlength=len(days) * len(cands))
    plots.appointment_dates([str(date.fromordinal(int(d))) for d in days], by_day, cands,
                            int(total[-1]), runs.n, folder / "appointment_dates.png",
                            f"{name}: when the appointment came ({runs.n:,} replications"
                            f"{pooled})")  # fmt: skip
    md = [
        "Supporters of each candidate by date: the line is the median across replications, "
        "the dark band holds the middle 50% of replications and the light band the middle "
        f"90%; a replication keeps its final position after it ends{only}.",
        "",
        "![Supporters per candidate by date](plots/fan.png)",
        "",
        "![Outcome probabilities](plots/outcomes.png)",
        "",
        "![Appointment dates](plots/appointment_dates.png)",
        "",
    ]
    modal = runs.modal()
    if modal:
        winner, at_round, run, seed = modal
        history = simulate(world, [seed])
        plots.stances(history, folder / "modal_stances.png")
        share = runs.first[winner, at_round][0] / max(1, int(counts[0].sum()))
        ending = f"{winner} appointed {world.dates[at_round]}" if winner else "deadlock"
        md += [
            f"The most frequent outcome{' at point 0' if n_points > 1 else ''} is {ending} "
            f"({_pct(share)} of its replications). Its first replication, run {run} "
            f"(`{_replay(info, seed)}` replays it), "
            "member by member:",
            "",
            "![Stances in the most frequent outcome](plots/modal_stances.png)",
            "",
        ]
    for key in info["swept"]:
        file = "sweep_" + re.sub(r"[^\w.-]", "_", key) + ".png"
        _sweep_figure(key, info, runs, counts, folder / file, name)
        md += [f"![Outcome probabilities against {key}](plots/{file})", ""]
    return md


def _replay(info: dict, seed: int) -> str:
    """The `coalition-sim run` command that replays one replication of point 0."""
    values = info["points"][0]["values"]
    sets = [*info["overrides"], *(f"{k}={json.dumps(v)}" for k, v in values.items())]
    words = ["coalition-sim", "run", info["scenario_path"], "--seed", str(seed)]
    return shlex.join([*words, *(w for s in sets for w in ("--set", s))])


def _sweep_figure(key: str, info: dict, runs: Runs, counts, path: Path, name: str) -> None:
    """Outcome probabilities against one swept key, pooling the points of each of its values."""
    values, rows = [], {}
    for p in info["points"]:
        v = p["values"][key]
        tag = json.dumps(v, sort_keys=True)
        if tag not in rows:
            values.append(v)
            rows[tag] = []
        rows[tag].append(p["point"])
    if all(isinstance(v, int | float) for v in values):
        values.sort()
    k = np.array([counts[rows[json.dumps(v, sort_keys=True)]].sum(axis=0) for v in values])
    n = k.sum(axis=1, keepdims=True)
    lo, hi = wilson(k, n)
    others = ""
    if len(info["swept"]) > 1:  # a grid pools points per value; LHS and Sobol have one each
        pooled = len(values) < len(info["points"])
        others = "\n(" + ("averaged over" if pooled else "one point per value; also varying:")
        others += " " + ", ".join(k for k in info["swept"] if k != key) + ")"
    plots.sweep(key, values, runs.labels, k / np.maximum(n, 1), lo, hi, path,
                f"{name}: outcome probabilities by {key}{others}")  # fmt: skip
