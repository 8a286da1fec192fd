"""Progress bars (tqdm.auto: a terminal bar, or a widget in Jupyter), quiet when redirected."""

import sys

from tqdm.auto import tqdm


def wanted(enabled: bool | None, stream=None) -> bool:
    """Whether to show a bar: `enabled` if given, else on a terminal or in a notebook."""
    if enabled is not None:
        return enabled
    stream = stream or sys.stderr
    return "ipykernel" in sys.modules or bool(getattr(stream, "isatty", lambda: False)())


def bar(total: int, done: int = 0, desc: str = "runs", enabled: bool | None = None, stream=None):
    """A tqdm bar over `total` units, `done` already finished; disabled unless `wanted`."""
    stream = stream or sys.stderr
    return tqdm(
        total=total, initial=done, desc=desc, unit=" " + desc, unit_scale=True,
        disable=not wanted(enabled, stream), file=stream, leave=False, dynamic_ncols=True,
    )  # fmt: skip
