"""The page's Mesa model: ConsensusModel built from a scenario file and the page's settings.

SolaraViz re-creates it from its keyword arguments on Reset. A bad value (a typed date,
an override, a seed) never stops the page: the model keeps the problems, one line each
as the command line prints them, and plays the scenario as the file says it.
"""

from pathlib import Path

from sim.engine.model import ConsensusModel
from sim.engine.world import build_world
from sim.errors import ScenarioError
from sim.scenario.loader import load_scenario
from sim.viz.settings import overrides


class PageModel(ConsensusModel):
    """One replication of `scenario_path` under the page's settings (controls keyed by field)."""

    def __init__(self, scenario_path: str, seed="1", typed: str = "", scenario=None, **values):
        # `scenario` is Mesa's own (a mesa Scenario passed on Reset); ours is the file.
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


def _seed(text) -> int:
    try:
        value = int(str(text).strip())
    except ValueError:
        raise ValueError(f"must be a whole number (got {str(text)[:40]!r})") from None
    if value < 0:
        raise ValueError(f"must not be negative (got {value})")
    return value
