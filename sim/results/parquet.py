"""Parquet tables written part by part (a batch's chunks, in plan order), in flat memory.

Each table's Arrow schema is fixed before the first row is written: the column types come
from the columns themselves (numpy dtypes, nullable integers), a text column is text even
where a part holds no value in it, and a swept column takes the type of all the points'
values together, so that every part converts alike. Rows are cut into row groups of
`ROW_GROUP` rows whatever the parts, so the files are the same, byte for byte, however
the batch was cut into chunks or spread over workers; at most one part and one row group
are in memory.
"""

import json
import os
from collections.abc import Callable, Iterable
from pathlib import Path

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

    def add(self, frame) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        frame = self._frame(frame)
        if self.schema is None:
            self.schema = self._schema(frame)
            self.writer = pq.ParquetWriter(self.tmp, self.schema)
        table = pa.Table.from_pandas(frame, schema=self.schema, preserve_index=False)
        if table.num_rows:  # an empty part adds no row group
            self.held.append(table.replace_schema_metadata(self.schema.metadata))
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
    frames: Callable[[str, str], object],
    tables: Iterable[str],
    points: list[dict],
    swept: list[str],
) -> None:
    """Every table of the parts `names` (in order) as one Parquet file each, `<table>.parquet`.

    Args:
        out: the folder.
        names: the parts (a batch's chunks), in the order their rows go.
        frames: a part's DataFrame of one table, `frames(name, table)`.
        tables: the tables to write.
        points: every point's swept values (a batch's, not only a part's).
        swept: the swept keys (columns of the runs table).
    """
    types = _swept_types(points, swept)
    files = {t: _Table(out / f"{t}.parquet", types if t == "runs" else {}) for t in tables}
    try:
        for name in names:
            for t, file in files.items():
                file.add(frames(name, t))
        for file in files.values():
            file.close()
    except BaseException:
        for file in files.values():
            file.abandon()
        raise
