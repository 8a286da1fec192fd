"""Matplotlib figures: a run's trajectory and stances, and a batch's fans, outcomes and sweeps."""

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; never needs a screen

import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.colors import ListedColormap  # noqa: E402
from matplotlib.ticker import MaxNLocator, PercentFormatter  # noqa: E402

from sim.engine.history import History  # noqa: E402
from sim.engine.rules import NEVER, UNDECIDED  # noqa: E402

CANDIDATE_COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]


def _colour(c: int) -> str:
    return CANDIDATE_COLOURS[c % len(CANDIDATE_COLOURS)]


def trajectory(history: History, path: Path, r: int = 0) -> Path:
    """Supporters per candidate, undecided and objectors by date; withdrawals and appointment marked."""
    world, f = history.world, history.final
    rounds = range(len(history.stance))
    dates = [world.dates[t] for t in rounds]
    fig, ax = plt.subplots(figsize=(9, 4.8))
    for c, cid in enumerate(world.candidates):
        counts = [int((history.stance[t][r] == c).sum()) for t in rounds]
        ax.plot(dates, counts, marker="o", ms=3, color=_colour(c), label=f"{cid} supporters")
        wr = int(f.withdrawn_round[r, c])
        if wr != NEVER:
            ax.axvline(world.dates[wr], color=_colour(c), ls=":", lw=1)
            ax.annotate(f"{cid} withdraws", (world.dates[wr], 0.5), rotation=90, fontsize=8,
                        color=_colour(c), va="bottom", ha="right")  # fmt: skip
    undecided = [int(((history.stance[t][r] == UNDECIDED) & world.rounds[t].active).sum())
                 for t in rounds]  # fmt: skip
    objectors = [int((history.objecting[t][r].any(axis=1) & world.rounds[t].active).sum())
                 for t in rounds]  # fmt: skip
    ax.plot(dates, undecided, color="grey", ls="--", label="undecided")
    ax.plot(dates, objectors, color="black", ls="-.", label="objectors")
    at = int(f.appointed_round[r])
    if at != NEVER:
        winner = world.candidates[int(f.appointed[r])]
        ax.axvline(world.dates[at], color="green", lw=2, alpha=0.6)
        ax.annotate(f"{winner} appointed {world.dates[at].isoformat()}", (world.dates[at], 1),
                    xytext=(4, 4), textcoords="offset points", fontsize=9, color="green")  # fmt: skip
    else:
        ax.set_title("deadlock: no appointment by the last round", fontsize=10)
    ax.set_ylabel("members")
    ax.set_xlabel("date")
    ax.set_ylim(bottom=0)
    locator = mdates.AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.legend(loc="upper left", fontsize=8)
    fig.suptitle(f"{world.scenario.name}: supporters per candidate")
    return _save(fig, path)


def stances(history: History, path: Path, r: int = 0) -> Path:
    """Members (rows, sorted by when each first declared) by dates, coloured by stance."""
    world = history.world
    n_rounds = len(history.stance)
    grid = np.stack([history.stance[t][r] for t in range(n_rounds)], axis=1)  # (N, T)
    absent = np.stack([~world.rounds[t].active for t in range(n_rounds)], axis=1)
    objecting = np.stack([history.objecting[t][r].any(axis=1) for t in range(n_rounds)], axis=1)
    first = np.where(
        (grid != UNDECIDED).any(axis=1), np.argmax(grid != UNDECIDED, axis=1), n_rounds
    )
    order = np.lexsort((np.arange(len(world.members)), first))
    # Colour codes: 0 absent, 1 undecided, 2.. candidates.
    codes = np.where(absent, 0, np.where(grid == UNDECIDED, 1, grid + 2))[order]
    colours = ["white", "#d9d9d9", *[_colour(c) for c in range(len(world.candidates))]]
    fig, ax = plt.subplots(figsize=(9, max(3.0, 0.22 * len(world.members) + 1.2)))
    ax.imshow(codes, aspect="auto", interpolation="nearest",
              cmap=ListedColormap(colours), vmin=0, vmax=len(colours) - 1)  # fmt: skip
    ys, xs = np.nonzero(objecting[order])
    ax.scatter(xs, ys, marker="x", color="black", s=14, label="objecting")
    ax.set_yticks(range(len(world.members)), [world.members[i] for i in order], fontsize=7)
    step = max(1, n_rounds // 10)
    ax.set_xticks(range(0, n_rounds, step),
                  [world.dates[t].strftime("%d %b") for t in range(0, n_rounds, step)],
                  fontsize=8, rotation=45)  # fmt: skip
    handles = [plt.Rectangle((0, 0), 1, 1, color=_colour(c)) for c in range(len(world.candidates))]
    handles.append(plt.Rectangle((0, 0), 1, 1, color="#d9d9d9"))
    labels = [*world.candidates, "undecided"]
    if absent.any():
        handles.append(plt.Rectangle((0, 0), 1, 1, facecolor="white", edgecolor="grey"))
        labels.append("not a member")
    if len(xs):
        handles.append(plt.Line2D([], [], marker="x", color="black", ls=""))
        labels.append("objecting")
    ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8)
    ax.set_title(f"{world.scenario.name}: stances by date (members sorted by first declaration)",
                 fontsize=10)  # fmt: skip
    return _save(fig, path)


