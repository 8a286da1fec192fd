"""Sliders that show their value: the page's own, and Mesa's Model Parameters.

Mesa's SolaraViz draws its model_params through `mesa.visualization.solara_viz.UserInputs`,
whose sliders show no number. `show_slider_values()` swaps in `UserInputs` below: the same
inputs, each slider with its value beside it.
"""

import solara
from mesa.visualization import Slider
from mesa.visualization import solara_viz as _mesa


def value_text(value, step) -> str:
    """A slider's value as shown beside it, to the decimals of its step: 0.4308, 54.356, 500."""
    text = format(float(step), "f").rstrip("0")
    decimals = len(text) - text.index(".") - 1 if "." in text else 0
    if decimals == 0:
        return str(int(round(float(value))))
    return f"{float(value):.{decimals}f}".rstrip("0").rstrip(".")


@solara.component
def ValueSlider(label: str, value, min, max, step, on_value=None, is_float: bool = True):
    """A solara slider with its value written beside it (class `slider-value`)."""
    current = solara.use_reactive(value)

    def changed(v):
        current.set(v)
        if on_value is not None:
            on_value(v)

    with solara.Row(
        classes=["value-slider"],
        style={
            "align-items": "center",
            "gap": "6px",
            "flex": "1 1 auto",
            "width": "100%",
            "min-width": "240px",
        },
    ):
        (solara.SliderFloat if is_float else solara.SliderInt)(
            label, value=current.value, on_value=changed, min=min, max=max, step=step
        )
        solara.Text(value_text(current.value, step), classes=["slider-value"],
                    style={"min-width": "3.5em", "text-align": "right", "font-size": "14px"})  # fmt: skip


_MESA_USER_INPUTS = _mesa.UserInputs


@solara.component
def UserInputs(user_params, on_change=None):
    """Mesa's UserInputs, with every slider (Slider or SliderInt/SliderFloat spec) showing its value."""
    for name, options in user_params.items():

        def change_handler(value, name=name):
            on_change(name, value)

        if isinstance(options, Slider):
            ValueSlider(options.label, options.value, options.min, options.max, options.step,
                        on_value=change_handler, is_float=options.is_float_slider)  # fmt: skip
        elif isinstance(options, dict) and options.get("type") in ("SliderInt", "SliderFloat"):
            ValueSlider(options.get("label", name), options.get("value"), options.get("min"),
                        options.get("max"), options.get("step"), on_value=change_handler,
                        is_float=options["type"] == "SliderFloat")  # fmt: skip
        else:
            _MESA_USER_INPUTS({name: options}, on_change=on_change)


def show_slider_values() -> None:
    """Draw Mesa's Model Parameters with `UserInputs` above (idempotent)."""
    _mesa.UserInputs = UserInputs
