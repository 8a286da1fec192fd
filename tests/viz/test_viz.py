"""The page's logic without a browser: controls, overrides, what-if files, the batch."""

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("solara", reason="the viz extra is not installed (pip install -e '.[viz]')")


import sim  # noqa: E402
from sim.cli.main import main  # noqa: E402
from sim.engine.world import build_world  # noqa: E402
from sim.scenario.loader import load_scenario  # noqa: E402
from sim.viz.batch import run_batch  # noqa: E402
from sim.viz.model import PageModel  # noqa: E402
from sim.viz.rounds import stance_grid  # noqa: E402
from sim.viz.settings import NONE, controls, overrides, what_if  # noqa: E402

BASE = "scenarios/nato-2024.yaml"


def _resolved(scenario):
    return scenario.model_dump(mode="json", exclude={"name", "batch"})


def test_controls_cover_parameters_rules_members_and_race_events():
    sc = load_scenario(BASE)
    keys = {c.key: c for c in controls(sc)}
    assert keys["parameters.w_griev"].low == 0 and keys["parameters.w_griev"].high == 10
    assert keys["parameters.withdraw_patience"].kind == "int"
    assert keys["grievances.schengen.weight"].value == 0.6
    assert {"members.HU.salience", "members.HU.capability", "members.HU.initial"} <= set(keys)
    assert keys["events.iohannis-enters.date"].value == "2024-02-29"
    assert not any(k.startswith("events.sweden-joins") for k in keys)  # not a race event


def test_only_changed_controls_become_overrides():
    sc = load_scenario(BASE)
    file_values = {c.key: c.value for c in controls(sc)}
    assert overrides(sc, file_values) == []
    moved = {**file_values, "parameters.noise": 0.30000000000000004, "members.US.initial": NONE}
    assert overrides(sc, moved, "calendar.round_days=14") == [
        "parameters.noise=0.3", "members.US.initial=", "calendar.round_days=14"]  # fmt: skip


def test_a_bad_value_keeps_the_cli_message_and_plays_the_file():
    m = PageModel(BASE, seed="1", typed="parameters.noise=-3")
    assert m.problems == [
        "--set parameters.noise=-3: parameters.noise: Input should be greater than or equal to 0 (got -3)"
    ]
    assert m.overrides == [] and _resolved(m.world.scenario) == _resolved(load_scenario(BASE))
    m.step()
    assert m.round == 1


def test_stepping_changes_the_grid():
    m = PageModel(BASE)
    before = stance_grid(m)
    m.step()
    assert stance_grid(m) != before and 'data-round="1"' in stance_grid(m)


def test_what_if_validates_and_batch_reproduces_the_page(tmp_path):
    sets = ["parameters.price_base=0", "members.HU.salience=0.9", "grievances.schengen.weight=0",
            "events.iohannis-enters.date=2024-03-14", "calendar.deadline=2024-06-01"]  # fmt: skip
    page = PageModel(BASE, seed="7", typed="; ".join(sets))
    assert page.problems == []
    view = run_batch(page.world, 60, page.seed)
    file = what_if(BASE, tmp_path / "what-if" / "mine.yaml", page.overrides, 60, page.seed)
    text = file.read_text()
    assert "extends: " in text and "assumption" in text
    saved = load_scenario(file)
    assert _resolved(saved) == _resolved(page.world.scenario)
    assert main(["validate", str(file)]) == 0
    # `coalition-sim batch FILE` (its batch: block gives runs and seed) repeats the page's batch.
    out = tmp_path / "batch"
    assert main(["batch", str(file), "--out", str(out), "--no-report"]) == 0
    runs = sim.Results.load(out).runs
    cands = page.world.candidates
    winners = [cands[k] if k < len(cands) else "" for k in view.outcome]
    assert [w if isinstance(w, str) else "" for w in runs["winner"]] == winners
    days = [_date(d).toordinal() if isinstance(d, str) and d else 0 for d in runs["appointed_date"]]
    assert days == view.day.tolist()
    assert len(set(winners)) > 1 or len(set(days)) > 1  # not a trivial match


def _date(text):
    from datetime import date

    return date.fromisoformat(text) if text else date(1, 1, 1)


