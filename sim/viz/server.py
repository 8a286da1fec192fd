"""Serve the page: check the scenario first, then run Solara's server on sim.viz.app."""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

from sim.errors import Problem, ScenarioError
from sim.scenario.loader import load_scenario

SCENARIO_ENV = "COALITION_SIM_SCENARIO"  # read by sim.viz.app


def serve(
    scenario: str, port: int = 8765, host: str = "localhost", open_browser: bool = True
) -> int:
    """Run the page's server until interrupted; return its exit status.

    Raises:
        ScenarioError: the scenario does not load, or the `viz` extra is not installed.
    """
    load_scenario(scenario)  # a bad file gets the command line's one-line messages, not a page
    if importlib.util.find_spec("solara") is None:
        raise ScenarioError([Problem("coalition-sim viz", None, "",
                                     "needs the viz extra: pip install -e '.[viz]'")])  # fmt: skip
    env = {
        **os.environ,
        SCENARIO_ENV: str(Path(scenario)),
        "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
    }
    command = [sys.executable, "-m", "solara", "run", "sim.viz.app", "--port", str(port),
               "--host", host, "--no-check-version", "--open" if open_browser else "--no-open"]  # fmt: skip
    return subprocess.call(command, env=env)
