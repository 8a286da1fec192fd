"""The batch report: outcome probabilities, dates, withdrawals, holdouts, figures, report.md.

Every number comes from the batch's `Summary` (its counts, tallied chunk by chunk; never
from a CSV read back), so a batch of any size is reported in the same memory. Failed
replications are counted and left out of every probability and figure.
"""

import json
import re
import shlex
from datetime import date, datetime
from pathlib import Path

import numpy as np

from sim.report import plots
from sim.results.files import write_atomic
from sim.results.outcomes import wilson
from sim.results.results import Results
from sim.results.summary import FAN_POINTS, Summary
from sim.results.summary import informative_points as _informative
from sim.scenario.loader import scenario_digest

__all__ = ["FAN_POINTS", "informative_points", "point_dates", "write_report"]
TOP = 5


def write_report(
    out: Path,
    results: Summary | Results,
    info: dict,
    meta: dict,
    modal=None,
    sections: list[str] | None = None,
    deadline_of=None,
) -> list[str]:
    """Write plots/*.png and report.md into a batch folder; return the terminal's lines.

    Args:
        out: the batch folder.
        results: the batch's `Summary` (or its whole `Results`, summarised here).
        info: the batch's plan (`Plan.describe()`, as batch.json holds it).
        meta: its manifest.
        modal: the History of point 0's most frequent outcome's first replication (its
            stances are drawn), or None.
        sections: more Markdown lines for the end of report.md (the scores, say).
        deadline_of: point -> its deadline date, drawn on the fan chart (optional).

    Returns:
        The lines the command line prints.
    """
    out = Path(out)
    if isinstance(results, Results):
        results = Summary.of(results)
    n_points = results.n_points
    # Dates differ between points only when a sweep moves the calendar.
    moving = any(key.startswith("calendar") for key in info["swept"])
    md = _head(info, meta, results)
    n = results.n_ok
    if not n:
        md.append("Every replication failed, so there is nothing to report.\n")
        write_atomic(out / "report.md", "\n".join(md))
        return [f"  all {results.n_runs:,} replications failed", f"  report: {out}/report.md"]
    counts = results.counts()
    total = counts.sum(axis=0)
    lo, hi = wilson(total, n)
    quant = [results.appointment_dates(c) for c in results.candidates]
    figures = _figures(out, info, results, counts, moving, modal, deadline_of)
    md += _summary(results, total, lo, hi, quant, n_points)
    if info["swept"]:
        md += _points_table(info, results, counts)
    md += ["## Figures", "", *figures, *(sections or [])]
    write_atomic(out / "report.md", "\n".join(md))
    lines = outcome_lines(results)
    if any(line.startswith("**Note:**") for line in md):
        lines.append(f"  note: {info['scenario_path']} has changed since this batch ran")
    return [*lines, f"  report: {out}/report.md"]


def outcome_lines(results: Summary | Results) -> list[str]:
    """The console's lines on a batch's outcomes: each one's probability with its 95%
    interval and, for a candidate, its median appointment date and IQR.

    Args:
        results: the batch's `Summary` (or `Results`).
    Returns:
        The lines, indented as `coalition-sim batch` prints them.
    """
    if isinstance(results, Results):
        results = Summary.of(results)
    n = results.n_ok
    if not n:
        return [f"  all {results.n_runs:,} replications failed"]
    total = results.counts().sum(axis=0)
    lo, hi = wilson(total, n)
    quant = [results.appointment_dates(c) for c in results.candidates]
    lines = []
    for k, label in enumerate(results.labels):
        line = f"  {label:<10} {_num(total[k] / n):>5}% [{_num(lo[k])}, {_num(hi[k])}]"
        if k < len(quant) and quant[k]:
            line += f"  median appointment {quant[k][2]} (IQR {quant[k][1]} to {quant[k][3]})"
        lines.append(line)
    if results.n_points > 1:
        lines.append(f"  (all {results.n_points} sweep points pooled; each point in report.md)")
    if results.failed:
        lines.append(f"  {results.failed:,} replications failed (error column of runs.csv.gz)")
    return lines