def test_batch_probabilities_move_with_the_grievance_weight():
    # The slider's two ends: since 66228a6 the file's own weight deadlocks every run, as 10 does.
    low = run_batch(build_world(load_scenario(BASE, ["parameters.w_griev=0"])), 100, 1)
    low = low.probabilities()
    high = run_batch(build_world(load_scenario(BASE, ["parameters.w_griev=10"])), 100, 1)
    assert high.probabilities()[0]["probability"] < low[0]["probability"]
    assert np.all(high.supporters >= 0)


def test_the_record_is_found_for_a_scenario_and_for_its_what_ifs(tmp_path):
    from sim.viz.record import find_record

    record, problem = find_record(BASE, load_scenario(BASE))
    assert problem is None and record.appointment.winner == "rutte"
    variant = "scenarios/what-if/schengen-settled.yaml"
    assert find_record(variant, load_scenario(variant))[0].name == record.name
    lone = tmp_path / "lone.yaml"
    lone.write_text(Path(BASE).read_text())
    assert find_record(lone, load_scenario(lone)) == (None, None)


def test_batch_figures_carry_the_record():
    from sim.viz.panels import _figures
    from sim.viz.record import find_record

    view = run_batch(build_world(load_scenario(BASE)), 50, 1)
    record = find_record(BASE, load_scenario(BASE))[0]
    with_record, without = _figures(view, record), _figures(view, None)
    assert all(png.startswith(b"\x89PNG") for png in (*with_record, *without))
    assert with_record[0] != without[0] and with_record[1] != without[1]


def test_save_as_what_if_never_writes_over_a_file_unless_told_and_never_over_its_base(tmp_path):
    from sim.errors import ScenarioError

    target = tmp_path / "mine.yaml"
    sets = ["parameters.noise=0.9"]
    what_if(BASE, target, sets, 60, 1)
    first = target.read_text()
    with pytest.raises(
        ScenarioError, match="exists; choose another file, or tick 'replace it if it exists'"
    ):
        what_if(BASE, target, ["parameters.noise=0.2"], 60, 1)
    assert target.read_text() == first  # kept
    what_if(BASE, target, ["parameters.noise=0.2"], 60, 1, force=True)
    assert "noise: 0.2" in target.read_text()
    # the scenario it extends (and what that extends) is never the target, even with force
    base_before = Path(BASE).read_bytes()
    variant = tmp_path / "variant.yaml"
    variant.write_text(f"extends: {Path(BASE).resolve()}\nname: v\n")
    for out in (BASE, variant):
        with pytest.raises(ScenarioError, match="is an input of this command"):
            what_if(variant, out, sets, 60, 1, force=True)
    assert Path(BASE).read_bytes() == base_before
    assert variant.read_text().startswith("extends:")


def _mesa_reset(model, params):
    """What Mesa's Reset button does: rebuild the model's own class from the page's params."""
    from mesa.visualization.solara_viz import _build_model_init_kwargs

    kwargs = _build_model_init_kwargs(
        model, params, add_scenario_when_empty=True, require_model_accepts_scenario=True
    )
    return type(model)(**kwargs)


@pytest.mark.parametrize("params", [{}, {"seed": "2"}])
def test_reset_rebuilds_the_current_scenario_even_without_its_path_in_the_params(params):
    from sim.viz.app import page_model

    model = page_model("scenarios/wto-2013.yaml")
    again = _mesa_reset(model, params)
    assert again.path == "scenarios/wto-2013.yaml" and again.name == "wto-2013"
    assert again.world.candidates == model.world.candidates


def test_reset_with_the_pages_params_rebuilds_that_scenario():
    from sim.viz.app import model_params, page_model

    path = "scenarios/osce-2020.yaml"
    params = {k: (v.value if hasattr(v, "value") else v.get("value", v) if isinstance(v, dict)
                  else v) for k, v in model_params(path).items()}  # fmt: skip
    again = _mesa_reset(page_model(path), params)
    assert again.path == path and again.overrides == []


