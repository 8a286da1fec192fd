"""Matplotlib figures: a run's trajectory and stances, a batch's fans, outcomes and sweeps,
and a fit's profiles."""

import textwrap
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
# More candidates than that (WTO 2013 had nine): tab20's colours, so that none repeat.
MANY_COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2",
                "#17becf", "#bcbd22", "#7f7f7f", "#aec7e8", "#ff9896", "#98df8a", "#c5b0d5",
                "#ffbb78", "#c49c94", "#f7b6d2", "#9edae5", "#dbdb8d", "#393b79"]  # fmt: skip
FORMAL_COLOUR, INDICATIVE_COLOUR, DEADLINE_COLOUR = "#555555", "#17becf", "#b22222"
SESSION_LABELS = 4  # more sessions than this of one kind are drawn unlabelled (legend only)


def colour(c: int, n: int = 0) -> str:
    """The colour of candidate (or outcome) `c` of `n`: six report colours, unless there are
    more (then twenty, which repeat only past twenty)."""
    palette = CANDIDATE_COLOURS if n <= len(CANDIDATE_COLOURS) else MANY_COLOURS
    return palette[c % len(palette)]


def session_marks(dates: list[date], held) -> list[tuple[date, str, str]]:
    """(date, name, kind) of each round's session; `held` is, per round, (name, kind) or None
    (`Results.sessions[point]`), or a World's `session` list."""
    out = []
    for d, s in zip(dates, held or [], strict=False):
        if s is not None:
            name, kind = (s.name, s.kind) if hasattr(s, "kind") else s
            out.append((d, name, kind))
    return out


def _draw_sessions(ax, sessions, last: date | None = None) -> tuple[list, dict]:
    """Formal sessions as thin grey lines, indicative ones dashed in teal (up to `last`).

    Returns the labels to put above the plot (names, when a kind has few sessions) and the
    legend entries."""
    marks, entries = [], {}
    for kind, col, style in (
        ("formal", FORMAL_COLOUR, "-"),
        ("indicative", INDICATIVE_COLOUR, "--"),
    ):
        mine = [(d, name) for d, name, k in sessions if k == kind and (last is None or d <= last)]
        for d, _ in mine:
            line = ax.axvline(d, color=col, lw=0.8, ls=style, alpha=0.6, zorder=0)
        if mine:
            entries[f"{kind} session{'s' if len(mine) > 1 else ''}"] = line
        # A meeting listed on several dates (recurring, or held by chance on one of them) is
        # named once, at its first date, so its names do not stack above the plot.
        dates_of: dict[str, list[date]] = {}
        for d, name in mine:
            dates_of.setdefault(name, []).append(d)
        if len(dates_of) <= SESSION_LABELS:
            marks += [(ds[0], name if len(ds) == 1 else f"{name} ({len(ds)} dates from here)", col)
                      for name, ds in dates_of.items()]  # fmt: skip
    return marks, entries


def trajectory(history: History, path: Path, r: int = 0) -> Path:
    """Supporters per candidate, undecided and objectors by date; withdrawals and appointment marked."""
    return _save(trajectory_figure(history, r), path)


def trajectory_figure(history: History, r: int = 0):
    """The figure of `trajectory`, not yet saved."""
    world, f = history.world, history.final
    rounds = range(len(history.stance))
    dates = [world.dates[t] for t in rounds]
    fig, ax = plt.subplots(figsize=(10, 4.8))
    n_c = len(world.candidates)
    # (date, text, colour): labelled above the plot, where no line runs
    marks, sessions = _draw_sessions(ax, session_marks(dates, world.session))
    deadline = world.rounds[len(dates) - 1].deadline
    if deadline <= dates[-1]:
        ax.axvline(deadline, color=DEADLINE_COLOUR, lw=1.2, ls=":")
        marks.append((deadline, f"deadline {_day(deadline)}", DEADLINE_COLOUR))
    for c, cid in enumerate(world.candidates):
        counts = [int((history.stance[t][r] == c).sum()) for t in rounds]
        ax.plot(dates, counts, marker="o", ms=3, color=colour(c, n_c), label=f"{cid} supporters")
        wr = int(f.withdrawn_round[r, c])
        if wr != NEVER:
            ax.axvline(world.dates[wr], color=colour(c, n_c), ls=":", lw=1)
            marks.append((world.dates[wr], f"{cid} withdraws", colour(c, n_c)))
    undecided = [int(((history.stance[t][r] == UNDECIDED) & world.rounds[t].active).sum())
                 for t in rounds]  # fmt: skip
    objectors = [int((history.objecting[t][r].any(axis=1) & world.rounds[t].active).sum())
                 for t in rounds]  # fmt: skip
    ax.plot(dates, undecided, color="grey", ls="--", label="undecided")
    ax.plot(dates, objectors, color="black", ls="-.", label="objectors")
    for text, line in sessions.items():
        line.set_label(text)
    at = int(f.appointed_round[r])
    if at != NEVER:
        winner = world.candidates[int(f.appointed[r])]
        ax.axvline(world.dates[at], color="green", lw=2, alpha=0.6)
        marks.append((world.dates[at], f"{winner} appointed {_day(world.dates[at])}", "green"))
        title = f"{world.scenario.name}: supporters per candidate"
    else:
        title = f"{world.scenario.name}: supporters per candidate (deadlock: no appointment)"
    _top_labels(ax, marks)
    ax.set_ylabel("members")
    ax.set_ylim(bottom=0)
    _date_axis(ax, dates)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8)
    ax.set_title(title, pad=8 + 14 * len(marks))
    fig.tight_layout()
    return fig


