"""Allow `python -m sim ...` to work like `coalition-sim ...`."""

from sim.cli import main

raise SystemExit(main())