def _slider_snap(value, low, high, step):
    """What the page's slider (Vuetify's VSlider.roundValue) reports for `value` on mount."""
    text = format(step, "f").rstrip("0") if isinstance(step, float) else str(step)
    decimals = len(text) - text.index(".") - 1 if "." in text else 0
    offset = low % step
    snapped = round((value - offset) / step) * step + offset
    return float(f"{min(snapped, high):.{decimals}f}")


@pytest.mark.parametrize("path", ["scenarios/nato-2024.yaml", "scenarios/wto-2013.yaml",
                                  "scenarios/oecd-2021.yaml", "scenarios/osce-2020.yaml"])  # fmt: skip
def test_untouched_sliders_add_no_override(path):
    from mesa.visualization import Slider

    from sim.viz.app import model_params

    sc = load_scenario(path)
    params = model_params(path)
    shown = {}
    for key, spec in params.items():
        if isinstance(spec, Slider):
            shown[key] = _slider_snap(spec.value, spec.min, spec.max, spec.step)
        elif isinstance(spec, dict) and "type" in spec:
            shown[key] = spec["value"]
    assert overrides(sc, shown) == []
    assert PageModel(path, **shown).overrides == []
    noise = params["parameters.noise"]
    moved = {**shown, "parameters.noise": _slider_snap(0.25, noise.min, noise.max, noise.step)}
    assert overrides(sc, moved) == ["parameters.noise=0.25"]


def test_a_value_finer_than_any_slider_step_is_not_an_override_when_untouched():
    sc = load_scenario(BASE, ["parameters.noise=0.123456789"])
    noise = next(c for c in controls(sc) if c.key == "parameters.noise")
    assert noise.step == 1e-6 and noise.shown == 0.123457
    assert overrides(sc, {"parameters.noise": noise.shown}) == []
    assert overrides(sc, {"parameters.noise": 0.123458}) == ["parameters.noise=0.123458"]


def test_every_slider_shows_its_value():
    from mesa.visualization import solara_viz

    import sim.viz.app  # noqa: F401  (installs the sliders with values)
    from sim.viz.inputs import UserInputs, value_text

    assert solara_viz.UserInputs is UserInputs
    assert value_text(0.4308, 0.0001) == "0.4308" and value_text(0.43, 0.0001) == "0.43"
    assert value_text(54.356, 0.001) == "54.356" and value_text(500, 50) == "500"
    assert value_text(2.0, 0.01) == "2" and value_text(-0.4, 0.01) == "-0.4"


def test_the_supporters_chart_is_drawn_on_the_server_with_deadline_and_sessions():
    from sim.viz.app import supporters_figure

    m = PageModel(BASE)
    for _ in range(3):
        m.step()
    ax = supporters_figure(m).axes[0]
    labels = [line.get_label() for line in ax.lines]
    assert {"rutte", "iohannis", "undecided", "deadline"} <= set(labels)
    assert any("session" in x for x in labels) == bool(m.world.session and any(m.world.session))
    rutte = next(line for line in ax.lines if line.get_label() == "rutte")
    assert list(rutte.get_xdata()) == [0, 1, 2, 3]


def test_the_observed_date_line_passes_behind_the_bar_labels():
    import matplotlib.pyplot as plt

    from sim.report import plots
    from sim.viz.panels import _observed_date
    from sim.viz.record import find_record

    view = run_batch(build_world(load_scenario(BASE)), 50, 1)
    days, counts, deadlocks = view.dates_histogram()
    fig = plots.appointment_dates_figure(days, counts, view.world.candidates, deadlocks, 50, "")
    ax = fig.axes[0]
    _observed_date(ax, days, find_record(BASE, load_scenario(BASE))[0].appointment.date)
    (line,) = [x for x in ax.lines if x.get_label().startswith("observed")]
    labels = [t for t in ax.texts if t.get_text().endswith("%")]
    assert labels and all(t.zorder > line.zorder and t.get_bbox_patch() for t in labels)
    plt.close(fig)


def test_the_grid_legend_keeps_each_square_beside_its_name_on_one_line():
    html = stance_grid(PageModel(BASE))
    legend = html[html.index('class="grid-legend"') : html.index("<table")]
    assert "&nbsp;" not in legend
    assert legend.count("white-space:nowrap") == 5  # rutte, iohannis, undecided, x, F/i
    assert "F/i under a date: a formal/indicative session</span>" in legend
