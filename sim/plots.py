"""Matplotlib figures of a run: the vote trajectory and the members' stances over time."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; never needs a screen

import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.colors import ListedColormap  # noqa: E402

from sim.dynamics import NEVER, UNDECIDED  # noqa: E402
from sim.history import History  # noqa: E402

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


def _save(fig, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.stem + ".tmp.png")
    fig.tight_layout()
    fig.savefig(tmp, dpi=110)
    plt.close(fig)
    tmp.replace(path)
    return path
