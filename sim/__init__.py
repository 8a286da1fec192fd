"""coalition-sim: agent-based simulation of leadership contests in alliances."""

__version__ = "0.1.0"