def _day(d: date) -> str:
    return f"{d.day} {d:%b %Y}"


def _date_axis(ax, dates: list[date], last: date | None = None) -> None:
    """Ticks on round dates up to `last`, each with day and month (`29 Feb`, `7 Mar`)."""
    shown = [d for d in dates if last is None or d <= last]
    # Round dates need not be evenly spaced (weekly rounds and daily meetings): ticks at
    # least a ninth of the span apart, at most 8, so labels never run into each other.
    gap = (shown[-1] - shown[0]) / 9
    ticks = [shown[0]]
    for d in shown[1:]:
        if d - ticks[-1] >= gap:
            ticks.append(d)
    ticks = ticks[:: -(-len(ticks) // 8)]
    ax.set_xticks([mdates.date2num(d) for d in ticks], [f"{d.day} {d:%b}" for d in ticks])
    years = sorted({shown[0].year, shown[-1].year})
    ax.set_xlabel("date, " + "-".join(map(str, years)))


def _top_labels(ax, marks: list[tuple[date, str, str]]) -> None:
    """Label dates in the band above the axes, one row each, so no label crosses a line."""
    for row, (when, text, colour) in enumerate(sorted(marks)):
        ax.annotate(text, (mdates.date2num(when), 1), xycoords=("data", "axes fraction"),
                    xytext=(0, 3 + 14 * row), textcoords="offset points", ha="center",
                    va="bottom", fontsize=8, color=colour, annotation_clip=False)  # fmt: skip


def stances(history: History, path: Path, r: int = 0) -> Path:
    """Members (rows, sorted by when each first declared) by dates, coloured by stance."""
    return _save(stances_figure(history, r), path)


def stances_figure(history: History, r: int = 0):
    """The figure of `stances`, not yet saved; an objection is a cross in its target's colour."""
    world = history.world
    n_rounds, n_cands = len(history.stance), len(world.candidates)
    grid = np.stack([history.stance[t][r] for t in range(n_rounds)], axis=1)  # (N, T)
    absent = np.stack([~world.rounds[t].active for t in range(n_rounds)], axis=1)
    against = np.stack([history.objecting[t][r] for t in range(n_rounds)], axis=1)  # (N, T, C)
    first = np.where(
        (grid != UNDECIDED).any(axis=1), np.argmax(grid != UNDECIDED, axis=1), n_rounds
    )
    order = np.lexsort((np.arange(len(world.members)), first))
    # Colour codes: 0 absent, 1 undecided, 2.. candidates.
    codes = np.where(absent, 0, np.where(grid == UNDECIDED, 1, grid + 2))[order]
    colours = ["white", "#d9d9d9", *[colour(c, n_cands) for c in range(n_cands)]]
    fig, ax = plt.subplots(figsize=(9, max(3.0, 0.22 * len(world.members) + 1.2)))
    ax.imshow(codes, aspect="auto", interpolation="nearest",
              cmap=ListedColormap(colours), vmin=0, vmax=len(colours) - 1)  # fmt: skip
    objections = []
    for c in range(n_cands):
        ys, xs = np.nonzero(against[order, :, c])
        if len(xs):  # side by side when a member objects to several candidates at once
            shift = (c - (n_cands - 1) / 2) * 0.3 if n_cands > 1 else 0.0
            ax.scatter(xs + shift, ys, marker="X", s=42, color=colour(c, n_cands), edgecolor="white",
                       linewidth=0.8, zorder=3)  # fmt: skip
            objections.append(c)
    if any(world.session[:n_rounds]):  # a strip above the first row for the session marks
        ax.set_ylim(len(world.members) - 0.5, -1.6)
    ax.set_yticks(range(len(world.members)), [world.members[i] for i in order], fontsize=7)
    step = max(1, n_rounds // 10)
    ax.set_xticks(range(0, n_rounds, step),
                  [f"{world.dates[t].day} {world.dates[t]:%b}" for t in range(0, n_rounds, step)],
                  fontsize=8, rotation=45)  # fmt: skip
    ax.set_xlabel(f"round date, {world.dates[0].year}")
    handles = [plt.Rectangle((0, 0), 1, 1, color=colour(c, n_cands)) for c in range(n_cands)]
    handles.append(plt.Rectangle((0, 0), 1, 1, color="#d9d9d9"))
    labels = [f"backs {cid}" for cid in world.candidates] + ["undecided"]
    if absent.any():
        handles.append(plt.Rectangle((0, 0), 1, 1, facecolor="white", edgecolor="grey"))
        labels.append("not a member")
    # Sessions as triangles above the grid: filled for formal, open for indicative.
    for kind, face in (("formal", FORMAL_COLOUR), ("indicative", "white")):
        xs = [t for t in range(n_rounds) if world.session[t] and world.session[t].kind == kind]
        if xs:
            ax.plot(xs, [-1.0] * len(xs), ls="", marker="v", ms=6, color=face,
                    mec=FORMAL_COLOUR, zorder=4, gid=f"{kind}-sessions")  # fmt: skip
            handles.append(plt.Line2D([], [], marker="v", color=face, mec=FORMAL_COLOUR, ls="",
                                      ms=7))  # fmt: skip
            labels.append(f"{kind} session")
    for c in objections:
        handles.append(plt.Line2D([], [], marker="X", color=colour(c, n_cands), mec="white",
                                  ls="", ms=8))  # fmt: skip
        labels.append(f"objects to {world.candidates[c]}")
    ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8,
              title="cell: stance\ncross: objection,\nin the colour of\nthe candidate\nobjected to"
              if objections else None, title_fontsize=7)  # fmt: skip
    ax.set_title(f"{world.scenario.name}: stances by date (members sorted by first declaration)",
                 fontsize=10)  # fmt: skip
    fig.tight_layout()
    return fig


# --- batch figures (numbers come ready from sim.report) ----------------------------------

DEADLOCK_COLOUR = "#7f7f7f"


@dataclass
class FanPanel:
    """One panel of a fan chart: (5, T+1, C) quantiles 5/25/50/75/95% of supporters by round.

    `observed` holds counts of a record (date, candidate, count), drawn as diamonds;
    `marks` holds dates to draw as labelled vertical lines, such as an observed appointment;
    `sessions` the organisation's meetings (`session_marks`), drawn as thin lines.
    """

    title: str
    dates: list[date]
    candidates: list[str]
    quantiles: np.ndarray
    observed: list[tuple[date, str, int]] = field(default_factory=list)
    marks: list[tuple[date, str]] = field(default_factory=list)
    deadline: date | None = None
    sessions: list[tuple[date, str, str]] = field(default_factory=list)  # (date, name, kind)


def action_span(panel: FanPanel) -> tuple[date, date]:
    """The dates worth showing: from the start to a round after every band stops moving.

    Observed counts and marks are always inside; the deadline too, if it falls no later than
    a third of the time past the action (beyond that the x-axis would be mostly flat lines).
    """
    q, dates = panel.quantiles, panel.dates
    moves = np.nonzero((np.diff(q, axis=1) != 0).any(axis=(0, 2)))[0]  # rounds t where t+1 differs
    stop = int(moves[-1]) + 2 if len(moves) else 1
    last = dates[min(stop, len(dates) - 1)]
    must = [d for d, *_ in panel.observed] + [d for d, _ in panel.marks]
    last = max([last, *must])
    deadline = panel.deadline
    if deadline is not None and deadline <= last + (last - dates[0]) / 3:
        last = max(last, deadline)
    pad = (last - dates[0]) / 40
    return dates[0] - pad, last + pad


def fan(panels: list[FanPanel], path: Path, title: str, shared: bool = True) -> Path:
    """Supporters per candidate by date: median line, 50% and 90% bands across replications.

    Args:
        shared: one date axis, one scale and one legend for every panel (variants of one
            contest); False gives each panel its own (different contests, e.g. crossval).
    """
    fig = fan_figure(panels, title, shared)
    return _save(fig, path, rect=_below_title(fig))


OVERLAID = 4  # a single panel with more candidates gets one small plot per candidate


def fan_figure(panels: list[FanPanel], title: str, shared: bool = True):
    """The figure of `fan`, not yet saved: its x-axis spans where the bands move.

    One panel of more than OVERLAID candidates (WTO 2013's nine) is drawn as one small plot
    per candidate, in its colour and under its name: overlaid, their bands blend into one.
    """
    if len(panels) == 1 and len(panels[0].candidates) > OVERLAID:
        return _fan_by_candidate(panels[0], title)
    cols = min(len(panels), 2) if shared else 1  # own legends sit right of their panel
    rows = (len(panels) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(6.2 * cols + 2.6, 4.2 * rows), squeeze=False,
                             sharey=shared)  # fmt: skip
    top = 1.05 * max(p.quantiles.max() for p in panels) + 0.5
    entries: dict[str, object] = {}  # legend label -> handle, one legend for every panel
    spans = [action_span(p) for p in panels]
    span = (min(a for a, _ in spans), max(b for _, b in spans))
    for ax, panel, own_span in zip(axes.flat, panels, spans, strict=False):
        q = panel.quantiles
        # The same dates in every panel, so panels compare at a glance (unless not `shared`).
        first, last = span if shared else own_span
        if not shared:
            top = 1.05 * q.max() + 0.5
            entries = {}
        held, drawn = _draw_sessions(ax, panel.sessions, last)
        for text, line in drawn.items():
            entries.setdefault(text, line)
        for c, cid in enumerate(panel.candidates):
            shade = colour(c, len(panel.candidates))
            light = ax.fill_between(panel.dates, q[0, :, c], q[4, :, c], color=shade,
                                    alpha=0.15, lw=0)  # fmt: skip
            dark = ax.fill_between(panel.dates, q[1, :, c], q[3, :, c], color=shade,
                                   alpha=0.35, lw=0)  # fmt: skip
            (line,) = ax.plot(panel.dates, q[2, :, c], color=shade, lw=2)
            entries.setdefault(f"{cid}: median and bands", (light, dark, line))
            seen = [(d, n) for d, cand, n in panel.observed if cand == cid]
            if seen:
                dots = ax.scatter(*zip(*seen, strict=True), color=shade, edgecolor="black",
                                  zorder=5, s=36, marker="D")  # fmt: skip
                entries.setdefault(f"{cid}: observed", dots)
        ax.set_xlim(first, last)
        marks = [(d, text, "black") for d, text in panel.marks] + held
        for d, _ in panel.marks:
            line = ax.axvline(d, color="black", lw=1.5, ls="--")
        if panel.marks:
            entries.setdefault("observed appointment", line)
        if panel.deadline is not None and panel.deadline <= last:
            ax.axvline(panel.deadline, color=DEADLINE_COLOUR, lw=1.2, ls=":")
            marks.append((panel.deadline, f"deadline {_day(panel.deadline)}", DEADLINE_COLOUR))
        _top_labels(ax, marks)
        ax.set_title(panel.title, fontsize=10, pad=8 + 14 * len(marks))
        ax.set_ylabel("members backing")
        ax.set_ylim(0, top)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        _date_axis(ax, panel.dates, last)
        if panel.deadline is not None and panel.deadline > last:
            # Beyond the action: said in words instead of stretching the axis over flat lines.
            ax.set_xlabel(f"{ax.get_xlabel()}; deadline {_day(panel.deadline)}, "
                          "all flat from the right edge until then")  # fmt: skip
        if not shared:
            ax.legend(list(entries.values()), list(entries), loc="upper left", fontsize=7,
                      bbox_to_anchor=(1.02, 1), handler_map={tuple: _tuple_handler()})  # fmt: skip
    for ax in axes.flat[len(panels) :]:
        ax.set_visible(False)
    shade = colour(0)  # the bands explained once, in the first candidate's colours
    entries["darker band: middle 50% of runs"] = plt.Rectangle((0, 0), 1, 1, color=shade,
                                                               alpha=0.15 + 0.35)  # fmt: skip
    entries["lighter band: middle 90% of runs"] = plt.Rectangle((0, 0), 1, 1, color=shade,
                                                                alpha=0.15)  # fmt: skip

    if shared:
        axes.flat[cols - 1].legend(list(entries.values()), list(entries), loc="upper left",
                                   bbox_to_anchor=(1.02, 1), fontsize=8,
                                   handler_map={tuple: _tuple_handler()})  # fmt: skip
    fig.suptitle(title)
    fig.tight_layout(rect=_below_title(fig))
    return fig


def _fan_by_candidate(panel: FanPanel, title: str):
    """One panel's fan as a grid of small plots, one per candidate, sharing dates and scale."""
    n = len(panel.candidates)
    cols = 3
    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.0 * cols + 2.8, 2.5 * rows + 1.0),
                             sharex=True, sharey=True, squeeze=False)  # fmt: skip
    q = panel.quantiles
    first, last = action_span(panel)
    top = 1.05 * q.max() + 0.5
    entries: dict[str, object] = {}
    for c, (ax, cid) in enumerate(zip(axes.flat, panel.candidates, strict=False)):
        shade = colour(c, n)
        _, drawn = _draw_sessions(ax, panel.sessions, last)
        for text, line in drawn.items():
            entries.setdefault(text, line)
        light = ax.fill_between(panel.dates, q[0, :, c], q[4, :, c], color=shade, alpha=0.15, lw=0)
        dark = ax.fill_between(panel.dates, q[1, :, c], q[3, :, c], color=shade, alpha=0.35, lw=0)
        (line,) = ax.plot(panel.dates, q[2, :, c], color=shade, lw=2)
        entries[f"{cid}: median and bands"] = (light, dark, line)
        seen = [(d, k) for d, cand, k in panel.observed if cand == cid]
        if seen:
            dots = ax.scatter(*zip(*seen, strict=True), color=shade, edgecolor="black",
                              zorder=5, s=30, marker="D")  # fmt: skip
            entries.setdefault("observed (the record)", dots)
        for d, _ in panel.marks:
            mark = ax.axvline(d, color="black", lw=1.5, ls="--")
            entries.setdefault("observed appointment", mark)
        if panel.deadline is not None and panel.deadline <= last:
            dl = ax.axvline(panel.deadline, color=DEADLINE_COLOUR, lw=1.2, ls=":")
            entries.setdefault(f"deadline {_day(panel.deadline)}", dl)
        ax.set_title(cid, fontsize=10, color=shade, fontweight="bold")
        ax.set_xlim(first, last)
        ax.set_ylim(0, top)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        _date_axis(ax, panel.dates, last)
        ax.tick_params(labelbottom=True, labelsize=8)
        ax.set_xlabel("")
        if c % cols == 0:
            ax.set_ylabel("members backing")
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    grey = "#555555"  # the bands' style, whatever the candidate's colour
    entries["darker band: middle 50% of runs"] = plt.Rectangle((0, 0), 1, 1, color=grey, alpha=0.5)
    entries["lighter band: middle 90% of runs"] = plt.Rectangle((0, 0), 1, 1, color=grey,
                                                                alpha=0.15)  # fmt: skip
    axes.flat[cols - 1].legend(list(entries.values()), list(entries), loc="upper left",
                               bbox_to_anchor=(1.03, 1), fontsize=8,
                               handler_map={tuple: _tuple_handler()})  # fmt: skip
    years = sorted({panel.dates[0].year, last.year})
    note = ""
    if panel.deadline is not None and panel.deadline > last:
        note = f"; deadline {_day(panel.deadline)}, all flat from the right edge until then"
    fig.supxlabel("date, " + "-".join(map(str, years)) + note, fontsize=9)
    fig.suptitle(title)
    fig.tight_layout(rect=_below_title(fig))
    return fig


