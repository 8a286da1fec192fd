"""Parquet tables written part by part (a batch's chunks, in plan order), in flat memory.

Each table's Arrow schema is fixed before the first row is written: the column types come
from the columns themselves (numpy dtypes, nullable integers), a text column is text even
where a part holds no value in it, and a swept column takes the type of all the points'
values together, so that every part converts alike. Rows are cut into row groups of
`ROW_GROUP` rows whatever the parts, so the files are the same, byte for byte, however
the batch was cut into chunks or spread over workers; at most one part and one row group
are in memory.

Only the first part goes through pandas (for the schema and its pandas metadata); every
part's rows are Arrow arrays built from its numpy columns, each label (a date, a name)
made once and taken by index, the values `pa.Table.from_pandas` would give.
"""

import json
import os
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

from sim.engine.rules import LEADING_CAMP, NOT_APPOINTED
from sim.results.results import REASON_NAMES, Results
from sim.results.tables import table_frame

ROW_GROUP = 65_536  # rows per row group (a multiple of the parts' rows never matters)
# The columns of text (labels, dates, errors), text even in a part with no row or no value.
TEXT = frozenset({"winner", "appointed_date", "appointed_session", "error", "date", "session",
                  "session_kind", "candidate", "member", "to", "for", "by", "reason"})  # fmt: skip


def _json_value(v):
    return json.dumps(v) if isinstance(v, dict | list) else v


