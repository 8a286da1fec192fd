"""Figures show the action: legends never cover data, axes span where things happen.

Each figure is drawn (not saved) and measured in display coordinates: the legend's window
extent against every plotted line, band, marker and bar; the x-axis range against the rounds
in which the bands move; labels against each other.
"""

from datetime import date, timedelta
from pathlib import Path

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.collections import PathCollection, PolyCollection
from matplotlib.colors import to_hex
from matplotlib.patches import Rectangle

from sim.engine.loop import simulate
from sim.engine.rules import NEVER
from sim.engine.world import build_world
from sim.report import plots
from sim.report.batch_report import informative_points
from sim.results.results import Results
from sim.scenario.loader import load_scenario

ROOT = Path(__file__).resolve().parents[2]
BASE = ROOT / "scenarios" / "nato-2024.yaml"
START = date(2024, 2, 22)
DATES = [START + timedelta(days=7 * t) for t in range(21)]


# --- measuring a drawn figure ---------------------------------------------------------------


def data_points(ax) -> list[tuple[object, np.ndarray]]:
    """(artist, (n, 2) display points) of everything visible in `ax`; lines densely sampled.

    Points outside the axes are clipped away when drawn, so they are left out.
    """
    frame = ax.get_window_extent()

    def visible(xy):
        keep = (xy[:, 0] >= frame.x0 - 0.5) & (xy[:, 0] <= frame.x1 + 0.5)
        keep &= (xy[:, 1] >= frame.y0 - 0.5) & (xy[:, 1] <= frame.y1 + 0.5)
        return xy[keep]

    out = [(artist, visible(xy)) for artist, xy in _drawn(ax)]
    for text in ax.texts:  # labels may sit outside the axes, and are not clipped
        box = text.get_window_extent()
        out.append((text, np.array([[box.x0, box.y0], [box.x1, box.y1]])))
    return out


def _drawn(ax) -> list[tuple[object, np.ndarray]]:
    out = []
    for line in ax.get_lines():
        if not len(line.get_xdata()):
            continue  # a legend-only line
        xy = np.column_stack([mdates.date2num(v) if isinstance(v[0], date) else v
                              for v in map(np.asarray, line.get_data())]).astype(float)  # fmt: skip
        if len(xy) > 1:  # the segments between points, too
            t = np.linspace(0, 1, 25)[:, None]
            xy = np.vstack([a + t * (b - a) for a, b in zip(xy[:-1], xy[1:], strict=True)])
        out.append((line, line.get_transform().transform(xy)))
    for coll in ax.collections:
        if isinstance(coll, PathCollection):  # scatter markers
            offsets = coll.get_offset_transform().transform(coll.get_offsets())
            out.append((coll, offsets))
        elif isinstance(coll, PolyCollection):  # fill_between bands
            for path in coll.get_paths():
                out.append((coll, coll.get_transform().transform(path.vertices)))
    for patch in ax.patches:
        if isinstance(patch, Rectangle) and patch.get_height() > 0:
            box = patch.get_window_extent()
            out.append((patch, np.array([[box.x0, box.y0], [box.x1, box.y1], [box.x0, box.y1],
                                         [box.x1, box.y0], [box.x0 / 2 + box.x1 / 2,
                                         box.y0 / 2 + box.y1 / 2]])))  # fmt: skip
    return out


def legends(fig) -> list:
    found = [ax.get_legend() for ax in fig.axes if ax.get_legend() is not None]
    return [*found, *fig.legends]


def covered(fig) -> list:
    """Every plotted artist with a point inside a legend's box (empty list: nothing hidden)."""
    fig.canvas.draw()
    hits = []
    for legend in legends(fig):
        box = legend.get_window_extent()
        for ax in fig.axes:
            for artist, xy in data_points(ax):
                inside = (
                    (xy[:, 0] > box.x0) & (xy[:, 0] < box.x1) & (xy[:, 1] > box.y0) & (xy[:, 1] < box.y1)
                )  # fmt: skip
                if inside.any():
                    hits.append(artist)
    return hits


def overlapping_labels(labels) -> list[tuple[str, str]]:
    boxes = [(t.get_text(), t.get_window_extent()) for t in labels if t.get_text()]
    return [
        (a, b) for i, (a, ba) in enumerate(boxes) for b, bb in boxes[i + 1 :] if ba.overlaps(bb)
    ]


