"""Allow `python -m sim ...` to work like `coalition-sim ...`."""

from sim.cli import console

raise SystemExit(console())