def _head(info: dict, meta: dict, results: Summary) -> list[str]:
    created = datetime.fromisoformat(meta["created"]).strftime("%Y-%m-%d %H:%M %Z")
    points = len(info["points"])
    what = f"{results.n_runs:,} replications"
    if points > 1:
        what += f" ({points} sweep points x {info['runs_per_point']:,})"
    md = [
        f"# Batch report: {meta['scenario']}",
        "",
        f"{what} of `{meta['scenario_path']}`, batch seed {meta['seed']}, run {created} "
        f"with coalition-sim {meta['package_version']}.",
        "",
        *_command(meta),
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


def _command(meta: dict) -> list[str]:
    """The report's line on the command that made the batch (and the one that finished it)."""
    began, resumed = meta.get("command"), meta.get("resumed_with")
    if not began:
        return ["Made from Python (the `sim` API), not by a command."]
    if not resumed:
        return [f"Command: `{began}`"]
    return [f"Command: `{began}`, interrupted and finished by `{resumed}`."]


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


def _summary(results: Summary, total, lo, hi, quant, n_points: int) -> list[str]:
    n, cands = results.n_ok, results.candidates
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
    for k, label in enumerate(results.labels):
        q = quant[k] if k < len(quant) else None
        dates = [str(q[2]), f"{q[1]} to {q[3]}", f"{q[0]} to {q[4]}"] if q else ["-"] * 3
        md.append(f"| {label} | {_pct(total[k] / n)} | {_interval(lo[k], hi[k])} | "
                  f"{total[k]:,} of {n:,} | {' | '.join(dates)} |")  # fmt: skip
    appointed = results.appointments()
    q = results.appointment_dates()
    if q:
        md += ["", f"Any appointment: {_pct(appointed / n)} of replications; median date {q[2]}, "
                   f"middle 50% {q[1]} to {q[3]}, middle 90% {q[0]} to {q[4]}."]  # fmt: skip
    md += ["", "## Withdrawals", "",
           "Share of replications in which each candidate withdrew, and the median date of "
           "those withdrawals.", "",
           "| candidate | withdrew | median withdrawal date |", "|---|---:|---|"]  # fmt: skip
    for cand in cands:
        count, median = results.withdrawals(cand)
        md.append(f"| {cand} | {_pct(count / n)} ({count:,}) | {median if count else '-'} |")
    if appointed:
        a = appointed
        members, groups = results.holdout_members, results.holdout_groups
        md += ["", "## Last holdouts", "",
               f"Members most often among the last three to back the winner, as a share of the "
               f"{a:,} replications with an appointment.", "",
               "| member | share | replications |", "|---|---:|---:|"]  # fmt: skip
        md += [f"| {m} | {_pct(k / a)} | {k:,} |" for m, k in members.most_common(TOP)]
        md += ["", "The most frequent groups of last holdouts (the same members, in any order):",
               "", "| members | share | replications |", "|---|---:|---:|"]  # fmt: skip
        md += [f"| {', '.join(g)} | {_pct(k / a)} | {k:,} |"
               for g, k in groups.most_common(TOP)]  # fmt: skip
    conceded, courted = results.conceded, results.courted
    md += ["", "## Concessions", "",
           f"{_pct(conceded / n)} of replications ({conceded:,}) saw at least one "
           "concession."]  # fmt: skip
    if courted:
        md += ["", "Members most often offered one (share of all replications):", "",
               "| member | share | replications |", "|---|---:|---:|"]  # fmt: skip
        md += [f"| {m} | {_pct(k / n)} | {k:,} |" for m, k in courted.most_common(TOP)]
    if results.failed:
        failed = results.failed
        errors = results.errors
        md += ["", "## Failed replications", "",
               f"{failed:,} of {results.n_runs:,} replications failed and are left out of "
               "every number and figure here. Their errors (the error column of runs.csv.gz):", ""]  # fmt: skip
        md += [f"- {k:,} x `{e}`" for e, k in errors.most_common(TOP)]
    return [*md, ""]


def _points_table(info: dict, results: Summary, counts: np.ndarray) -> list[str]:
    keys, labels = info["swept"], results.labels
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
        q = point_dates(results, [p["point"]])
        when = f"{q[2]} | {q[1]} to {q[3]}" if q else "- | -"
        md.append(f"| {p['point']} | {values} | {probs} | {when} | {n:,} |")
    return [*md, ""]


def point_dates(results: Summary | Results, points: list[int]) -> list[date] | None:
    """Quantiles of the appointment dates of the replications at these points (any winner)."""
    if isinstance(results, Results):
        results = Summary.of(results, fans=False)
    return results.appointment_dates(points=points)


def informative_points(results: Summary | Results, counts: np.ndarray, most: int) -> list[int]:
    """The sweep points that differ most (see `sim.results.summary.informative_points`)."""
    if isinstance(results, Results):
        results = Summary.of(results, fans=False)
    return _informative(results, counts, most)


def _value(v) -> str:
    return f"{v:.4g}" if isinstance(v, float) and len(str(v)) > 6 else str(v)


def _figures(
    out: Path, info: dict, results: Summary, counts, moving: bool, modal_history, deadline_of
) -> list[str]:
    """Draw every figure; return the markdown that shows them."""
    folder, name = out / "plots", results.scenario
    n_points, labels, cands = results.n_points, results.labels, results.candidates
    n = results.n_ok
    shown = results.fan_points()
    panels = []
    for p in shown:
        q = results.fan(p)
        if q is not None:
            title = ", ".join(f"{k}={_value(v)}" for k, v in results.points[p].items())
            title = f"point {p}: {title}" if title else title
            deadline = deadline_of(p) if deadline_of else None
            sessions = plots.session_marks(results.dates[p], results.sessions.get(p))
            panels.append(plots.FanPanel(title, results.dates[p], cands, q, deadline=deadline,
                                         sessions=sessions))  # fmt: skip
    only = ""
    if len(shown) < n_points:
        picked = " and ".join(str(p) for p in shown)
        only = f"\n(points {picked} of {n_points}: the most different outcomes or dates)"
    plots.fan(panels, folder / "fan.png", f"{name}: members backing each candidate{only}")
    total = counts.sum(axis=0)
    lo, hi = wilson(total, n)
    pooled = f", {n_points} points pooled" if n_points > 1 else ""
    plots.outcome_bars(labels, total / n, lo, hi, folder / "outcomes.png",
                       f"{name}: outcome probabilities with 95% intervals\n"
                       f"({n:,} replications{pooled})")  # fmt: skip
    won_days, won = results.appointments_by_day()  # (D,) days, (D, C) appointments
    days = won_days
    if len(days) and not moving:  # fill in the round dates nobody was appointed on
        span = [d.toordinal() for d in results.dates[0] if days[0] <= d.toordinal() <= days[-1]]
        days = np.union1d(days, span)
    by_day = np.zeros((len(days), len(cands)), dtype=np.int64)
    by_day[np.searchsorted(days, won_days)] = won
    by_day = by_day.ravel()
    plots.appointment_dates([str(date.fromordinal(int(d))) for d in days], by_day, cands,
                            int(total[-1]), n, folder / "appointment_dates.png",
                            f"{name}: when the appointment came ({n:,} replications"
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
    modal = results.modal(0)
    if modal and modal_history is not None:
        winner, at_round, run, seed = modal
        plots.stances(modal_history, folder / "modal_stances.png")
        share, on_round = results.share_of_modal(0)
        where = " at point 0" if n_points > 1 else ""
        if winner:
            said = (f"The most frequent outcome{where} is {winner} appointed ({_pct(share)} of "
                    f"the replications), most often on {results.dates[0][at_round]} "
                    f"({_pct(on_round)} of those). The first of them appointed that day, ")  # fmt: skip
        else:
            said = (f"The most frequent outcome{where} is deadlock ({_pct(share)} of the "
                    "replications). The first of them, ")  # fmt: skip
        md += [
            said + f"run {run} (`{_replay(info, seed)}` replays it), member by member:",
            "",
            "![Stances in the most frequent outcome](plots/modal_stances.png)",
            "",
        ]
    for key in info["swept"]:
        file = "sweep_" + re.sub(r"[^\w.-]", "_", key) + ".png"
        _sweep_figure(key, info, results, counts, folder / file, name)
        md += [f"![Outcome probabilities against {key}](plots/{file})", ""]
    return md


def _replay(info: dict, seed: int) -> str:
    """The `coalition-sim run` command that replays one replication of point 0."""
    values = info["points"][0]["values"]
    sets = [*info["overrides"], *(f"{k}={_as_typed(v)}" for k, v in values.items())]
    words = ["coalition-sim", "run", info["scenario_path"], "--seed", str(seed)]
    return shlex.join([*words, *(w for s in sets for w in ("--set", s))])


def _as_typed(value) -> str:
    """A point's value as a user types it after --set: plain where it reads back as the same
    value (a name, a number, an ISO date: `calendar.deadline=2024-06-01`), else as JSON (a
    text such as "true" or "1", which would read back as another type)."""
    import yaml

    if isinstance(value, str) and value and value.strip() == value:
        try:
            back = yaml.safe_load(value)
        except yaml.YAMLError:
            back = None
        if back == value or (isinstance(back, date) and back.isoformat() == value):
            return value
    return json.dumps(value)


def _sweep_figure(key: str, info: dict, results: Summary, counts, path: Path, name: str) -> None:
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
    when = [point_dates(results, rows[json.dumps(v, sort_keys=True)]) for v in values]
    when = [(q[1], q[2], q[3]) if q else None for q in when]
    plots.sweep(key, values, results.labels, k / np.maximum(n, 1), lo, hi, path,
                f"{name}: outcome probabilities and appointment dates by {key}{others}",
                when)  # fmt: skip
