"""The page: pick a scenario, change its assumptions, play a replication, run a batch.

Served by `coalition-sim viz [SCENARIO]` (or `solara run sim.viz.app`); the scenario to
open first comes from the environment variable COALITION_SIM_SCENARIO.
"""

import os
from pathlib import Path

import solara
from mesa.visualization import Slider, SolaraViz

from sim.errors import ScenarioError
from sim.report.plots import FORMAL_COLOUR, INDICATIVE_COLOUR
from sim.scenario.loader import load_scenario
from sim.viz.inputs import show_slider_values
from sim.viz.model import PageModel, for_scenario
from sim.viz.panels import BatchPanel, grid_panel, problems_panel
from sim.viz.rounds import colour, deadline_rounds, session_rounds
from sim.viz.settings import controls

show_slider_values()  # Mesa's Model Parameters sliders show their values

SCENARIO_ENV = "COALITION_SIM_SCENARIO"
DEFAULT_SCENARIO = "scenarios/nato-2024.yaml"


def model_params(path: str) -> dict:
    """Mesa's model_params for a scenario: a slider per number, a select per initial stance."""
    params = {
        "scenario_path": path,
        "seed": {"type": "InputText", "value": "1", "label": "seed"},
        "typed": {"type": "InputText", "value": "", "label": "more --set key=value (; between)"},
    }
    for c in controls(load_scenario(path)):
        if c.kind in ("float", "int"):
            dtype = float if c.kind == "float" else int
            params[c.key] = Slider(c.label, value=dtype(c.value), min=dtype(c.low),
                                   max=dtype(c.high), step=dtype(c.step), dtype=dtype)  # fmt: skip
        elif c.kind == "choice":
            params[c.key] = {"type": "Select", "value": c.value, "values": list(c.choices),
                             "label": c.label}  # fmt: skip
        else:
            params[c.key] = {"type": "InputText", "value": c.value, "label": c.label}
    return params


def page_model(path: str) -> PageModel:
    """The page's model of `path`; Mesa's Reset (`type(model)(**params)`) rebuilds `path`."""
    return for_scenario(path)(path)


def scenario_choices(first: str) -> list[str]:
    """Every scenario file under scenarios/ (what-ifs too), and the one given."""
    found = (
        sorted(str(p) for p in Path("scenarios").rglob("*.yaml"))
        if Path("scenarios").is_dir()
        else []
    )
    return [first, *(f for f in found if f != first)]


def supporters_plot(model):
    """The DataCollector's supporters per candidate by round, drawn by the browser (Vega-Lite).

    Mesa's make_plot_component would do, but its chart costs ~100 ms a step on the server
    (matplotlib's PNG about 200 ms, Altair's schema validation about 100 ms); this spec is
    a plain dict, built in well under a millisecond.
    """
    world = model.world
    frame = model.datacollector.get_model_vars_dataframe()
    names = [*world.candidates, "undecided"]
    colours = [*(colour(c, len(names) - 1) for c in range(len(world.candidates))), "#999999"]
    rows = [
        {"round": int(t), "date": world.dates[int(t)].isoformat(), "who": n, "members": int(v)}
        for t, values in zip(frame.index, frame[names].to_numpy(), strict=True)
        for n, v in zip(names, values, strict=True)
    ]
    x = {"field": "round", "type": "quantitative", "scale": {"domain": [0, world.n_rounds]},
         "axis": {"tickMinStep": 1}}  # fmt: skip
    spec = {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "title": "members backing each candidate (dashed: deadline)",
        "width": 420,
        "height": 260,
        "layer": [
            {
                "data": {"values": rows},
                "mark": {"type": "line", "point": True},
                "encoding": {
                    "x": x,
                    "y": {"field": "members", "type": "quantitative"},
                    "color": {
                        "field": "who",
                        "type": "nominal",
                        "title": None,
                        "scale": {"domain": names, "range": colours},
                    },  # fmt: skip
                    "tooltip": [{"field": f} for f in ("date", "who", "members")],
                },
            },
            {
                "data": {"values": [{"round": t} for t in sorted(deadline_rounds(world))]},
                "mark": {"type": "rule", "color": "#b00", "strokeDash": [4, 3]},
                "encoding": {"x": x},
            },
        ],
    }
    held = session_rounds(world)
    for kind, col, dash in (
        ("formal", FORMAL_COLOUR, []),
        ("indicative", INDICATIVE_COLOUR, [2, 2]),
    ):
        marks = [{"round": t, "session": f"{name} ({kind})"} for t, name, k in held if k == kind]
        if marks:  # under the lines, so the counts stay readable
            spec["layer"].insert(0, {
                "data": {"values": marks},
                "mark": {"type": "rule", "color": col, "strokeDash": dash, "opacity": 0.5},
                "encoding": {"x": x, "tooltip": [{"field": "session"}]},
            })  # fmt: skip
    if held:
        spec["title"] = (
            "members backing each candidate (dashed red: deadline; grey: formal, teal: indicative sessions)"
        )
    return solara.widgets.VegaLite.element(spec=spec)


@solara.component
def ScenarioPage(path: str):
    """SolaraViz over one scenario; re-keyed (so rebuilt from the file) on scenario or reset."""
    model = solara.use_memo(lambda: page_model(path), [path])
    params = solara.use_memo(lambda: model_params(path), [path])
    SolaraViz(
        model,
        components=[problems_panel, grid_panel, supporters_plot, BatchPanel],
        model_params=params,
        name=f"coalition-sim: {model.name}",
    )


@solara.component
def Page():
    """The whole page: a scenario picker and "reset to file" above Mesa's controls."""
    first = os.environ.get(SCENARIO_ENV, DEFAULT_SCENARIO)
    path = solara.use_reactive(first)
    generation = solara.use_reactive(0)
    error = solara.use_reactive("")

    def pick(new: str):
        try:
            load_scenario(new)
        except ScenarioError as exc:
            error.set("\n".join(str(p) for p in exc.problems))
            return
        error.set("")
        path.set(new)

    with solara.Sidebar(), solara.Card("Scenario"):
        solara.Select("scenario", values=scenario_choices(first), value=path.value, on_value=pick)
        solara.InputText("or a path", value="", on_value=pick, continuous_update=False)
        solara.Button("Reset to file", on_click=lambda: generation.set(generation.value + 1),
                      classes=["reset-to-file"])  # fmt: skip
        if error.value:
            solara.Error(error.value)
    ScenarioPage(path.value).key(f"{path.value}#{generation.value}")
