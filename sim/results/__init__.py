"""Results: one `Results` object per run or batch, its tables, and its files."""

from sim.results.outcomes import DEADLOCK, date_quantiles, wilson
from sim.results.results import Results

__all__ = ["DEADLOCK", "Results", "date_quantiles", "wilson"]
