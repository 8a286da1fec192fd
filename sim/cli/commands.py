"""The `score`, `calibrate` and `compare` commands: run batches, score them, write results.

Each writes a table to the terminal, a CSV and a Markdown section, so a claim
made from a run always comes with the numbers behind it.
"""

import csv
import io
import math
from pathlib import Path

import numpy as np

from sim import batching as batch
from sim.batching.executors import InlineExecutor
from sim.engine.world import build_world
from sim.errors import Problem, ScenarioError
from sim.evaluate.calibrate import calibrate, parse_params, variant_text
from sim.evaluate.forecast import DEADLOCK, Forecast
from sim.evaluate.record import load_record
from sim.evaluate.score import SCORES, baselines, outcome_scores, score
from sim.results.files import write_atomic
from sim.results.outcomes import QUANTILES, wilson
from sim.scenario.loader import load_scenario

LOWER_IS_BETTER = {"brier", "support_rmse", "loss"}
HIGHER_IS_BETTER = {"log_score", "p_observed", "date_in_50", "date_in_90", "declaration_rank_rho",
                    "holdout_hit_rate"}  # fmt: skip


def run_into(path, overrides, runs, seed, out: Path, executor=None):
    """Run (or reuse) a batch of one scenario into `out`; return its plan."""
    plan = batch.plan_batch(path, overrides, runs, seed)
    batch.run_batch(plan, out, executor or InlineExecutor())
    return plan


# --- score ---------------------------------------------------------------------------------


def score_command(path, record_path, overrides, runs, seed, out: Path, executor=None) -> list[str]:
    """Batch, then the model's and the baselines' scores against the record."""
    plan = run_into(path, overrides, runs, seed, out, executor)
    scenario = plan.points[0].scenario
    record = load_record(record_path, scenario)
    world = build_world(scenario)
    forecast = Forecast.from_folder(out, world)
    rows = [("agent-based model", "this scenario's batch", score(forecast, record))]
    for b in baselines(world):
        rows.append((b.name, b.description, outcome_scores(b.probabilities, record)))
    keys = [k for k, _ in SCORES if any(k in r[2] for r in rows)]
    write_atomic(out / "scores.csv", _csv(["forecast", "description", *keys], rows, keys))
    from sim.report import batch_report as report

    summary = report.write_report(out)
    section = _score_markdown(rows, keys, record, forecast)
    _append(out / "report.md", section)
    _score_plot(out, world, forecast, record)
    return [
        *summary,
        "",
        *_table(rows, keys),
        "",
        *_verdict(rows, keys),
        f"scores: {out}/scores.csv",
    ]


def _csv(header, rows, keys) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for name, desc, scores in rows:
        w.writerow([name, desc, *(_fmt(scores.get(k)) for k in keys)])
    return buf.getvalue()


def _fmt(value) -> str:
    return "" if value is None else f"{value:.4g}"


def _table(rows, keys) -> list[str]:
    width = max(len(r[0]) for r in rows) + 2
    lines = ["".ljust(width) + "".join(k[:14].rjust(15) for k in keys)]
    for name, _, scores in rows:
        lines.append(
            name.ljust(width) + "".join((_fmt(scores.get(k)) or "n/a").rjust(15) for k in keys)
        )
    return lines


def _verdict(rows, keys) -> list[str]:
    """Plain words: where the model beats each baseline and where it does not."""
    model = rows[0][2]
    lines = []
    for name, _, scores in rows[1:]:
        better, worse = [], []
        for k in keys:
            if k not in scores or k not in model:
                continue
            if math.isclose(model[k], scores[k], abs_tol=1e-9):
                continue
            wins = model[k] < scores[k] if k in LOWER_IS_BETTER else model[k] > scores[k]
            (better if wins else worse).append(k)
        ties = [k for k in keys if k in scores and k in model and k not in better + worse]
        text = f"against {name}: model better on {', '.join(better) or 'nothing'}"
        text += f"; worse on {', '.join(worse) or 'nothing'}"
        if ties:
            text += f"; level on {', '.join(ties)}"
        lines.append(text)
    return lines


def _score_markdown(rows, keys, record, forecast) -> str:
    observed = record.appointment
    lines = ["", "## Scores against the record", ""]
    lines.append(f"Record: {record.name}; observed outcome: "
                 f"{observed.winner + ' appointed ' + observed.date.isoformat() if observed else 'no appointment'}.")  # fmt: skip
    lines.append(
        f"Agent-based model: {forecast.runs} replications. Baselines predict the outcome only."
    )
    lines += ["", "| forecast | " + " | ".join(keys) + " |", "|---|" + "---|" * len(keys)]
    for name, _, scores in rows:
        lines.append(f"| {name} | " + " | ".join(_fmt(scores.get(k)) or "n/a" for k in keys) + " |")
    lines += ["", *[f"- {k}: {desc}" for k, desc in SCORES if k in keys], ""]
    lines += [f"- {line}" for line in _verdict(rows, keys)]
    lines += ["", "![simulated supporters with the record's counts](plots/score_fan.png)", ""]
    return "\n".join(lines)


def _append(path: Path, text: str) -> None:
    old = path.read_text() if path.exists() else ""
    write_atomic(path, old + text)


def _score_plot(out: Path, world, forecast: Forecast, record) -> None:
    from sim.report import plots

    observed = [(s.date, s.candidate, s.supporters) for s in record.support]
    q = np.quantile(forecast.supporters, QUANTILES, axis=0)
    seen = record.appointment
    marks = [(seen.date, f"observed: {seen.winner} appointed {seen.date}")] if seen else []
    panel = plots.FanPanel(f"{forecast.runs:,} replications; diamonds: {record.name}", world.dates,
                           world.candidates, q, observed, marks, world.rounds[-1].deadline)  # fmt: skip
    plots.fan([panel], out / "plots" / "score_fan.png", f"{world.scenario.name} against the record")


