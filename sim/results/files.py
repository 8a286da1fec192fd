"""Writing files whole or not at all (temporary name, then rename), and reading CSV back."""

import csv
import io
import json
import os
import stat
from pathlib import Path


def csv_text(columns: list[str], rows) -> str:
    """A table as CSV text, header first."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows)
    return buf.getvalue()


def write_atomic(path: Path, data: str | bytes, sync: bool = True) -> None:
    """Write a whole file under a temporary name, flush it to disk, then rename it.

    With sync=False the caller flushes it to disk (`os.sync`, once for many files)."""
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("wb") as fh:
        fh.write(data.encode() if isinstance(data, str) else data)
        fh.flush()
        if sync:
            os.fsync(fh.fileno())
    tmp.replace(path)


def read_regular(path: Path, limit: int | None = 20 * 2**20) -> str:
    """The text of `path` if it is a regular file of at most `limit` bytes; OSError or
    ValueError otherwise (a FIFO, device or folder is never read, and never waited on)."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as fh:
        info = os.fstat(fh.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise ValueError(f"{path} is not a regular file")
        if limit is not None and info.st_size > limit:
            raise ValueError(f"{path} is larger than {limit:,} bytes")
        return fh.read().decode("utf-8")


def is_regular(path: Path) -> bool:
    """Whether `path` is a regular file (following a link), without opening it."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


def write_csv(path: Path, columns: list[str], rows) -> None:
    write_atomic(path, csv_text(columns, rows))


def write_json(path: Path, data: dict, indent: int | None = 2) -> None:
    """`data` as JSON (indent=None: on one line, by the C encoder, several times faster)."""
    write_atomic(path, json.dumps(data, indent=indent) + "\n")


def read_csv(path: Path) -> list[dict]:
    with Path(path).open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def npz_bytes(arrays: dict, level: int | None = None) -> bytes:
    """Arrays as an .npz (what `numpy.load` reads), stored, or deflated at zlib `level`."""
    import zipfile

    import numpy as np

    buf = io.BytesIO()
    method = zipfile.ZIP_STORED if level is None else zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(buf, "w", compression=method, compresslevel=level) as zf:
        for name, value in arrays.items():
            with zf.open(f"{name}.npy", "w", force_zip64=True) as fh:
                np.lib.format.write_array(fh, np.asanyarray(value), allow_pickle=False)
    return buf.getvalue()
