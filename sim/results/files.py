"""Writing files whole or not at all (temporary name, then rename), and reading CSV back."""

import csv
import io
import json
import os
from pathlib import Path


def csv_text(columns: list[str], rows) -> str:
    """A table as CSV text, header first."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows)
    return buf.getvalue()


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write a whole file under a temporary name, flush it to disk, then rename it."""
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("wb") as fh:
        fh.write(data.encode() if isinstance(data, str) else data)
        fh.flush()
        os.fsync(fh.fileno())
    tmp.replace(path)


def write_csv(path: Path, columns: list[str], rows) -> None:
    write_atomic(path, csv_text(columns, rows))


def write_json(path: Path, data: dict) -> None:
    write_atomic(path, json.dumps(data, indent=2) + "\n")


def read_csv(path: Path) -> list[dict]:
    with Path(path).open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))