# --- batch figures (numbers come ready from sim.report) ----------------------------------

DEADLOCK_COLOUR = "#7f7f7f"


@dataclass
class FanPanel:
    """One panel of a fan chart: (5, T+1, C) quantiles 5/25/50/75/95% of supporters by round."""

    title: str
    dates: list[date]
    candidates: list[str]
    quantiles: np.ndarray
    observed: list[tuple[date, str, int]] = field(default_factory=list)  # (date, candidate, count)


def fan(panels: list[FanPanel], path: Path, title: str) -> Path:
    """Supporters per candidate by date: median line, 50% and 90% bands across replications."""
    cols = min(len(panels), 2)
    rows = (len(panels) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(7 * cols, 4.2 * rows), squeeze=False,
                             sharey=True)  # fmt: skip
    for ax, panel in zip(axes.flat, panels, strict=False):
        q = panel.quantiles
        for c, cid in enumerate(panel.candidates):
            colour = _colour(c)
            ax.fill_between(panel.dates, q[0, :, c], q[4, :, c], color=colour, alpha=0.15, lw=0)
            ax.fill_between(panel.dates, q[1, :, c], q[3, :, c], color=colour, alpha=0.35, lw=0)
            ax.plot(panel.dates, q[2, :, c], color=colour, lw=2, label=f"{cid} (median)")
            seen = [(d, n) for d, cand, n in panel.observed if cand == cid]
            if seen:
                ax.scatter(*zip(*seen, strict=True), color=colour, edgecolor="black", zorder=5,
                           s=36, marker="D", label=f"{cid} (observed)")  # fmt: skip
        ax.set_title(panel.title, fontsize=10)
        ax.set_ylabel("members backing")
        ax.set_ylim(0, 1.05 * max(p.quantiles.max() for p in panels) + 0.5)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        locator = mdates.AutoDateLocator()
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    for ax in axes.flat[len(panels) :]:
        ax.set_visible(False)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    handles += [plt.Rectangle((0, 0), 1, 1, color="grey", alpha=a) for a in (0.5, 0.2)]
    labels += ["middle 50% of runs", "middle 90% of runs"]
    axes.flat[0].legend(handles, labels, loc="upper left", fontsize=8)
    fig.suptitle(title)
    return _save(fig, path)


def outcome_bars(labels: list[str], p, lo, hi, path: Path, title: str) -> Path:
    """Probability of each outcome as bars, with the interval [lo, hi] as error bars."""
    p, lo, hi = (np.asarray(a, dtype=float) for a in (p, lo, hi))
    fig, ax = plt.subplots(figsize=(max(6.0, 1.1 * len(labels) + 2), 4.4))
    colours = [_outcome_colour(k, labels) for k in range(len(labels))]
    x = np.arange(len(labels))
    ax.bar(x, p, color=colours, yerr=[p - lo, hi - p], capsize=6, ecolor="black")
    for k in x:
        ax.annotate(f"{p[k]:.1%}", (k, hi[k]), xytext=(0, 4), textcoords="offset points",
                    ha="center", fontsize=9)  # fmt: skip
    ax.set_xticks(x, labels)
    ax.set_ylim(0, 1.1)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_ylabel("share of replications")
    ax.set_title(title, fontsize=10)
    return _save(fig, path)