def _below_title(fig) -> tuple[float, float, float, float]:
    """tight_layout ignores a suptitle: the panels' rectangle keeps a 0.35 inch strip for it."""
    return (0, 0, 1, 1 - 0.35 / fig.get_figheight())


def _tuple_handler():
    """Legend handler drawing a (band, band, line) tuple as one swatch."""
    from matplotlib.legend_handler import HandlerTuple

    return HandlerTuple(ndivide=1)


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
    fig = appointment_dates_figure(days, counts, candidates, deadlocks, total, title)
    return _save(fig, path)


SMALL = 0.02  # a bar segment below this share of the y-axis is marked, or it would not be seen


def appointment_dates_figure(days, counts, candidates, deadlocks, total, title):
    """The figure of `appointment_dates`, not yet saved.

    Every outcome's total share is in the legend, and a segment too thin to see gets a
    triangle in its colour above its bar, so a rare winner is never invisible.
    """
    counts = np.asarray(counts, dtype=float).reshape(len(days), len(candidates)) / max(total, 1)
    dead = deadlocks / max(total, 1)
    fig, ax = plt.subplots(figsize=(max(6.0, 0.4 * len(days) + 3) + 2.4, 4.2))
    x = np.arange(len(days))
    bottom = np.zeros(len(days))
    top = 1.12 * max(counts.sum(axis=1).max(initial=0), dead) or 1
    small = []  # (x, candidate): segments to mark
    for c, cid in enumerate(candidates):
        if counts[:, c].any():
            on = counts[:, c] > 0  # a zero-height bar would still draw its edge
            ax.bar(x[on], counts[on, c], bottom=bottom[on], color=colour(c, len(candidates)),
                   edgecolor=colour(c, len(candidates)), lw=0.6,
                   label=f"{cid} appointed ({_share(counts[:, c].sum())})")  # fmt: skip
            small += [(xi, c) for xi in x if 0 < counts[xi, c] < SMALL * top]
            bottom += counts[:, c]
    # The deadlock bar sits apart, after a gap: it is not a date.
    gap = len(days) + 0.5
    ax.bar([gap], [dead], color=DEADLOCK_COLOUR, label=f"deadlock ({_share(dead)})")
    ax.axvline(len(days) - 0.25, color="black", ls=":", lw=1)
    if dead and dead < SMALL * top:
        small.append((gap, None))
    stacked = {xi: 0 for xi, _ in small}
    shades = []  # the triangles' colours, for the legend
    for xi, c in small:
        height = bottom[int(xi)] if c is not None else dead
        shade = DEADLOCK_COLOUR if c is None else colour(c, len(candidates))
        ax.annotate("\u25bc", (xi, height), xytext=(0, 12 + 9 * stacked[xi]),
                    textcoords="offset points", ha="center", va="bottom", fontsize=9,
                    color=shade)  # fmt: skip
        stacked[xi] += 1
        shades += [shade] if shade not in shades else []
    if small:  # drawn as on the bars: in the outcome's colour (or one black, for several)
        one = len(shades) == 1
        ax.plot([], [], ls="", marker="v", color=shades[0] if one else "black",
                label="a share too small to see" + ("" if one else " (in its outcome's colour)"))  # fmt: skip
    if len(days) <= 20:  # small shares would be invisible bars without their number
        for xi, share in [*zip(x, bottom, strict=True), (gap, dead)]:
            # on a white box: a line drawn across later (the page's observed date) passes behind
            ax.annotate(_share(share), (xi, share), xytext=(0, 2), textcoords="offset points",
                        ha="center", va="bottom", fontsize=7, zorder=5,
                        bbox={"boxstyle": "square,pad=0.1", "fc": "white", "ec": "none"})  # fmt: skip
    ax.set_ylim(0, top * (1.08 if small else 1))
    step = max(1, len(days) // 15)
    ticks = [*x[::step], gap]
    ax.set_xticks(ticks, [*days[::step], "deadlock"], rotation=45, ha="right", fontsize=8)
    ax.set_xlim(-0.7, gap + 0.7)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_ylabel("share of replications")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig


def _share(x: float) -> str:
    """A share as a percentage, with more digits near 0 and 100 so as not to claim them."""
    for digits in (1, 2, 3):
        text = f"{100 * x:.{digits}f}"
        if x in (0, 1) or 0 < float(text) < 100:
            break
    return f"{text}%"


def sweep(key: str, values: list, labels: list[str], p, lo, hi, path: Path, title: str,
          dates: list | None = None) -> Path:  # fmt: skip
    """Probability of each outcome (columns of p) against a swept value, with intervals.

    `dates`, one per value, holds (25%, median, 75%) appointment dates or None: drawn below,
    so a sweep that never changes the winner still shows what it changes.
    """
    return _save(sweep_figure(key, values, labels, p, lo, hi, title, dates), path)


def sweep_figure(key, values, labels, p, lo, hi, title, dates=None):
    """The figure of `sweep`, not yet saved."""
    p, lo, hi = (np.asarray(a, dtype=float) for a in (p, lo, hi))
    numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
    x = np.array(values, dtype=float) if numeric else np.arange(len(values))
    timed = dates is not None and any(d is not None for d in dates)
    fig, axes = plt.subplots(2 if timed else 1, 1, figsize=(9.4, 7.2 if timed else 4.2),
                             sharex=True, squeeze=False)  # fmt: skip
    ax = axes[0, 0]
    style = "o-" if numeric and len(values) <= 12 else "o"  # no lines between categories
    for k, label in enumerate(labels):
        if not p[:, k].any():
            continue  # never happened at any value: a flat line at zero only clutters
        ax.errorbar(x, p[:, k], yerr=[p[:, k] - lo[:, k], hi[:, k] - p[:, k]], fmt=style,
                    ms=4, capsize=3, color=_outcome_colour(k, labels), label=label)  # fmt: skip
    if not numeric:
        ax.set_xticks(x, [str(v) for v in values])
        ax.set_xlim(-0.5, len(values) - 0.5)
    ax.set_ylim(-0.02, 1.02)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_ylabel("probability")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
    ax.set_title(title, fontsize=10)
    if timed:
        low = axes[1, 0]
        have = [i for i, d in enumerate(dates) if d is not None]
        mid = np.array([mdates.date2num(dates[i][1]) for i in have])
        err = [mid - [mdates.date2num(dates[i][0]) for i in have],
               [mdates.date2num(dates[i][2]) for i in have] - mid]  # fmt: skip
        low.errorbar(x[have], mid, yerr=err, fmt=style, ms=4, capsize=3, color="black",
                     label="median appointment date,\nbar: middle 50%")  # fmt: skip
        low.yaxis_date()
        # Ticks on the (round) dates drawn, at most 8 of them, never two days side by side.
        drawn = sorted({d for i in have for d in dates[i]})
        drawn = drawn[:: -(-len(drawn) // 8)]
        low.set_yticks([mdates.date2num(d) for d in drawn], [_day(d) for d in drawn])
        low.set_ylabel("appointment date")
        low.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
        span = max(mid.max() - mid.min(), 7)
        low.set_ylim(min(mid - err[0]) - span / 4, max(mid + err[1]) + span / 4)
    axes[-1, 0].set_xlabel(key)
    fig.tight_layout()
    return fig


def compare(rows: list[dict], outcomes: list[str], path: Path,
            verdict: tuple[str, bool] | None = None) -> Path:  # fmt: skip
    """Outcome probabilities of several scenarios side by side, with 95% intervals
    (`verdict`: the title's words and whether they say something differs)."""
    return _save(compare_figure(rows, outcomes, verdict), path)


def differing(rows: list[dict], outcomes: list[str]) -> list[str]:
    """The outcomes on which some two scenarios' 95% intervals do not overlap."""
    out = []
    for k in outcomes:
        spans = [row.get(k, (0, 0, 0))[1:] for row in rows]
        if max(lo for lo, _ in spans) > min(hi for _, hi in spans):
            out.append(k)
    return out


def compare_figure(rows: list[dict], outcomes: list[str], verdict: tuple[str, bool] | None = None):
    """The figure of `compare`, not yet saved; it says in words whether the scenarios differ:
    `verdict` (words, whether something differs) as the comparison's verdicts give it, else
    the outcomes on which some two scenarios' intervals are apart."""
    fig, ax = plt.subplots(figsize=(max(6.0, 1.6 * len(outcomes) * len(rows) ** 0.5 + 2) + 2.4,
                                    4.8))  # fmt: skip
    width = 0.8 / len(rows)
    x = np.arange(len(outcomes))
    for j, row in enumerate(rows):
        p = np.array([row.get(k, (0, 0, 0))[0] for k in outcomes])
        lo = np.array([row.get(k, (0, 0, 0))[1] for k in outcomes])
        hi = np.array([row.get(k, (0, 0, 0))[2] for k in outcomes])
        ax.bar(x + (j - (len(rows) - 1) / 2) * width, p, width, yerr=[p - lo, hi - p],
               capsize=3, label=row["scenario"], color=colour(j, len(rows)),
               alpha=0.85)  # fmt: skip
    ax.set_xticks(x, outcomes)
    ax.set_ylim(0, 1.1)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_ylabel("share of replications")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
    if verdict is None:
        apart = differing(rows, outcomes)
        if not apart:
            words = "no difference: for every outcome, the scenarios' 95% intervals overlap"
        else:
            words = "they differ on " + ", ".join(apart) + " (95% intervals apart)"
        verdict = (words, bool(apart))
    words = "\n".join(textwrap.wrap(verdict[0], 100, break_on_hyphens=False))
    ax.set_title(f"outcome probabilities by scenario, with 95% intervals\n{words}",
                 fontsize=10, color="black" if verdict[1] else "#b22222")  # fmt: skip
    fig.tight_layout()
    return fig


def _outcome_colour(k: int, labels: list[str]) -> str:
    n = len(labels) - ("deadlock" in labels)  # the candidates among the outcomes
    return DEADLOCK_COLOUR if labels[k] == "deadlock" else colour(k, n)


def profile(profile, cases: list[str], path: Path, title: str) -> Path:
    """One panel per parameter: each case's loss and their sum along it (a `Profile`, the
    others at the fit), the fitted value marked."""
    names = list(profile.ranges)
    cols = min(4, len(names))
    rows = (len(names) + cols - 1) // cols
    # one scale for every panel, so that a flat line looks flat beside one that moves
    fig, axes = plt.subplots(rows, cols, figsize=(3.4 * cols, 2.8 * rows + 0.6), squeeze=False,
                             sharey=True)  # fmt: skip
    for ax, name in zip(axes.flat, names, strict=False):
        values, total = profile.along(name, cases)
        ax.plot(values, total, color="black", lw=2, marker="o", ms=3, label="sum of the cases")
        for k, case in enumerate(cases):
            ax.plot(values, profile.along(name, [case])[1], color=colour(k, len(cases)), lw=1,
                    marker=".", label=case)  # fmt: skip
        ax.axvline(profile.fitted[name], color="grey", ls="--", lw=1, label="fitted value")
        at = profile.fitted[name]  # starred: seen at the range's ends too
        ax.plot([at], [total[values.index(at)]], "k*", ms=10, clip_on=False)
        ax.set_title(name, fontsize=9)
        ax.set_xlim(*profile.ranges[name])
        ax.tick_params(labelsize=7)
    for ax in axes.flat[len(names) :]:
        ax.set_visible(False)
    axes.flat[0].set_ylabel("loss", fontsize=8)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=8, frameon=False)
    fig.suptitle(title, fontsize=10)
    return _save(fig, path, rect=(0, 0.08, 1, 1))


def fold_profiles(folds: list[tuple], path: Path) -> Path:
    """A grid, one row per crossval fold and one column per parameter: the fitted cases'
    summed loss and the left-out case's loss along the parameter (each on its own scale),
    the others at that fold's fit, the fitted value marked.

    Args:
        folds: (left-out case, fitted cases, `Profile`) per fold.
    """
    names = list(folds[0][2].ranges)
    fig, axes = plt.subplots(len(folds), len(names), squeeze=False,
                             figsize=(2.3 * len(names) + 0.8, 2.0 * len(folds) + 1.0))  # fmt: skip
    handles = []
    for r, (held, fitted_on, profile) in enumerate(folds):
        # One scale per row and line: a flat line then looks flat beside one that moves
        # (each panel on its own scale would blow a change of 0.0001 up to its full height).
        fit_lim = _padded([x for n in names for x in profile.along(n, fitted_on)[1]])
        held_lim = _padded([x for n in names for x in profile.along(n, [held])[1]])
        for c, name in enumerate(names):
            ax = axes[r, c]
            values, total = profile.along(name, fitted_on)
            (fitted_line,) = ax.plot(values, total, color="black", lw=1.6, marker="o", ms=2.5)
            twin = ax.twinx()  # its own scale: one case's loss is smaller than three's
            (held_line,) = twin.plot(values, profile.along(name, [held])[1], color=colour(1),
                                     lw=1.2, ls="--", marker=".")  # fmt: skip
            handles = handles or [fitted_line, held_line]
            ax.set_ylim(*fit_lim)
            twin.set_ylim(*held_lim)
            if c < len(names) - 1:  # the row's scales are read off its first and last panel
                twin.set_yticklabels([])
            if c:
                ax.set_yticklabels([])
            ax.axvline(profile.fitted[name], color="grey", ls=":", lw=1)
            at = profile.fitted[name]
            ax.plot([at], [total[values.index(at)]], "k*", ms=7, clip_on=False)
            ax.set_xlim(*profile.ranges[name])
            ax.tick_params(labelsize=6)
            twin.tick_params(labelsize=6, colors=colour(1))
            if r == 0:
                ax.set_title(name, fontsize=8)
            if c == 0:
                ax.set_ylabel(f"{held} out", fontsize=8)
    fig.legend(handles, ["fitted cases: summed loss (left scale)",
                         "left-out case: its loss (right scale, dashed)"],
               loc="lower center", ncol=2, fontsize=8, frameon=False)  # fmt: skip
    fig.suptitle("Each fold's loss along one parameter, the others at that fold's fit "
                 "(dotted: the fitted value)", fontsize=10)  # fmt: skip
    return _save(fig, path, rect=(0, 0.05, 1, 1))


def _padded(values: list[float]) -> tuple[float, float]:
    """Axis limits around `values` with a margin, at least 0.02 apart."""
    low, high = min(values), max(values)
    pad = max(high - low, 0.02) * 0.08
    middle = (low + high) / 2
    half = max(high - low, 0.02) / 2 + pad
    return middle - half, middle + half


def _save(fig, path: Path, rect=None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.stem + ".tmp.png")
    fig.tight_layout(rect=rect)
    fig.savefig(tmp, dpi=110)
    plt.close(fig)
    tmp.replace(path)
    return path