def test_the_overlap_check_finds_a_legend_placed_over_the_data():
    fig, ax = plt.subplots()
    ax.plot([0, 1, 2], [0, 1, 0], label="a line through the middle")
    ax.legend(loc="center")
    assert covered(fig)  # the check can fail
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1))
    fig.tight_layout()
    assert not covered(fig)
    plt.close(fig)


# --- fan.png and score_fan.png -------------------------------------------------------------


def rising_panel(moving_rounds: int = 5, **kw) -> plots.FanPanel:
    """Two candidates; the bands move in the first `moving_rounds` rounds, then stay flat."""
    t = np.minimum(np.arange(len(DATES)), moving_rounds)
    a = 20 + 2 * t
    q = np.stack([np.stack([a + d, 10 - t // 2 + d / 2], axis=1) for d in (-2, -1, 0, 1, 2)])
    return plots.FanPanel("", DATES, ["rutte", "iohannis"], q.astype(float), **kw)


def test_fan_x_axis_ends_where_the_bands_stop_moving_and_names_a_far_deadline():
    fig = plots.fan_figure([rising_panel(deadline=DATES[-1])], "t")
    ax = fig.axes[0]
    lo, hi = ax.get_xlim()
    assert lo <= mdates.date2num(DATES[0]) < mdates.date2num(DATES[1]) and lo > mdates.date2num(
        DATES[0] - timedelta(days=7)
    )
    # Last change is into round 5; one flat round shown, and not the 14 flat ones after it.
    assert mdates.date2num(DATES[6]) <= hi < mdates.date2num(DATES[8])
    assert f"deadline {DATES[-1].day} {DATES[-1]:%b %Y}" in ax.get_xlabel()
    plt.close(fig)


def test_fan_marks_a_near_deadline_with_a_line_and_a_label():
    deadline = DATES[7]
    fig = plots.fan_figure([rising_panel(deadline=deadline)], "t")
    ax = fig.axes[0]
    at = mdates.date2num(deadline)
    assert any(np.allclose(mdates.date2num(line.get_xdata()), at) for line in ax.get_lines()
               if len(line.get_xdata()) == 2 and line.get_linestyle() == ":")  # fmt: skip
    assert ax.get_xlim()[1] >= at
    assert any("deadline" in t.get_text() for t in ax.texts)
    plt.close(fig)


def test_fan_legend_covers_no_data_and_its_swatches_take_the_band_colours():
    fig = plots.fan_figure([rising_panel(deadline=DATES[-1])], "t")
    assert not covered(fig)
    legend = legends(fig)[0]
    labels = [t.get_text() for t in legend.get_texts()]
    assert labels[:2] == ["rutte: median and bands", "iohannis: median and bands"]
    for c, handle in enumerate(legend.legend_handles[:2]):
        colour = np.atleast_2d(handle.get_facecolor())[0]
        assert to_hex(colour) == plots.CANDIDATE_COLOURS[c]  # not grey
    plt.close(fig)


def test_score_fan_shows_the_observed_appointment_even_late_and_hides_nothing():
    late = DATES[17]
    observed = [(DATES[3], "rutte", 27), (DATES[16], "rutte", 31)]
    panel = rising_panel(deadline=DATES[-1], observed=observed,
                         marks=[(late, f"observed: rutte appointed {late}")])  # fmt: skip
    fig = plots.fan_figure([panel], "t")
    ax = fig.axes[0]
    assert ax.get_xlim()[1] >= mdates.date2num(late)  # the late appointment is on the axis
    assert any(f"observed: rutte appointed {late}" == t.get_text() for t in ax.texts)
    assert "observed appointment" in [t.get_text() for t in legends(fig)[0].get_texts()]
    assert not covered(fig)
    plt.close(fig)


def test_a_sweep_fan_shares_one_date_range_and_one_legend_outside():
    panels = [rising_panel(3, deadline=DATES[-1]), rising_panel(9, deadline=DATES[-1])]
    fig = plots.fan_figure(panels, "t")
    a, b = (ax.get_xlim() for ax in fig.axes[:2])
    assert a == b and b[1] >= mdates.date2num(DATES[10])
    assert len(legends(fig)) == 1 and not covered(fig)
    plt.close(fig)


def test_fans_of_different_contests_get_their_own_dates_scales_and_legends():
    later = [d + timedelta(days=3650) for d in DATES]
    other = plots.FanPanel("", later, ["x"], 3 * rising_panel().quantiles[:, :, :1], [], [])
    fig = plots.fan_figure([rising_panel(3), other], "t", shared=False)
    a, b = fig.axes[:2]
    assert a.get_xlim()[1] < b.get_xlim()[0]  # ten years apart, each on its own axis
    assert a.get_ylim() != b.get_ylim() and len(legends(fig)) == 2 and not covered(fig)
    assert [t.get_text() for t in b.get_legend().get_texts()][0] == "x: median and bands"
    plt.close(fig)


def test_a_saved_fan_keeps_its_title_above_the_panels(tmp_path, monkeypatch):
    # The file, not only the figure: saving laid the figure out again without the strip
    # for the title, which then ran into the first panel's ("Left-out cases" in crossval).
    saved = []
    monkeypatch.setattr(plots.plt, "close", saved.append)
    marks = [(DATES[3], "observed: x")]
    plots.fan([rising_panel(3, marks=marks), rising_panel(3)], tmp_path / "f.png", "Left-out",
              shared=False)  # fmt: skip
    (fig,) = saved
    fig.canvas.draw()
    title = fig._suptitle.get_window_extent()
    panel = fig.axes[0].title.get_window_extent()
    assert title.y0 > panel.y1, (title, panel)
    plots.plt.close(fig)


# --- trajectory.png and stances.png --------------------------------------------------------


@pytest.fixture(scope="module")
def nato_runs():
    world = build_world(load_scenario(BASE))
    return world, simulate(world, list(range(60)))


def one(world, history, r: int):
    """Replication r of a batch history, as the single run `coalition-sim run` would draw."""
    return simulate(world, [int(history.seeds[r])]) if hasattr(history, "seeds") else None


def replication_with(world, pick) -> object:
    for seed in range(80):
        h = simulate(world, [seed])
        if pick(h):
            return h
    raise AssertionError("no replication of the kind wanted in 80 seeds")


def test_trajectory_dates_say_their_month_and_labels_cross_no_line(nato_runs):
    world, _ = nato_runs
    h = replication_with(world, lambda h: (h.final.withdrawn_round[0] != NEVER).any()
                         and h.final.appointed_round[0] != NEVER)  # fmt: skip
    fig = plots.trajectory_figure(h)
    ax = fig.axes[0]
    fig.canvas.draw()
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert ticks and all(len(t.split()) == 2 and t.split()[1] in
                         ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul") for t in ticks)  # fmt: skip
    assert not overlapping_labels(ax.get_xticklabels())
    withdraws = [t for t in ax.texts if "withdraws" in t.get_text()]
    assert withdraws
    frame = ax.get_window_extent()
    for text in ax.texts:  # above the plotting area, where no line runs, and apart
        assert text.get_window_extent().y0 >= frame.y1 - 1
    assert not overlapping_labels(ax.texts)
    assert not covered(fig)
    plt.close(fig)


def test_the_overlap_check_would_catch_the_old_withdrawal_label(nato_runs):
    world, _ = nato_runs
    h = replication_with(world, lambda h: (h.final.withdrawn_round[0] != NEVER).any())
    fig = plots.trajectory_figure(h)
    ax = fig.axes[0]
    wr = int(h.final.withdrawn_round[0].min())
    ax.annotate("x withdraws", (world.dates[wr], 0.5), rotation=90)  # where it used to be
    fig.canvas.draw()
    frame = ax.get_window_extent()
    assert min(t.get_window_extent().y0 for t in ax.texts) < frame.y1 - 1
    plt.close(fig)


def test_stances_colour_each_objection_by_the_candidate_objected_to(nato_runs):
    world, _ = nato_runs
    h = replication_with(world, lambda h: any(o[0].any() for o in h.objecting))
    fig = plots.stances_figure(h)
    ax = fig.axes[0]
    targets = sorted({c for o in h.objecting for c in np.nonzero(o[0].any(axis=0))[0]})
    crosses = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert len(crosses) == len(targets)
    for coll, c in zip(crosses, targets, strict=True):
        assert to_hex(coll.get_facecolor()[0]) == plots.CANDIDATE_COLOURS[c]
        n = sum(int(o[0][:, c].sum()) for o in h.objecting)
        assert len(coll.get_offsets()) == n
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert [f"objects to {world.candidates[c]}" for c in targets] == labels[-len(targets) :]
    assert "candidate" in ax.get_legend().get_title().get_text()
    fig.canvas.draw()
    assert not ax.get_legend().get_window_extent().overlaps(ax.get_window_extent())
    plt.close(fig)


def test_stances_without_objections_have_no_objection_entry():
    sc = load_scenario(BASE)  # without the standing objections of 22 February
    sc = sc.model_copy(
        update={"members": [m.model_copy(update={"objects": []}) for m in sc.members]}
    )
    world = build_world(sc)
    h = replication_with(world, lambda h: not any(o[0].any() for o in h.objecting))
    fig = plots.stances_figure(h)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert not any(label.startswith("objects to") for label in labels)
    plt.close(fig)


# --- appointment_dates.png -----------------------------------------------------------------


def test_a_rare_winner_is_marked_and_named_with_its_share():
    days = [str(d) for d in DATES[:6]]
    counts = np.zeros((6, 2), dtype=int)
    counts[:, 0] = [600, 250, 100, 40, 5, 0]
    counts[4, 1] = 2  # 0.2%: a bar 1/300 of the axis high
    fig = plots.appointment_dates_figure(days, counts.ravel(), ["rutte", "iohannis"], 3, 1000, "t")
    ax = fig.axes[0]
    marks = [t for t in ax.texts if t.get_text() == "\u25bc"]
    assert to_hex(plots.CANDIDATE_COLOURS[1]) in {to_hex(t.get_color()) for t in marks}
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "iohannis appointed (0.2%)" in labels and "deadlock (0.3%)" in labels
    assert not covered(fig)
    plt.close(fig)


def test_the_legend_draws_the_triangle_as_the_bars_do():
    days = [str(d) for d in DATES[:3]]
    counts = np.array([[600, 0], [298, 2], [100, 0]])  # iohannis 0.2%: too small to see
    fig = plots.appointment_dates_figure(days, counts.ravel(), ["rutte", "iohannis"], 0, 1000, "t")
    legend = fig.axes[0].get_legend()
    (entry,) = [h for h, t in zip(legend.legend_handles, legend.get_texts(), strict=True)
                if t.get_text() == "a share too small to see"]  # fmt: skip
    assert to_hex(entry.get_color()) == to_hex(plots.CANDIDATE_COLOURS[1])  # not black
    plt.close(fig)
    # several outcomes marked: one black triangle, and the legend says whose colour it takes
    counts[2, 1] = 0
    fig = plots.appointment_dates_figure(days, counts.ravel(), ["rutte", "iohannis"], 3, 1000, "t")
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "a share too small to see (in its outcome's colour)" in labels
    plt.close(fig)


def test_no_marks_when_every_share_shows():
    counts = np.array([[500, 0], [0, 500]])
    fig = plots.appointment_dates_figure(["a", "b"], counts.ravel(), ["x", "y"], 0, 1000, "t")
    assert not [t for t in fig.axes[0].texts if t.get_text() == "\u25bc"]
    plt.close(fig)


# --- the sweep figure and the fan's sweep points -------------------------------------------


def test_sweep_figure_shows_the_median_date_when_the_winner_never_changes():
    values = [0.1, 0.4, 0.8]
    p = np.array([[1.0, 0.0], [1.0, 0.0], [1.0, 0.0]])
    dates = [(DATES[4], DATES[4], DATES[4]), (DATES[4], DATES[5], DATES[6]), None]
    fig = plots.sweep_figure("noise", values, ["rutte", "deadlock"], p, p, p, "t", dates)
    assert len(fig.axes) == 2
    low = fig.axes[1]
    ticks = [t.get_text() for t in low.get_yticklabels()]
    assert ticks == [f"{d.day} {d:%b %Y}" for d in DATES[4:7]]
    (bars,) = [c for c in low.containers]
    assert np.allclose(bars.lines[0].get_ydata(), mdates.date2num([DATES[4], DATES[5]]))
    assert not covered(fig)
    plt.close(fig)
    fig = plots.sweep_figure("noise", values, ["rutte", "deadlock"], p, p, p, "t", None)
    assert len(fig.axes) == 1
    plt.close(fig)


def test_the_fan_of_a_long_sweep_shows_its_most_different_points():
    # Point 3 has the fewest wins for the leader, point 5 the most; point 1 appoints latest.
    share = {0: 8, 1: 8, 2: 8, 3: 2, 4: 8, 5: 10}
    winner, point, at = [], [], []
    for p, wins in share.items():
        winner += [0] * wins + [-1] * (10 - wins)
        point += [p] * 10
        at += [9 if p == 1 else 3] * wins + [-1] * (10 - wins)
    n = len(winner)
    runs = Results(
        scenario="s", members=["A"], candidates=["a", "b"], dates=dict.fromkeys(share, DATES),
        points=[{}] * len(share),
        columns={"run": np.arange(n), "seed": np.arange(n, dtype=np.uint64),
                 "point": np.array(point, dtype=np.int32), "winner": np.array(winner, dtype=np.int16),
                 "appointed_round": np.array(at, dtype=np.int32), "rounds": np.full(n, 9, dtype=np.int32)},
    )  # fmt: skip
    counts = np.array([[share[p], 0, 10 - share[p]] for p in share])
    assert informative_points(runs, counts, 2) == [3, 5]
    assert informative_points(runs, counts, 4) == [0, 1, 3, 5]  # 0: earliest (tied, first)


# --- compare.png ---------------------------------------------------------------------------


def test_compare_says_plainly_when_the_scenarios_do_not_differ():
    same = [{"scenario": "a", "rutte": (0.99, 0.97, 1.0), "deadlock": (0.01, 0.0, 0.03)},
            {"scenario": "b", "rutte": (0.98, 0.96, 0.99), "deadlock": (0.02, 0.01, 0.04)}]  # fmt: skip
    fig = plots.compare_figure(same, ["rutte", "deadlock"])
    assert "no difference" in fig.axes[0].get_title()
    assert not covered(fig)
    plt.close(fig)


def test_compare_names_the_outcomes_on_which_scenarios_differ():
    apart = [{"scenario": "a", "rutte": (0.99, 0.97, 1.0), "deadlock": (0.01, 0.0, 0.03)},
             {"scenario": "b", "rutte": (0.60, 0.55, 0.65), "deadlock": (0.02, 0.01, 0.04)}]  # fmt: skip
    fig = plots.compare_figure(apart, ["rutte", "deadlock"])
    title = fig.axes[0].get_title()
    assert "no difference" not in title and "differ on rutte (" in title
    assert "deadlock" not in title.split("differ on")[1]
    plt.close(fig)


def test_fan_dates_from_irregular_rounds_do_not_run_into_each_other():
    # weekly rounds, then a meeting possible on every working day: at the end round dates
    # are 1-3 days apart, where ticks taken every k-th round collided ("10 May14 May")
    weekly = [date(2013, 4, 2) + timedelta(7 * k) for k in range(6)]
    daily = [date(2013, 5, d) for d in (13, 14, 15, 16, 17, 20, 21, 22, 23, 24, 27, 28, 29, 30)]
    dates = sorted({*weekly, date(2013, 4, 12), date(2013, 4, 26), date(2013, 5, 10), *daily})
    moving = np.minimum(np.arange(len(dates)), dates.index(date(2013, 5, 14)))  # flat after
    q = np.stack([moving * f for f in (0.6, 0.8, 1.0, 1.2, 1.4)])[:, :, None].astype(float)
    panel = plots.FanPanel("irregular", dates, ["x"], q, deadline=date(2013, 5, 31))
    fig = plots.fan_figure([panel], "t", shared=False)
    fig.canvas.draw()
    ax = fig.axes[0]
    assert len(ax.get_xticklabels()) >= 4
    assert not overlapping_labels(ax.get_xticklabels())
    plt.close(fig)