def appointment_dates(days: list[str], counts, candidates: list[str], deadlocks: int, total: int,
                      path: Path, title: str) -> Path:  # fmt: skip
    """Share of replications appointing on each date (stacked by winner), deadlocks apart."""
    counts = np.asarray(counts, dtype=float).reshape(len(days), len(candidates)) / max(total, 1)
    fig, ax = plt.subplots(figsize=(max(6.0, 0.4 * len(days) + 3), 4.2))
    x = np.arange(len(days))
    bottom = np.zeros(len(days))
    for c, cid in enumerate(candidates):
        if counts[:, c].any():
            ax.bar(x, counts[:, c], bottom=bottom, color=_colour(c), label=f"{cid} appointed")
            bottom += counts[:, c]
    # The deadlock bar sits apart, after a gap: it is not a date.
    gap = len(days) + 0.5
    ax.bar([gap], [deadlocks / max(total, 1)], color=DEADLOCK_COLOUR, label="deadlock")
    ax.axvline(len(days) - 0.25, color="black", ls=":", lw=1)
    if len(days) <= 20:  # small shares would be invisible bars without their number
        for xi, share in [*zip(x, bottom, strict=True), (gap, deadlocks / max(total, 1))]:
            ax.annotate(f"{share:.1%}", (xi, share), xytext=(0, 3), textcoords="offset points",
                        ha="center", fontsize=7)  # fmt: skip
    ax.set_ylim(0, 1.12 * max(bottom.max(initial=0), deadlocks / max(total, 1)) or 1)
    step = max(1, len(days) // 15)
    ticks = [*x[::step], gap]
    ax.set_xticks(ticks, [*days[::step], "deadlock"], rotation=45, ha="right", fontsize=8)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_ylabel("share of replications")
    ax.legend(fontsize=8)
    ax.set_title(title, fontsize=10)
    return _save(fig, path)


def sweep(key: str, values: list, labels: list[str], p, lo, hi, path: Path, title: str) -> Path:
    """Probability of each outcome (columns of p) against a swept value, with intervals."""
    p, lo, hi = (np.asarray(a, dtype=float) for a in (p, lo, hi))
    numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
    x = np.array(values, dtype=float) if numeric else np.arange(len(values))
    fig, ax = plt.subplots(figsize=(7, 4.2))
    style = "o-" if numeric and len(values) <= 12 else "o"  # no lines between categories
    for k, label in enumerate(labels):
        if not p[:, k].any():
            continue  # never happened at any value: a flat line at zero only clutters
        ax.errorbar(x, p[:, k], yerr=[p[:, k] - lo[:, k], hi[:, k] - p[:, k]], fmt=style,
                    ms=4, capsize=3, color=_outcome_colour(k, labels), label=label)  # fmt: skip
    if not numeric:
        ax.set_xticks(x, [str(v) for v in values])
        ax.set_xlim(-0.5, len(values) - 0.5)
    ax.set_xlabel(key)
    ax.set_ylim(-0.02, 1.02)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_ylabel("probability")
    ax.legend(fontsize=8)
    ax.set_title(title, fontsize=10)
    return _save(fig, path)


def compare(rows: list[dict], outcomes: list[str], path: Path) -> Path:
    """Outcome probabilities of several scenarios side by side, with 95% intervals."""
    fig, ax = plt.subplots(figsize=(max(6.0, 1.6 * len(outcomes) * len(rows) ** 0.5 + 2), 4.6))
    width = 0.8 / len(rows)
    x = np.arange(len(outcomes))
    for j, row in enumerate(rows):
        p = np.array([row.get(k, (0, 0, 0))[0] for k in outcomes])
        lo = np.array([row.get(k, (0, 0, 0))[1] for k in outcomes])
        hi = np.array([row.get(k, (0, 0, 0))[2] for k in outcomes])
        ax.bar(x + (j - (len(rows) - 1) / 2) * width, p, width, yerr=[p - lo, hi - p],
               capsize=3, label=row["scenario"], color=CANDIDATE_COLOURS[j % len(CANDIDATE_COLOURS)],
               alpha=0.85)  # fmt: skip
    ax.set_xticks(x, outcomes)
    ax.set_ylim(0, 1.1)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_ylabel("share of replications")
    ax.legend(fontsize=8)
    ax.set_title("outcome probabilities by scenario, with 95% intervals", fontsize=10)
    return _save(fig, path)


def _outcome_colour(k: int, labels: list[str]) -> str:
    return DEADLOCK_COLOUR if labels[k] == "deadlock" else _colour(k)


def _save(fig, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.stem + ".tmp.png")
    fig.tight_layout()
    fig.savefig(tmp, dpi=110)
    plt.close(fig)
    tmp.replace(path)
    return path
