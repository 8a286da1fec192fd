"""The batch report: outcome probabilities, dates, withdrawals, holdouts, figures, report.md.

The numbers come from runs.csv through `sim.outcomes` and the trajectories from
trajectories.npz. Failed replications are counted and left out of every probability
and figure.
"""

import json
import re
import shlex
from datetime import date, datetime
from functools import cache
from pathlib import Path

import numpy as np

from sim.batching.folder import load_trajectories, point_world
from sim.engine.loop import simulate
from sim.report import plots
from sim.results.files import write_atomic
from sim.results.outcomes import QUANTILES, Runs, date_quantiles, read_runs, wilson
from sim.scenario.loader import scenario_digest

FAN_POINTS = 4  # a fan panel per point up to this many points, else point 0 only
TOP = 5


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
    from sim.scenario.loader import load_scenario

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
          f"| point | {' | '.join(keys)} | {' | '.join(labels)} | median appointment | "
          "middle 50% | replications |",
          "|---:|" + "---|" * len(keys) + "---:|" * len(labels) + "---|---|---:|"]  # fmt: skip
    for p, row in zip(info["points"], counts, strict=True):
        n = int(row.sum())
        values = " | ".join(_value(p["values"][k]) for k in keys)
        probs = " | ".join(_pct(k / n) if n else "-" for k in row)
        q = point_dates(runs, [p["point"]])
        when = f"{q[2]} | {q[1]} to {q[3]}" if q else "- | -"
        md.append(f"| {p['point']} | {values} | {probs} | {when} | {n:,} |")
    return [*md, ""]


def point_dates(runs: Runs, points: list[int]) -> list[date] | None:
    """Quantiles of the appointment dates of the replications at these points (any winner)."""
    won = (runs.outcome >= 0) & (runs.outcome < len(runs.candidates))
    return date_quantiles(runs.day[won & np.isin(runs.point, points)])


def informative_points(runs: Runs, counts: np.ndarray, most: int) -> list[int]:
    """The sweep points that differ most: lowest and highest share of the leading outcome,
    then earliest and latest median appointment date (at most `most`, in point order)."""
    share = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    lead = int(np.argmax(counts.sum(axis=0)))
    picks = [int(np.argmin(share[:, lead])), int(np.argmax(share[:, lead]))]
    medians = [point_dates(runs, [p]) for p in range(len(counts))]
    timed = [p for p, q in enumerate(medians) if q]
    if timed:
        picks += [min(timed, key=lambda p: medians[p][2]), max(timed, key=lambda p: medians[p][2])]
    chosen = list(dict.fromkeys(picks))[:most]
    return sorted(chosen)


def _value(v) -> str:
    return f"{v:.4g}" if isinstance(v, float) and len(str(v)) > 6 else str(v)


def _figures(out: Path, info: dict, runs: Runs, world, counts, moving: bool) -> list[str]:
    """Draw every figure; return the markdown that shows them."""
    folder, name = out / "plots", world.scenario.name
    n_points, labels, cands = len(info["points"]), runs.labels, runs.candidates
    shown = range(n_points) if n_points <= FAN_POINTS else informative_points(runs, counts, 2)
    panels = []
    for p in shown:
        supporters = load_trajectories(out, p)["supporters"]
        ok = supporters[:, 0, 0] >= 0  # failed replications are all -1
        if ok.any():
            title = ", ".join(f"{k}={_value(v)}" for k, v in info["points"][p]["values"].items())
            title = f"point {p}: {title}" if title else title
            q = np.quantile(supporters[ok], QUANTILES, axis=0)
            w = point_world(out, p) if p else world
            panels.append(
                plots.FanPanel(title, w.dates, w.candidates, q, deadline=w.rounds[-1].deadline)
            )
    only = ""
    if len(shown) < n_points:
        picked = " and ".join(str(p) for p in shown)
        only = f"\n(points {picked} of {n_points}: the most different outcomes or dates)"
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
        f"90%; a replication keeps its final position after it ends"
        f"{only.replace(chr(10), ' ')}.",
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
    when = [point_dates(runs, rows[json.dumps(v, sort_keys=True)]) for v in values]
    when = [(q[1], q[2], q[3]) if q else None for q in when]
    plots.sweep(key, values, runs.labels, k / np.maximum(n, 1), lo, hi, path,
                f"{name}: outcome probabilities and appointment dates by {key}{others}",
                when)  # fmt: skip
