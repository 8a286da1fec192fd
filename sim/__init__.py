"""coalition-sim: agent-based simulation of leadership contests in alliances."""

from sim.version import __version__

__all__ = ["__version__"]
