"""The page: pick a scenario, change its assumptions, play a replication, run a batch.

Served by `coalition-sim viz [SCENARIO]` (or `solara run sim.viz.app`); the scenario to
open first comes from the environment variable COALITION_SIM_SCENARIO.
"""

import os
from pathlib import Path

import solara
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from mesa.visualization import Slider, SolaraViz

from sim.errors import ScenarioError
from sim.report.plots import DEADLINE_COLOUR, FORMAL_COLOUR, INDICATIVE_COLOUR
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


def supporters_figure(model) -> Figure:
    """The DataCollector's supporters per candidate by round (matplotlib, so it needs no CDN).

    Dashed red: the deadline; thin grey and teal lines: formal and indicative sessions.
    """
    world = model.world
    frame = model.datacollector.get_model_vars_dataframe()
    names = [*world.candidates, "undecided"]
    colours = [*(colour(c, len(names) - 1) for c in range(len(world.candidates))), "#999999"]
    fig = Figure(figsize=(5.6, 3.6), dpi=80, layout="constrained")
    ax = fig.subplots()
    held = session_rounds(world)
    for kind, col, style in (
        ("formal", FORMAL_COLOUR, "-"),
        ("indicative", INDICATIVE_COLOUR, ":"),
    ):
        rounds = [t for t, _, k in held if k == kind]
        for k, t in enumerate(rounds):  # under the lines, so the counts stay readable
            ax.axvline(t, color=col, ls=style, lw=0.9, alpha=0.6, zorder=0,
                       label=f"{kind} session" if k == 0 else None)  # fmt: skip
    for k, t in enumerate(sorted(deadline_rounds(world))):
        ax.axvline(t, color=DEADLINE_COLOUR, ls="--", lw=1.2, label="deadline" if k == 0 else None)
    rounds = frame.index.to_numpy()
    for name, col in zip(names, colours, strict=True):
        ax.plot(rounds, frame[name].to_numpy(), marker="o", ms=3, lw=1.5, color=col, label=name)
    ax.set_xlim(-0.3, world.n_rounds + 0.3)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(f"round (0 = {world.dates[0].isoformat()})")
    ax.set_ylabel("members")
    ax.set_title("members backing each candidate", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    return fig


def supporters_plot(model):
    """The supporters figure as an image; redrawn when the model or its round changes."""
    fig = supporters_figure(model)
    with solara.Div(classes=["supporters-plot"]) as div:
        solara.FigureMatplotlib(fig, dependencies=[id(model), model.round],
                                format="png")  # fmt: skip
    return div


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
