"""The sensitivity analysis for people: sensitivity.csv, ranked bar charts, plain words.

Also the pivotal members: pivotal.csv and the figure "which allies decide this contest".
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; never needs a screen

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from sim.results.files import write_atomic  # noqa: E402

TOP = 15  # inputs shown per bar chart
INERT = 0.02  # an input whose effect stays below this share of the largest matters little
PIVOTAL_SHOWN = 5  # members named in the plain words
CHANGE_COLOURS = {"low": "#1f77b4", "high": "#d62728", "undecided": "#7f7f7f",
                  "no_grievances": "#2ca02c", "no_objections": "#9467bd"}  # fmt: skip


def label(output: str) -> str:
    """`p_rutte` -> `P(rutte)`; `median_days` -> `median appointment (days)`."""
    if output.startswith("p_"):
        return f"P({output[2:]})"
    return "median appointment (days after the start)"


def _score(sens) -> str:
    return "mu_star" if sens.method == "morris" else "ST"


def bars_figure(sens, output: str):
    """The TOP inputs for one output, ranked: mu* (Morris) or ST and S1 (Sobol)."""
    rows = sens.ranked(output).head(TOP).iloc[::-1]
    fig, ax = plt.subplots(figsize=(8, 0.35 * len(rows) + 1.6))
    y = np.arange(len(rows))
    if sens.method == "morris":
        # mu* is a mean of absolute changes: its interval is cut at 0, where it cannot go
        conf, mu = rows["mu_star_conf"].to_numpy(), rows["mu_star"].to_numpy()
        ax.barh(y, mu, xerr=[np.minimum(conf, mu), conf], color="#1f77b4",
                label="mu* (whisker: 95% bootstrap interval)")  # fmt: skip
        ax.plot(rows["sigma"], y, "k|", ms=12, label="sigma (interactions)")
        ax.set_xlabel(f"mean absolute change in {label(output)} across an input's range")
    else:
        ax.barh(y + 0.2, rows["ST"], 0.4, xerr=rows["ST_conf"], color="#d62728", label="ST")
        ax.barh(y - 0.2, rows["S1"], 0.4, xerr=rows["S1_conf"], color="#1f77b4", label="S1")
        ax.set_xlabel(f"share of the variance of {label(output)}")
    ax.set_yticks(y, rows["input"])
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    ax.set_title(f"{sens.scenario}: what moves {label(output)} ({sens.method}, "
                 f"{sens.points:,} points x {sens.runs} runs)", fontsize=10)  # fmt: skip
    return fig


def pivotal_figure(piv):
    """Which allies decide this contest: each member's largest swing, by change."""
    t = piv.table
    best = piv.members()
    members = list(best[best["swing"] > 0]["member"].head(TOP))[::-1]
    changes = [c for c in CHANGE_COLOURS if c in set(t["change"])]
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(members) + 1.6))
    width = 0.8 / max(len(changes), 1)
    for k, change in enumerate(changes):
        sub = t[t["change"] == change].set_index("member")["swing"]
        vals = [sub.get(m, 0.0) for m in members]
        ax.barh(np.arange(len(members)) + (k - (len(changes) - 1) / 2) * width, vals, width,
                color=CHANGE_COLOURS[change], label=change.replace("_", " "))  # fmt: skip
    ax.set_yticks(np.arange(len(members)), members)
    if not members:
        ax.text(0.5, 0.5, "no member's change moved any outcome", ha="center",
                transform=ax.transAxes)  # fmt: skip
    ax.set_xlabel("largest change of an outcome probability (winner or deadlock)")
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    ax.set_title(f"{piv.scenario}: which allies decide this contest ({piv.runs} runs a change)",
                 fontsize=10)  # fmt: skip
    return fig


def _save(fig, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.stem + ".tmp.png")
    fig.tight_layout()
    fig.savefig(tmp, dpi=100)
    plt.close(fig)
    tmp.replace(path)
    return path


def words(sens) -> list[str]:
    """In plain words: which assumptions matter most and which do not."""
    score = _score(sens)
    unit = "mu*" if sens.method == "morris" else "total Sobol index ST"
    out = [
        f"{sens.method.capitalize()} analysis of {sens.scenario}: {len(sens.inputs)} inputs, "
        f"{sens.points:,} points x {sens.runs} replications (the same seeds at every point), "
        f"{sens.seconds:.1f} s"
        + (
            f" this time (resumed: {sens.reused:,} of the points read from its checkpoint)."
            if getattr(sens, "reused", 0)
            else "."
        )
    ]
    for output in sens.outputs:
        base = sens.base[output]
        shown = f"{base:.0%}" if output.startswith("p_") else f"{base:g} days"
        if output in sens.constant:
            out.append(f"- {label(output)} ({shown} as the scenario stands) did not change at "
                       "any point: no input moves it over these ranges.")  # fmt: skip
            continue
        rows = sens.ranked(output)
        top = rows[rows[score] > 0].head(3)  # an input of no effect is no mover, even if ranked
        names = ", ".join(f"{r.input} ({getattr(r, score):.3g})" for r in top.itertuples())
        said = f"- {label(output)} ({shown} as the scenario stands)"
        if not len(top):
            out.append(f"{said}: no input's {unit} is above zero.")
        elif len(top) < min(3, len(rows)):
            out.append(f"{said} moves only with {names} ({unit}); no other input moves it.")
        else:
            out.append(f"{said} moves most with {names} ({unit}).")
    if getattr(sens, "no_effects", None):
        out.append(f"No effect measured for {', '.join(sens.no_effects)}: a whole number, every "
                   "step of it rounded to none over its range (widen the range; mu* n/a).")  # fmt: skip
    matters, inert = importance(sens)
    if len(matters):
        out.append("Assumptions that matter most (largest effect on an outcome, as a share of "
                   "the largest effect of any input on any probability, or on the date): " + ", ".join(
                       f"{k} ({v:.0%})" for k, v in matters.head(5).items()) + ".")  # fmt: skip
    if len(inert):
        few = ", ".join(inert[:6]) + (", ..." if len(inert) > 6 else "")
        out.append(f"{len(inert)} of {len(sens.inputs)} inputs moved no outcome by more than "
                   f"{INERT:.0%} of the largest effect on it: they hardly matter here ({few}).")  # fmt: skip
    return out


