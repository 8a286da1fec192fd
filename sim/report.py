"""The batch report (placeholder summary until the full report lands)."""

import csv
from collections import Counter
from pathlib import Path


def write_report(out: Path) -> list[str]:
    """Summary lines of a finished batch folder."""
    with (Path(out) / "runs.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    counts = Counter(r["winner"] or "deadlock" for r in rows if not r["error"])
    n = sum(counts.values())
    return [f"  {k:<12}{v / n:7.1%}" for k, v in counts.most_common()]
