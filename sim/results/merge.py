"""A batch's chunk files merged into its folder's files, piece by piece, in flat memory.

Each chunk is a `Results.to_bytes` file. The folder's results.npz and trajectories.npz
are the chunks' arrays one after the other (what `Results.concat` would hold), written
array by array straight into the zip: the .npy header first, with the whole shape, then
each chunk's rows. The CSV tables are one gzip member per chunk after a header member.
At no point is more than one chunk's worth of arrays in memory.
"""

import json
import os
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from sim.results.results import CUBE, Results
from sim.results.tables import GZIP_LEVEL, TABLES, gzip_member, table_body, table_header


def _headers(path: Path) -> dict[str, tuple[tuple, np.dtype]]:
    """Each array's (shape, dtype) in an .npz, read from the .npy headers alone."""
    out = {}
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            with zf.open(name) as fh:
                version = np.lib.format.read_magic(fh)
                read = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                        else np.lib.format.read_array_header_2_0)  # fmt: skip
                shape, _, dtype = read(fh)
            out[name.removesuffix(".npy")] = (shape, dtype)
    return out


def _array(path: Path, key: str) -> np.ndarray:
    with np.load(path, allow_pickle=False) as z:
        return z[key]


def merged_meta(parts: list[Path]) -> dict:
    """The metadata of the chunks together (as `Results.concat` merges it)."""
    meta, dates, sessions, errors = None, {}, {}, {}
    for path in parts:
        m = json.loads(_array(path, "meta").tobytes())
        meta = meta or m
        dates.update(m["dates"])
        sessions.update(m.get("sessions", {}))
        errors.update(m["errors"])
    meta["dates"] = dict(sorted(dates.items(), key=lambda kv: int(kv[0])))
    meta["sessions"] = dict(sorted(sessions.items(), key=lambda kv: int(kv[0])))
    meta["errors"] = errors
    return meta


class _Stacked:
    """One array of the merged results: each chunk's piece, in order, padded if a cube."""

    def __init__(self, key: str, parts: list[Path], headers: list[dict], rounds: int | None):
        self.key, self.parts, self.rounds = key, parts, rounds
        shapes = [h[key][0] for h in headers]
        self.dtype = np.result_type(*(h[key][1] for h in headers))
        rest = shapes[0][1:]
        if rounds is not None:
            rest = (rounds, *rest[1:])
        self.shape = (sum(s[0] for s in shapes), *rest)

    def pieces(self):
        for path in self.parts:
            a = _array(path, self.key).astype(self.dtype, copy=False)
            if self.rounds is not None and a.shape[1] < self.rounds:  # as Results.concat pads
                a = np.concatenate([a, np.repeat(a[:, -1:], self.rounds - a.shape[1], axis=1)], 1)
            yield np.ascontiguousarray(a)


def _write_member(zf: zipfile.ZipFile, name: str, shape, dtype, pieces) -> None:
    header = {"descr": np.lib.format.dtype_to_descr(np.dtype(dtype)), "fortran_order": False,
              "shape": tuple(shape)}  # fmt: skip
    with zf.open(f"{name}.npy", "w", force_zip64=True) as fh:
        try:
            np.lib.format.write_array_header_1_0(fh, header)
        except ValueError:  # a header too long for version 1.0
            np.lib.format.write_array_header_2_0(fh, header)
        for piece in pieces:
            fh.write(piece.tobytes())


def _write_zip(path: Path, members: list[tuple[str, tuple, np.dtype, object]]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=GZIP_LEVEL) as zf:
        for name, shape, dtype, pieces in members:
            _write_member(zf, name, shape, dtype, pieces)
    with tmp.open("rb+") as fh:
        os.fsync(fh.fileno())
    tmp.replace(path)


def write_arrays(out: Path, parts: list[Path]) -> None:
    """results.npz and trajectories.npz of the chunk files `parts` (plan order), as
    `write_tables` writes them for their concatenation."""
    headers = [_headers(p) for p in parts]
    meta = merged_meta(parts)
    keys = [k for k in headers[0] if k != "meta" and not k.startswith("cube.")]
    rounds = max(h["cube.supporters"][0][1] for h in headers)
    members = []
    for key in keys:
        s = _Stacked(key, parts, headers, None)
        members.append((key, s.shape, s.dtype, s.pieces()))
    text = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    members.append(("meta", text.shape, text.dtype, iter([text])))
    _write_zip(out / "results.npz", members)
    cube = []
    for name in CUBE:
        s = _Stacked(f"cube.{name}", parts, headers, rounds)
        cube.append((name, s.shape, s.dtype, s.pieces()))
    for name in ("run", "point"):
        s = _Stacked(f"runs.{name}", parts, headers, None)
        cube.append((name, s.shape, s.dtype, s.pieces()))
    candidates = np.array(meta["candidates"])
    cube.append(("candidates", candidates.shape, candidates.dtype, iter([candidates])))
    for p, ds in meta["dates"].items():
        dates = np.array(ds)
        cube.append((f"dates_p{p}", dates.shape, dates.dtype, iter([dates])))
    _write_zip(out / "trajectories.npz", cube)


def write_csv_tables(
    out: Path,
    names: list[str],
    read: Callable[[str], Results],
    rendered: Callable[[str, str], Path | None],
    span: int,
    template,
) -> None:
    """Every CSV table of the chunks `names` (plan order) as multi-member gzip files.

    Args:
        out: the batch folder.
        names: the chunks, in plan order.
        read: a chunk's `Results` (read from its file when its rows must be rendered here).
        rendered: the file of a chunk's table already rendered as a gzip member by its
            worker, or None (then it is rendered here, from `read`).
        span: the rounds the support rows span (the whole batch's `support_rounds`).
        template: what the headers are made from (a `Results` or `Summary` of the batch).
    """
    tmp = {t: out / f"{t}.csv.gz.tmp" for t in TABLES}
    files = {t: tmp[t].open("wb") for t in TABLES}
    try:
        for t in TABLES:
            files[t].write(gzip_member(table_header(template, t)))
        for name in names:
            part = None
            for t in TABLES:
                done = rendered(name, t)
                if done is not None:
                    with done.open("rb") as fh:
                        shutil.copyfileobj(fh, files[t])
                    continue
                part = part or read(name)
                files[t].write(gzip_member(table_body(part, t, span)))
        for t in TABLES:
            files[t].flush()
            os.fsync(files[t].fileno())
    finally:
        for fh in files.values():
            fh.close()
    for t in TABLES:
        tmp[t].replace(out / f"{t}.csv.gz")