def importance(sens):
    """(each input's largest relative effect on any varying outcome, ranked; the inert ones).

    Probabilities share one scale, so an effect on any of them is measured against the
    largest effect on any probability (a near-constant outcome does not inflate its inputs);
    the median date against the largest effect on it."""
    score = _score(sens)
    t = sens.table[~sens.table["output"].isin(sens.constant)].copy()
    if t.empty:
        return t.groupby("input")[score].max(), []
    group = np.where(t["output"].str.startswith("p_"), "probability", t["output"])
    largest = t.groupby(group)[score].transform("max").replace(0, np.nan)
    t["rel"] = (t[score] / largest).fillna(0.0)
    rel = t.groupby("input")["rel"].max().sort_values(ascending=False, kind="stable")
    inert = [k for k, v in rel.items() if v <= INERT and k not in getattr(sens, "no_effects", [])]
    return rel[rel > INERT], inert


def pivotal_words(piv) -> list[str]:
    """Which members decide the contest, in plain words."""
    best = piv.members()
    if best.empty:
        return ["No member has an assumption to change."]
    out = ["Which allies decide this contest (each changed alone, the same seeds as the "
           "scenario as it stands):"]  # fmt: skip
    probs = [c for c in piv.table.columns if c.startswith("d_p_")]
    for r in best[best["swing"] > 0].head(PIVOTAL_SHOWN).itertuples():
        moves = ", ".join(f"{label(c[2:])} {getattr(r, c):+.0%}" for c in probs
                          if abs(getattr(r, c)) > 0)  # fmt: skip
        out.append(f"- {r.member}: {r.change.replace('_', ' ')} -> {moves or 'no change'}")
    quiet = best[best["swing"] < 0.02]
    if len(quiet):
        out.append(f"{len(quiet)} of {len(best)} members move no outcome by 2 points or more "
                   "whichever way their assumptions go.")  # fmt: skip
    return out


def markdown(sens, piv=None) -> str:
    """sensitivity.md: the plain words, the top inputs per output, the pivotal members."""
    score = _score(sens)
    md = ["# What would change it", "", *words(sens), ""]
    cols = ["rank", "input", "base", "low", "high"]
    cols += ["mu_star", "sigma"] if sens.method == "morris" else ["S1", "S1_conf", "ST", "ST_conf"]
    for output in sens.outputs:
        if output in sens.constant:
            continue
        md += [f"## {label(output)}", "", "| " + " | ".join(cols) + " |",
               "|" + "---|" * len(cols)]  # fmt: skip
        for r in sens.ranked(output).head(TOP).itertuples():
            md.append("| " + " | ".join(_cell(getattr(r, c)) for c in cols) + " |")
        md += ["", f"![{score} for {output}](plots/sensitivity_{output}.png)", ""]
    if piv is not None:
        md += ["## Pivotal members", "", *pivotal_words(piv), "",
               "![which allies decide this contest](plots/pivotal.png)", ""]  # fmt: skip
    return "\n".join(md)


def _cell(v) -> str:
    return f"{v:.3g}" if isinstance(v, float) else str(v)


def write(out: Path, sens, piv=None) -> list[Path]:
    """sensitivity.csv, sensitivity.md, plots/sensitivity_<output>.png (and the pivotal
    members' pivotal.csv and plots/pivotal.png) into `out`."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = [out / "sensitivity.csv"]
    write_atomic(written[0], sens.table.to_csv(index=False))
    for output in sens.outputs:
        if output not in sens.constant:
            written.append(
                _save(bars_figure(sens, output), out / "plots" / f"sensitivity_{output}.png")
            )
    if piv is not None:
        write_atomic(out / "pivotal.csv", piv.table.to_csv(index=False))
        written += [out / "pivotal.csv", _save(pivotal_figure(piv), out / "plots" / "pivotal.png")]
    write_atomic(out / "sensitivity.md", markdown(sens, piv))
    written.append(out / "sensitivity.md")
    return written
