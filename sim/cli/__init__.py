"""The command line, a thin layer over the Python API."""

import sys


def console() -> int:
    """The `coalition-sim` command. A Ctrl-C while the program is still being loaded (its
    imports take a moment) exits with status 130 and one line, not a traceback."""
    try:
        from sim.cli.main import main
    except KeyboardInterrupt:
        print("interrupted while starting; nothing was written", file=sys.stderr)
        return 130
    return main()
