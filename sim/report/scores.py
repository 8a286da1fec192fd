"""Scores against a record, for people: the console table, the verdict, the report section
and the fan chart with the record's counts on it."""

import csv
import io
import math
from pathlib import Path

from sim.evaluate.score import SCORES, shortfalls
from sim.report import plots

LOWER_IS_BETTER = {"brier", "support_rmse", "loss"}
HIGHER_IS_BETTER = {"log_score", "p_observed", "date_in_50", "date_in_90", "declaration_rank_rho",
                    "holdout_hit_rate"}  # fmt: skip


def fmt(value) -> str:
    return "" if value is None else f"{value:.4g}"


def scores_csv(rows, keys) -> str:
    """scores.csv: one row per forecast (the model, then each baseline)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["forecast", "description", *keys])
    for name, desc, scores in rows:
        w.writerow([name, desc, *(fmt(scores.get(k)) for k in keys)])
    return buf.getvalue()


def table(rows, keys) -> list[str]:
    """The scores as a console table, a column per score; long names wrap, never cut."""
    from sim.report.console import fitted

    cells = [[name, *((fmt(scores.get(k)) or "n/a") for k in keys)] for name, _, scores in rows]
    return fitted(["", *keys], cells)  # turned (a row per score) when that fits a terminal


MODEL = "agent-based model"


def verdict(rows, keys, standstill: float | None = None) -> list[str]:
    """Plain words: where each model row beats each baseline and where it does not, then
    every measure without a baseline on which it fell short (`shortfalls`).

    Args:
        rows: (forecast, description, scores); model rows are named `agent-based model...`.
        keys: the scores shown.
        standstill: the support RMSE of "nobody moves", the bar for `support_rmse`.
    """
    models = [r for r in rows if r[0].startswith(MODEL)]
    bases = [r for r in rows if not r[0].startswith(MODEL)]
    lines = []
    for label, _, model in models:
        who = "model" if len(models) == 1 else label.removeprefix(f"{MODEL}, ")
        for name, _, scores in bases:
            better, worse = [], []
            for k in keys:
                if k not in scores or k not in model:
                    continue
                if math.isclose(model[k], scores[k], abs_tol=1e-9):
                    continue
                wins = model[k] < scores[k] if k in LOWER_IS_BETTER else model[k] > scores[k]
                (better if wins else worse).append(k)
            ties = [k for k in keys if k in scores and k in model and k not in better + worse]
            text = f"against {name}: {who} better on {', '.join(better) or 'nothing'}"
            text += f"; worse on {', '.join(worse) or 'nothing'}"
            if ties:
                text += f"; level on {', '.join(ties)}"
            lines.append(text)
        short = shortfalls(model, standstill)
        if short:
            lines.append(f"on its own ({who}, no baseline forecasts these): fell short: "
                         + "; ".join(short))  # fmt: skip
        else:
            own = [k for k in keys if k in model and k not in ("brier", "log_score", "p_observed")]
            if own:
                lines.append(f"on its own ({who}): no shortfall on {', '.join(own)}")
    return lines


def markdown(rows, keys, record, runs: int, verdict_lines: list[str] | None = None) -> list[str]:
    """The report's section on the scores."""
    observed = record.appointment
    seen = (
        f"{observed.winner} appointed {observed.date.isoformat()}" if observed else "no appointment"
    )
    lines = ["", "## Scores against the record", ""]
    lines.append(f"Record: {record.name}; observed outcome: {seen}.")
    lines.append(f"Agent-based model: {runs} replications. Baselines predict the outcome only.")
    lines += ["", "| forecast | " + " | ".join(keys) + " |", "|---|" + "---|" * len(keys)]
    for name, _, scores in rows:
        lines.append(f"| {name} | " + " | ".join(fmt(scores.get(k)) or "n/a" for k in keys) + " |")
    lines += ["", *[f"- {k}: {desc}" for k, desc in SCORES if k in keys], ""]
    lines += [f"- {line}" for line in (verdict(rows, keys) if verdict_lines is None
                                       else verdict_lines)]  # fmt: skip
    lines += ["", "![simulated supporters with the record's counts](plots/score_fan.png)", ""]
    return lines


def score_fan(out: Path, forecast, record, name: str) -> Path:
    """plots/score_fan.png: the simulated fan with the record's dated counts on it."""
    world = forecast.world
    observed = [(s.date, s.candidate, s.supporters) for s in record.support]
    q = forecast.supporter_quantiles()
    seen = record.appointment
    marks = [(seen.date, f"observed: {seen.winner} appointed {seen.date}")] if seen else []
    panel = plots.FanPanel(f"{forecast.runs:,} replications; diamonds: {record.name}", world.dates,
                           world.candidates, q, observed, marks, world.rounds[-1].deadline,
                           plots.session_marks(world.dates, world.session))  # fmt: skip
    return plots.fan([panel], Path(out) / "plots" / "score_fan.png", f"{name} against the record")
