"""coalition-sim: agent-based simulation of leadership contests in alliances.

The Python API (the command line calls the same functions):

    import sim
    scenario = sim.load("scenarios/nato-2024.yaml", set={"parameters.noise": 0.3})
    model = sim.run(scenario, seed=1)              # one replication, a Mesa model
    r = sim.batch(scenario, runs=1000)             # many: a sim.Results
    r.probabilities()                              # DataFrame with 95% intervals
    r.runs, r.support, r.withdrawals, r.holdouts   # tidy DataFrames
    s = sim.score(scenario, "records/nato-2024.yaml", runs=500)
    c = sim.compare(["scenarios/nato-2024.yaml", "scenarios/what-if/schengen-settled.yaml"])
    c.verdicts()                                   # on what each what-if differs from the base
    sets = sim.load_parameter_sets(["results/crossval/folds.json"])  # one set per fold
    c = sim.compare([...], parameter_sets=sets)    # c.by_set, c.robustness
    a = sim.sensitivity(scenario, runs=50)         # what would change it (extra `sensitivity`)
    a.table, a.members                             # Morris mu*/sigma; pivotal members
"""

from sim.version import __version__

__all__ = [
    "Analysis", "Comparison", "Results", "ScenarioError", "Score", "__version__", "batch",
    "compare", "load", "load_parameter_sets", "run", "score", "sensitivity",
]  # fmt: skip
_WHERE = {"Results": "sim.results.results", "ScenarioError": "sim.errors",
          "load_parameter_sets": "sim.scenario.parameter_sets"}  # fmt: skip


def __getattr__(name: str):
    # Imported on first use, so that `coalition-sim validate` does not load pandas and
    # matplotlib just to start.
    if name in __all__:
        import importlib

        value = getattr(importlib.import_module(_WHERE.get(name, "sim.api")), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
