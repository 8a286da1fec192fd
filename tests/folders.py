"""Reading a results folder's tables back in tests (they are gzip-compressed CSV)."""

import csv
import gzip
import io
from pathlib import Path

TABLES = ("runs", "withdrawals", "holdouts", "concessions", "declarations", "support")


def text(out: Path, table: str) -> str:
    """A table's CSV text."""
    return gzip.decompress((Path(out) / f"{table}.csv.gz").read_bytes()).decode()


def rows(out: Path, table: str) -> list[dict]:
    """A table's rows as dicts of strings."""
    return list(csv.DictReader(io.StringIO(text(out, table))))


def tables(out: Path) -> dict[str, str]:
    """Every table's text, to compare two folders."""
    return {t: text(out, t) for t in TABLES}