# --- calibrate -----------------------------------------------------------------------------


def calibrate_command(
    path, record_path, params, budget, split, runs, seed, overrides, out
) -> list[str]:
    """Fit, report before/after on both parts, and write the fitted scenario variant."""
    scenario = load_scenario(path, overrides)
    record = load_record(record_path, scenario)
    ranges = parse_params(params)
    if split is None:
        split = _middle_date(record)
    fit = calibrate(scenario, record, ranges, split, budget, runs, seed)
    out = (
        Path(out)
        if out
        else Path(path).parent / "calibrated" / f"{scenario.name}-fit-{split.isoformat()}.yaml"
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    extends = _relative(Path(path), out.parent)
    header = [
        f"{scenario.name} with behavioural parameters fitted to {record.name} before {split}.",
        f"command: coalition-sim calibrate {path} --record {record_path} --params {' '.join(params)} "
        f"--budget {budget} --split {split} --runs {runs} --seed {seed}",
        f"search: {len(fit.trace)} evaluations (Latin hypercube, then pattern search), "
        f"{runs} replications each with common random numbers",
        f"fit-part loss: {fit.loss_start:.4f} with the original values -> {fit.loss_best:.4f} fitted",
    ]
    write_atomic(out, variant_text(fit, extends, header))
    lines = [
        f"fitted on the record before {split}: loss {fit.loss_start:.4f} -> {fit.loss_best:.4f}"
    ]
    for name in ranges:
        lines.append(
            f"  {name}: {fit.start[name]:.4g} -> {fit.best[name]:.4g}  (range {ranges[name][0]:g} to {ranges[name][1]:g})"
        )
    keys = sorted({k for s in fit.scores.values() for k in s}, key=lambda k: (k != "loss", k))
    lines += ["", *_table([(label, "", s) for label, s in fit.scores.items()], keys)]
    lines.append(f"variant: {out}")
    return lines


def _middle_date(record):
    from sim.evaluate.score import record_dates

    days = record_dates(record)
    if len(days) < 2:
        raise ScenarioError(
            [Problem("--split", None, "", "give --split: the record has too few dates to split")]
        )
    return days[len(days) // 2]


def _relative(target: Path, base: Path) -> str:
    import os

    return Path(os.path.relpath(target.resolve(), base.resolve())).as_posix()


# --- compare -------------------------------------------------------------------------------


def compare_command(paths, runs, seed, out: Path, executor=None, overrides=None) -> list[str]:
    """The same batch settings on each scenario; outcome probabilities and timing side by side."""
    rows = []
    for path in paths:
        name = Path(path).stem
        folder = out / name
        plan = run_into(path, overrides or [], runs, seed, folder, executor)
        world = build_world(plan.points[0].scenario)
        f = Forecast.from_folder(folder, world)
        probs = f.probabilities()
        days = f.appointment_dates()
        appointed = f.appointed_round >= 0
        q = np.quantile(days[appointed], [0.25, 0.5, 0.75]) if appointed.any() else [np.nan] * 3
        row = {"scenario": name, "runs": f.runs}
        for k in [*world.candidates, DEADLOCK]:
            lo, hi = wilson(f.outcomes.count(k), f.runs)
            row[k] = (probs.get(k, 0.0), float(lo), float(hi))
        row["median_date"] = _day(q[1])
        row["iqr"] = f"{_day(q[0])} to {_day(q[2])}"
        rows.append(row)
    outcomes = []
    for r in rows:
        outcomes += [k for k in r if isinstance(r[k], tuple) and k not in outcomes]
    header = ["scenario", "runs", *[f"p_{k}" for k in outcomes], *[f"p_{k}_95" for k in outcomes],
              "median_appointment", "appointment_iqr"]  # fmt: skip
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for r in rows:
        w.writerow([r["scenario"], r["runs"], *[f"{r.get(k, (0, 0, 0))[0]:.4f}" for k in outcomes],
                    *[f"{r.get(k, (0, 0, 0))[1]:.4f}-{r.get(k, (0, 0, 0))[2]:.4f}" for k in outcomes],
                    r["median_date"], r["iqr"]])  # fmt: skip
    out.mkdir(parents=True, exist_ok=True)
    write_atomic(out / "compare.csv", buf.getvalue())
    from sim.report import plots

    plots.compare(rows, outcomes, out / "compare.png")
    lines = _compare_lines(rows, outcomes)
    sets = f" With {' '.join('--set ' + o for o in overrides)} on each." if overrides else ""
    md = ["# Comparison", "", f"{runs} replications each, seed {seed}.{sets}", "", "```", *lines, "```", "",
          "![outcome probabilities](compare.png)", ""]  # fmt: skip
    write_atomic(out / "compare.md", "\n".join(md))
    return [*lines, f"results: {out}/ (compare.csv, compare.md, compare.png)"]


def _compare_lines(rows, outcomes) -> list[str]:
    width = max(len(r["scenario"]) for r in rows) + 2
    head = (
        "".ljust(width)
        + "".join(k[:22].rjust(24) for k in outcomes)
        + "   median appointment (IQR)"
    )
    lines = [head]
    for r in rows:
        cells = "".join(
            f"{r[k][0]:6.1%} [{r[k][1]:.1%}, {r[k][2]:.1%}]".rjust(24)
            if k in r
            else "n/a".rjust(24)
            for k in outcomes
        )
        lines.append(r["scenario"].ljust(width) + cells + f"   {r['median_date']} ({r['iqr']})")
    return lines


def _day(value) -> str:
    from datetime import date

    return "" if value != value else date.fromordinal(int(value)).isoformat()
