"""The page's panels: problems, the round's news, the stance grid, the batch and the what-if.

Panels that follow the replication are plain functions (SolaraViz redraws them on every
step); the batch panel is a component that redraws only when its batch or model changes.
"""

import io
from datetime import date
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import solara

from sim.errors import ScenarioError
from sim.report import plots
from sim.scenario.loader import load_scenario
from sim.viz.batch import BatchView, run_batch
from sim.viz.inputs import ValueSlider
from sim.viz.record import find_record
from sim.viz.rounds import round_news, stance_grid
from sim.viz.settings import what_if

DEFAULT_RUNS = 500


def problems_panel(model):
    """The settings' problems, one line each as the command line prints them."""
    with solara.Column() as col:
        if model.problems:
            solara.Error(
                "These settings were not used (showing the file's); press Reset once fixed:\n"
                + "\n".join(model.problems),
                classes=["settings-problems"],
            )
        else:
            shown = "; ".join(model.overrides) or "none (the file as it is)"
            solara.Success(f"settings in use: {shown}", classes=["settings-ok"])
        with solara.Column(style={"max-height": "260px", "overflow-y": "auto"}):
            solara.Markdown("  \n".join(round_news(model)), style={"font-size": "13px"})
    return col


def grid_panel(model):
    """Members x rounds, coloured by stance; objections as an x in the target's colour."""
    return solara.HTML(tag="div", unsafe_innerHTML=stance_grid(model),
                       style={"overflow": "auto", "max-height": "100%"})  # fmt: skip


@solara.component
def BatchPanel(model):
    """Run a batch of the shown settings; fan chart, probabilities, appointment dates, what-if."""
    runs = solara.use_reactive(DEFAULT_RUNS)
    shown = solara.use_reactive(None)  # (model, BatchView, figures)
    saved = solara.use_reactive("")
    replace = solara.use_reactive(False)  # an existing what-if file is kept unless ticked
    default_out = solara.use_memo(lambda: str(_default_what_if(model.path)), [model.path])
    out = solara.use_reactive(default_out)
    record, record_problem = solara.use_memo(lambda: find_record(model.path, model.world.scenario),
                                             [model])  # fmt: skip

    def go():
        view = run_batch(model.world, int(runs.value), model.seed)
        shown.set((model, view, _figures(view, record)))

    def save():
        try:
            n = shown.value[1].outcome.size if _current(shown.value, model) else int(runs.value)
            file = what_if(model.path, out.value, model.overrides, n, model.seed,
                           force=replace.value)  # fmt: skip
            load_scenario(file)  # the file validates as the command line would load it
            saved.set(f"saved {file}: valid; `coalition-sim batch {file}` repeats this batch")
        except ScenarioError as exc:
            saved.set("error: " + "\n".join(str(p) for p in exc.problems))
        except OSError as exc:
            saved.set(f"error: {out.value}: {exc.strerror or exc}")

    with solara.Column() as col:
        with solara.Row():
            ValueSlider("replications", runs.value, 50, 5000, 50, on_value=runs.set,
                        is_float=False)  # fmt: skip
            solara.Button("Run batch", on_click=go, color="primary", classes=["run-batch"])
        if record_problem:
            solara.Warning(f"record not shown: {record_problem}")
        if _current(shown.value, model):
            _, view, (fan, dates) = shown.value
            solara.HTML(tag="div", unsafe_innerHTML=_table(view), classes=["probabilities"])
            solara.Text(f"{view.outcome.size} replications, seed {view.seed}, "
                        f"in {view.seconds:.2f} s", classes=["batch-time"])  # fmt: skip
            solara.Image(fan, width="100%")
            solara.Image(dates, width="100%")
        elif shown.value is not None:
            solara.Info("settings changed: run the batch again")
        with solara.Row():
            solara.InputText("what-if file", value=out, classes=["what-if-path"])
            with solara.Div(classes=["replace-what-if"]):  # Checkbox takes no classes
                solara.Checkbox(label="replace it if it exists", value=replace)
            solara.Button("Save as what-if", on_click=save, classes=["save-what-if"])
        if saved.value:
            (solara.Error if saved.value.startswith("error") else solara.Success)(
                saved.value, classes=["what-if-saved"]
            )
    return col


def _current(shown, model) -> bool:
    return shown is not None and shown[0] is model


def _default_what_if(path: str) -> Path:
    base = Path(path)
    folder = base.parent if base.parent.name == "what-if" else base.parent / "what-if"
    return folder / f"{base.stem}-page.yaml"


def _table(view: BatchView) -> str:
    rows = "".join(
        f"<tr><td>{r['outcome']}</td><td data-p='{r['probability']:.4f}'>{r['probability']:.1%}"
        f"</td><td>[{r['low']:.1%}, {r['high']:.1%}]</td><td>{r['median'] or ''}</td></tr>"
        for r in view.probabilities()
    )
    return ("<table id='probabilities'><tr><th>outcome</th><th>probability</th>"
            "<th>95% interval</th><th>median date</th></tr>" + rows + "</table>")  # fmt: skip


def _figures(view: BatchView, record) -> tuple[bytes, bytes]:
    """The report's fan chart and appointment-date histogram, as PNG bytes; the record on them."""
    world = view.world
    observed = [(s.date, s.candidate, s.supporters) for s in record.support] if record else []
    panel = plots.FanPanel("", world.dates, world.candidates, view.fan_quantiles(), observed,
                           deadline=world.rounds[-1].deadline,
                           sessions=plots.session_marks(world.dates, world.session))  # fmt: skip
    note = " (diamonds: the record)" if observed else ""
    fan = plots.fan_figure([panel], f"{world.scenario.name}: members backing each candidate{note}")
    days, counts, deadlocks = view.dates_histogram()
    title = f"{world.scenario.name}: when the appointment came"
    hist = plots.appointment_dates_figure(
        days, counts, world.candidates, deadlocks, view.outcome.size, title
    )
    if record and record.appointment:
        _observed_date(hist.axes[0], days, record.appointment.date)
    return _png(fan), _png(hist)


def _observed_date(ax, days: list[str], observed) -> None:
    """The actual appointment as a dashed line, placed between the bars of the dates around it."""
    ordinals = [date.fromisoformat(d).toordinal() for d in days] or [observed.toordinal()]
    at = float(np.interp(observed.toordinal(), ordinals, np.arange(len(ordinals)),
                         left=-0.5, right=len(ordinals) - 0.5))  # fmt: skip
    ax.axvline(at, color="black", ls="--", lw=1.5, zorder=2,  # behind the bars' labels
               label=f"observed {observed.isoformat()}")  # fmt: skip
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))


def _png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90)
    plt.close(fig)
    return buffer.getvalue()


__all__ = ["BatchPanel", "grid_panel", "problems_panel"]
