"""Allow `python -m sim ...` to work like `coalition-sim ...`."""

from sim.cli.main import main

raise SystemExit(main())
