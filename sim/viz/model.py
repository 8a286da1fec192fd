"""The page's Mesa model: ConsensusModel built from a scenario file and the page's settings.

SolaraViz re-creates it from its keyword arguments on Reset. A bad value (a typed date,
an override, a seed) never stops the page: the model keeps the problems, one line each
as the command line prints them, and plays the scenario as the file says it.
"""

from functools import cache
from pathlib import Path

from sim.engine.model import ConsensusModel
from sim.engine.world import build_world
from sim.errors import ScenarioError
from sim.scenario.loader import load_scenario
from sim.viz.settings import overrides


class PageModel(ConsensusModel):
    """One replication of `scenario_path` under the page's settings (controls keyed by field).

    Mesa's Reset rebuilds the model as `type(model)(**params)`: `for_scenario(path)` gives a
    class whose scenario_path defaults to `path`, so Reset rebuilds the scenario on show even
    when Mesa's params do not carry its path.
    """

    default_path: str | None = None

    def __init__(self, scenario_path: str | None = None, seed="1", typed: str = "",
                 scenario=None, **values):  # fmt: skip
        # `scenario` is Mesa's own (a mesa Scenario passed on Reset); ours is the file.
        if scenario_path is None:
            scenario_path = self.default_path
        if scenario_path is None:
            raise TypeError("PageModel needs a scenario_path")
        self.path = str(scenario_path)
        self.problems: list[str] = []
        self.base = load_scenario(self.path)
        try:
            self.seed = _seed(seed)
        except ValueError as exc:
            self.problems.append(f"seed: {exc}")
            self.seed = 1
        self.overrides = overrides(self.base, values, typed)
        try:
            changed = load_scenario(self.path, self.overrides)
        except ScenarioError as exc:
            self.problems += [str(p) for p in exc.problems]
            self.overrides, changed = [], self.base
        super().__init__(build_world(changed), rng=self.seed)

    @property
    def name(self) -> str:
        return Path(self.path).stem


@cache
def for_scenario(path: str) -> type[PageModel]:
    """PageModel with `path` as its scenario, for Mesa's Reset to rebuild (one class a path)."""
    return type("PageModel", (PageModel,), {"default_path": str(path)})


def _seed(text) -> int:
    try:
        value = int(str(text).strip())
    except ValueError:
        raise ValueError(f"must be a whole number (got {str(text)[:40]!r})") from None
    if value < 0:
        raise ValueError(f"must not be negative (got {value})")
    return value
