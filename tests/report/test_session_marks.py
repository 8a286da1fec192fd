"""Sessions and the deadline marked in the report's figures and on the page; distinct
colours past six candidates. Each mark is drawn where the scenario has the thing, and
nowhere when it does not."""

from datetime import timedelta

import matplotlib.dates as mdates
import numpy as np
import pytest
from matplotlib.colors import to_hex
from toy import run, toy, week

import sim
from sim.report import plots

SOLE = (("x", "A"),)
NINE = tuple((f"c{k}", None) for k in range(9))


def session(n, kind="formal", **more):
    return {"id": f"s{n}", "date": week(n), "name": f"meeting {n}", "kind": kind, **more}


def vlines(ax, colour):
    """x dates of the full-height vertical lines drawn in `colour`."""
    out = []
    for line in ax.get_lines():
        xs = line.get_xdata()
        if to_hex(line.get_color()) == colour and len(xs) == 2 and xs[0] == xs[1]:
            x = xs[0]
            out.append(mdates.num2date(x).date() if not hasattr(x, "year") else x)
    return sorted(out)


def quantiles(cands: int, rounds: int):
    q = np.cumsum(np.ones((5, rounds, cands)), axis=1)
    return q * np.arange(1, 6)[:, None, None] / 3


def test_fan_marks_formal_and_indicative_sessions_and_the_legend_names_them():
    dates = [week(t) for t in range(7)]
    sessions = [(week(2), "straw poll", "indicative"), (week(4), "council", "formal")]
    panel = plots.FanPanel("", dates, ["x", "y"], quantiles(2, 7), sessions=sessions)
    fig = plots.fan_figure([panel], "t")
    ax = fig.axes[0]
    assert vlines(ax, plots.FORMAL_COLOUR) == [week(4)]
    assert vlines(ax, plots.INDICATIVE_COLOUR) == [week(2)]
    legend = [t.get_text() for t in fig.axes[1 if len(fig.axes) > 1 else 0].get_legend().texts]
    assert "formal session" in legend and "indicative session" in legend
    labels = {t.get_text() for t in ax.texts}
    assert {"straw poll", "council"} <= labels  # few sessions: named above the plot
    plain = plots.fan_figure([plots.FanPanel("", dates, ["x", "y"], quantiles(2, 7))], "t")
    assert vlines(plain.axes[0], plots.FORMAL_COLOUR) == []
    assert not any("session" in t.get_text() for t in plain.axes[0].get_legend().texts)


def test_a_meeting_on_one_of_several_possible_dates_is_named_once():
    # A special council that may fall on any of three dates (held by chance), then a round.
    dates = [week(t) for t in range(7)]
    maybe = [(week(t), "special council", "formal") for t in (2, 3, 4)]
    sessions = [(week(1), "first round", "indicative"), *maybe]
    panel = plots.FanPanel("", dates, ["x"], quantiles(1, 7), sessions=sessions)
    ax = plots.fan_figure([panel], "t").axes[0]
    assert vlines(ax, plots.FORMAL_COLOUR) == [week(2), week(3), week(4)]  # each date drawn
    labels = [t.get_text() for t in ax.texts]
    assert labels.count("special council (3 dates from here)") == 1
    assert "special council" not in labels and "first round" in labels


def test_many_sessions_are_drawn_but_not_each_named():
    dates = [week(t) for t in range(12)]
    sessions = [(week(t), f"weekly {t}", "formal") for t in range(1, 12)]
    fig = plots.fan_figure(
        [plots.FanPanel("", dates, ["x"], quantiles(1, 12), sessions=sessions)], "t"
    )
    ax = fig.axes[0]
    assert len(vlines(ax, plots.FORMAL_COLOUR)) == 11
    assert not any(t.get_text().startswith("weekly") for t in ax.texts)


def test_trajectory_marks_sessions_and_the_deadline_only_where_there_are_some():
    # C's standing objection holds: a deadlock, played to the last round, the deadline.
    w = toy(candidates=SOLE, objects={"C": ["x"]}, sessions=[session(2, "indicative"),
            session(5)], weeks=6)  # fmt: skip
    ax = plots.trajectory_figure(run(w)).axes[0]
    assert vlines(ax, plots.FORMAL_COLOUR) == [week(5)]
    assert vlines(ax, plots.INDICATIVE_COLOUR) == [week(2)]
    assert vlines(ax, plots.DEADLINE_COLOUR) == [week(6)]
    labels = [t.get_text() for t in ax.get_legend().texts]
    assert "formal session" in labels and "indicative session" in labels
    plain = plots.trajectory_figure(run(toy(candidates=SOLE, objects={"C": ["x"]}, weeks=6)))
    plain = plain.axes[0]
    assert vlines(plain, plots.FORMAL_COLOUR) == vlines(plain, plots.INDICATIVE_COLOUR) == []
    assert vlines(plain, plots.DEADLINE_COLOUR) == [week(6)]
    far = toy(candidates=SOLE, objects={"C": ["x"]}, weeks=6,
              deadline=week(6) + timedelta(days=30))  # fmt: skip
    assert vlines(plots.trajectory_figure(run(far)).axes[0], plots.DEADLINE_COLOUR) == []