def _swept_types(points: list[dict], swept: list[str]) -> dict[str, object]:
    """Per swept key, the Arrow type of its column over every point, or None when the
    values have no one type (a number here, a name there): that column is written as text,
    as the CSV writes it."""
    import pyarrow as pa

    types = {}
    for key in swept:
        values = [_json_value(p[key]) for p in points]
        try:
            kind = pa.array(values).type
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError):
            kind = None
        if kind is not None and (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
            kind = pa.string()
        types[key] = kind
    return types


def _take(labels: list, codes) -> object:
    """`labels[codes]` as an Arrow string array (a negative code counts from the end, as
    numpy's indexing does; a None label is a null)."""
    import pyarrow as pa

    codes = np.asarray(codes, dtype=np.int64)
    codes = np.where(codes < 0, codes + len(labels), codes)
    return pa.array(labels, type=pa.string()).take(pa.array(codes))


def _by_round(point, rounds, labels: Callable[[int], list], never) -> object:
    """Per (point, round) pair, `labels(point)[round]` (`never` where the round is NEVER,
    -1) as an Arrow string array; each point's labels made once."""
    point, rounds = np.asarray(point, dtype=np.int64), np.asarray(rounds, dtype=np.int64)
    present = np.unique(point)
    flat, starts, sizes = [], [], []
    for p in present.tolist():
        row = labels(p)
        starts.append(len(flat))
        sizes.append(len(row))
        flat.extend(row)
    at = np.searchsorted(present, point)
    start = np.asarray(starts, dtype=np.int64)[at] if len(point) else np.zeros(0, np.int64)
    size = np.asarray(sizes, dtype=np.int64)[at] if len(point) else np.zeros(0, np.int64)
    if np.any(rounds >= size):
        raise IndexError("a round beyond its point's calendar")
    return _take([*flat, never], np.where(rounds >= 0, start + rounds, len(flat)))


def _dates(results: Results):
    """A point's dates per round, as ISO text."""
    return lambda p: [d.isoformat() for d in results.dates[p]]


def _sessions(results: Results, which: int):
    """A point's session names (which=0) or kinds (1) per round, None on a plain round."""

    def labels(p):
        held = results.sessions.get(p)
        if not held or not any(held):
            return [None] * len(results.dates[p])
        row = [(s[which] or None) if s else None for s in held]
        return row + [None] * (len(results.dates[p]) - len(row))  # (a round past them: none)

    return labels


def _nullable(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """An Int64 column's values and mask: null where negative (NEVER, or a failure)."""
    values = np.asarray(values)
    return np.where(values >= 0, values, 0).astype(np.int64), values < 0


def _runs_columns(results: Results, swept: dict) -> dict:
    import pandas as pd

    c = results.columns
    point = c["point"]
    cols = {"run": c["run"], "seed": c["seed"], "point": point}
    values = [results.points[p] for p in point.tolist()] if swept else []
    for key in swept:  # as pandas holds them (its inference, then _frame's text)
        column = pd.Series([v[key] for v in values])
        if swept[key] is None:
            column = [None if v is None else str(_json_value(v)) for v in column]
        cols[key] = column
    winner = c["winner"].astype(np.int64)
    n = len(results.candidates)
    cols["winner"] = _take(
        [*results.candidates, None], np.where(winner == NOT_APPOINTED, n, winner)
    )
    at = c["appointed_round"]
    cols["appointed_round"] = _nullable(at)
    cols["appointed_date"] = _by_round(point, at, _dates(results), None)
    cols["appointed_session"] = _by_round(point, at, _sessions(results, 0), None)
    failed = c["rounds"] < 0
    cols["rounds"] = (c["rounds"].astype(np.int64), failed)
    cols["offers"] = (c["offers"].astype(np.int64), failed)
    reasons = [REASON_NAMES[k] or None for k in sorted(REASON_NAMES)]
    for k, cid in enumerate(results.candidates):
        cols[f"withdrawn_{cid}"] = _take(reasons, c["withdrawn_reason"][:, k])
    cols["error"] = [results.errors.get(r) for r in c["run"].tolist()]
    return cols


def _event_columns(results: Results, table: str) -> dict:
    events = results.events[table]
    point = results._point_of(events["run"])
    rounds = events["round"]
    cols = {"run": events["run"], "point": point}
    for name in events:
        if name in ("run", "round"):
            continue
        if name in ("member", "to"):
            cols[name] = _take(results.members, events[name])
        elif name in ("candidate", "for"):
            cols[name] = _take(results.candidates, events[name])
        elif name == "by":
            cols[name] = _take(results.offerer_names(), events[name] - LEADING_CAMP)
        elif name == "reason":
            cols[name] = [REASON_NAMES[k] for k in events[name].tolist()]
        else:
            cols[name] = events[name]
    cols["round"] = _nullable(rounds)
    cols["date"] = _by_round(point, rounds, _dates(results), None)
    if table in ("withdrawals", "offers"):
        cols["session"] = _by_round(point, rounds, _sessions(results, 0), None)
    return cols


def _support_columns(results: Results, support_rounds: int | None) -> dict:
    s = results.support_columns(support_rounds)
    cols = {"run": s["run"], "point": s["point"], "round": s["round"]}
    cols["date"] = _by_round(s["point"], s["round"], _dates(results), "")
    cols["session"] = _by_round(s["point"], s["round"], _sessions(results, 0), None)
    cols["session_kind"] = _by_round(s["point"], s["round"], _sessions(results, 1), None)
    cols["candidate"] = _take(results.candidates, s["candidate"])
    for k in ("supporters", "capability_share", "objectors", "undecided", "ended"):
        cols[k] = s[k]
    return cols


def _arrow_table(results: Results, table: str, schema, swept: dict, support_rounds):
    """One table of a part as an Arrow table of `schema`: the values
    `pa.Table.from_pandas` gives of its DataFrame, without the DataFrame."""
    import pyarrow as pa

    if table == "runs":
        cols = _runs_columns(results, swept)
    elif table == "support":
        cols = _support_columns(results, support_rounds)
    else:
        cols = _event_columns(results, table)
    arrays = []
    for f in schema:
        value = cols[f.name]
        if isinstance(value, pa.Array):
            array = value if value.type == f.type else value.cast(f.type)
        elif isinstance(value, tuple):  # an Int64 column: values, mask
            array = pa.array(value[0], mask=value[1], type=f.type)
        else:
            array = pa.array(value, type=f.type, from_pandas=True)
        arrays.append(array)
    return pa.Table.from_arrays(arrays, schema=schema)


class _Table:
    """One Parquet file being written: its schema (set by the first part), the rows not
    yet in a row group, the writer."""

    def __init__(self, path: Path, swept: dict[str, object]):
        self.path, self.tmp, self.swept = path, path.with_name(path.name + ".tmp"), swept
        self.schema = None
        self.writer = None
        self.held: list = []  # Arrow tables not yet written
        self.rows = 0

    def _frame(self, frame):
        text = [k for k, kind in self.swept.items() if kind is None and k in frame]
        if text:
            frame = frame.copy()
            for k in text:
                frame[k] = [None if v is None else str(_json_value(v)) for v in frame[k]]
        return frame

    def _schema(self, frame):
        """The column types: text for TEXT, swept columns as all points together, the
        others as the first part's (numpy dtypes, fixed whatever it holds); the pandas
        metadata the same whatever the part held."""
        import pyarrow as pa

        fields = []
        for f in pa.Schema.from_pandas(frame, preserve_index=False):
            kind = f.type
            if f.name in self.swept:
                kind = self.swept[f.name] or pa.string()
            elif f.name in TEXT or f.name.startswith("withdrawn_") or pa.types.is_null(kind):
                kind = pa.string()
            fields.append(pa.field(f.name, kind))
        schema = pa.schema(fields)
        meta = json.loads(pa.Table.from_pandas(frame, schema=schema,
                                               preserve_index=False).schema.metadata[b"pandas"])  # fmt: skip
        for column in meta["columns"]:
            if pa.types.is_string(schema.field(column["name"]).type):
                column["pandas_type"], column["numpy_type"] = "unicode", "object"
        return schema.with_metadata({b"pandas": json.dumps(meta).encode()})

    def add(self, part: Results, name: str, support_rounds: int | None) -> None:
        """Table `name` of `part`: the first part's DataFrame sets the schema."""
        import pyarrow.parquet as pq

        if self.schema is None:
            self.schema = self._schema(self._frame(table_frame(part, name, support_rounds)))
            self.writer = pq.ParquetWriter(self.tmp, self.schema)
        table = _arrow_table(part, name, self.schema, self.swept, support_rounds)
        if table.num_rows:  # an empty part adds no row group
            self.held.append(table)
            self.rows += table.num_rows
        while self.rows >= ROW_GROUP:
            self._write(ROW_GROUP)

    def _write(self, rows: int) -> None:
        import pyarrow as pa

        held = pa.concat_tables(self.held)
        self.writer.write_table(held.slice(0, rows), row_group_size=rows)
        rest = held.slice(rows)
        self.held, self.rows = ([rest] if rest.num_rows else []), rest.num_rows

    def close(self) -> None:
        if self.rows:  # the last, short row group (a table without rows: its schema only)
            self._write(self.rows)
        self.writer.close()
        with self.tmp.open("rb+") as fh:
            os.fsync(fh.fileno())
        self.tmp.replace(self.path)

    def abandon(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.tmp.unlink(missing_ok=True)


def write_parquet_tables(
    out: Path,
    names: Iterable[str],
    read: Callable[[str], Results],
    tables: Iterable[str],
    points: list[dict],
    swept: list[str],
    support_rounds: int | None = None,
) -> None:
    """Every table of the parts `names` (in order) as one Parquet file each, `<table>.parquet`.

    Args:
        out: the folder.
        names: the parts (a batch's chunks), in the order their rows go.
        read: a part's results, `read(name)` (each part read once).
        tables: the tables to write.
        points: every point's swept values (a batch's, not only a part's).
        swept: the swept keys (columns of the runs table).
        support_rounds: the rounds the batch's support rows span (default: the part's, for
            a batch of one part).
    """
    types = _swept_types(points, swept)
    files = {t: _Table(out / f"{t}.parquet", types if t == "runs" else {}) for t in tables}
    try:
        for name in names:
            part = read(name)
            for t, file in files.items():
                file.add(part, t, support_rounds)
        for file in files.values():
            file.close()
    except BaseException:
        for file in files.values():
            file.abandon()
        raise
