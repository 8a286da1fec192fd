"""The interactive page (extra `viz`): Mesa's SolaraViz over one replication, plus batches.

`coalition-sim viz scenarios/nato-2024.yaml` serves it; `sim.viz.app.Page` is the page.
Every setting on the page becomes a `--set` override, so the page, the command line and
a saved what-if file all go through `sim.scenario.loader.load_scenario`.
"""