def test_stance_grid_figure_puts_a_triangle_over_each_session_round():
    w = toy(candidates=SOLE, sessions=[session(2, "indicative"), session(5)], weeks=6)
    ax = plots.stances_figure(run(w)).axes[0]
    by_gid = {line.get_gid(): list(line.get_xdata()) for line in ax.get_lines()}
    assert by_gid["formal-sessions"] == [5] and by_gid["indicative-sessions"] == [2]
    plain = plots.stances_figure(run(toy(candidates=SOLE, weeks=6))).axes[0]
    assert not [line for line in plain.get_lines() if line.get_gid()]


def test_more_than_six_candidates_get_distinct_colours_in_every_figure():
    dates = [week(t) for t in range(5)]
    fig = plots.fan_figure([plots.FanPanel("", dates, [c for c, _ in NINE], quantiles(9, 5))], "t")
    # One small plot per candidate, each in its colour under its name, all in the legend.
    medians = {to_hex(ax.get_lines()[-1].get_color()) for ax in fig.axes if ax.get_visible()}
    assert len(medians) == 9
    titles = [(ax.get_title(), to_hex(ax.title.get_color())) for ax in fig.axes if ax.get_visible()]
    assert titles == [(cid, plots.colour(c, 9)) for c, (cid, _) in enumerate(NINE)]
    legend = (
        [t.get_text() for t in fig.legends[0].get_texts()]
        if fig.legends
        else [
            t.get_text() for ax in fig.axes if ax.get_legend() for t in ax.get_legend().get_texts()
        ]
    )
    assert [f"{cid}: median and bands" for cid, _ in NINE] == [x for x in legend if "median" in x]
    days = [d.isoformat() for d in dates]
    counts = np.eye(5, 9, dtype=int).ravel() * 0 + 1
    fig = plots.appointment_dates_figure(days, counts, [c for c, _ in NINE], 0, 45, "t")
    bars = {to_hex(p.get_facecolor()) for p in fig.axes[0].patches if p.get_height() > 0}
    assert len(bars - {plots.DEADLOCK_COLOUR}) == 9
    assert len({plots.colour(c, 9) for c in range(9)}) == 9
    # Up to six, the report's own six colours (the page and older figures agree).
    assert [plots.colour(c, 6) for c in range(6)] == plots.CANDIDATE_COLOURS


def test_the_batch_report_fan_carries_the_scenarios_sessions(tmp_path, monkeypatch):
    drawn = []
    real = plots.fan
    monkeypatch.setattr(
        plots, "fan", lambda panels, *a, **k: drawn.extend(panels) or real(panels, *a, **k)
    )
    results = sim.batch("scenarios/nato-2024.yaml", runs=6, seed=1, out=tmp_path / "b")
    held = [s for s in results.sessions[0] if s]
    assert held and drawn
    assert [(name, kind) for _, name, kind in drawn[0].sessions] == held
    assert ("Foreign ministers" in " ".join(n for n, _ in held)) or len(held) > 10


# --- the page --------------------------------------------------------------------------------


def test_the_page_names_sessions_in_the_round_news_and_the_grid():
    pytest.importorskip("solara", reason="the viz extra is not installed")
    from sim.engine.model import ConsensusModel
    from sim.viz.rounds import round_news, stance_grid

    w = toy(candidates=SOLE, sessions=[session(2, "indicative"), session(4)], weeks=6)
    model = ConsensusModel(w, rng=0)
    news = []
    for _ in range(3):
        model.step()
        news.append(round_news(model)[0])
    assert news[1] == f"Round 2, {week(2).isoformat()}: meeting 2 (indicative session)"
    assert news[0] == f"Round 1, {week(1).isoformat()}"  # a plain round says none
    grid = stance_grid(model)
    assert 'title="meeting 2 (indicative session)"' in grid and "session indicative" in grid
    plain = ConsensusModel(toy(candidates=SOLE, weeks=6), rng=0)
    plain.step()
    grid = stance_grid(plain)
    assert "session" not in round_news(plain)[0]
    # a meeting convened once the rule is met: not held before the notice has run
    called = [session(n, convened_after_days=14) for n in (2, 3)]
    model = ConsensusModel(toy(candidates=SOLE, sessions=called, decision={"quorum": 1.0},
                               preferences=[{"id": f"p{m}", "members": {"codes": [m]},
                                             "candidate": "x", "affinity": 0.5} for m in "BCD"],
                               weeks=4), rng=0)  # fmt: skip
    news = []
    for _ in range(3):
        model.step()
        news.append(round_news(model)[0])
    assert (
        news[1]
        == f"Round 2, {week(2).isoformat()}: meeting 2 (formal session), not held in this run"
    )
    assert news[2] == f"Round 3, {week(3).isoformat()}: meeting 3 (formal session)"
    assert model.winner is not None and model.round == 3
    assert "session formal" not in grid and "session indicative" not in grid and "F/i" not in grid
