"""A `Results` written as files: tidy tables (gzip CSV or Parquet), trajectories, results.npz.

Rows are written from numpy columns with strings made once per label (a date, a member's
name), so that a batch of a hundred thousand replications turns into tables quickly. Each
file is written under a temporary name and renamed when whole.
"""

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from sim.results.command import command_line
from sim.results.files import npz_bytes, write_atomic
from sim.results.results import CAMP, CUBE, REASON_NAMES, Results
from sim.version import __version__

TABLES = ("runs", "withdrawals", "holdouts", "concessions", "declarations", "offers", "support")
EVENT_COLUMNS = {
    "withdrawals": ["run", "point", "candidate", "round", "date", "session", "reason"],
    "holdouts": ["run", "point", "member", "rank", "round", "date"],
    "concessions": ["run", "point", "member", "candidate", "round", "date"],
    "declarations": ["run", "point", "member", "candidate", "round", "date"],
    "offers": ["run", "point", "round", "date", "session", "by", "to", "for", "size",
               "objected", "lifted", "backed"],
}  # fmt: skip
SUPPORT_COLUMNS = ["run", "point", "round", "date", "session", "session_kind", "candidate",
                   "supporters", "capability_share", "objectors", "undecided", "ended"]  # fmt: skip
GZIP_LEVEL = 1  # tables repeat a lot: level 1 keeps most of the gain at a fraction of the time


def runs_columns(results: Results) -> list[str]:
    """The header of runs.csv: the swept values come after `point`, a withdrawal reason
    column per candidate before `error`."""
    withdrawn = [f"withdrawn_{cid}" for cid in results.candidates]
    return ["run", "seed", "point", *results.swept, "winner", "appointed_round",
            "appointed_date", "appointed_session", "rounds", "offers", *withdrawn,
            "error"]  # fmt: skip


def table_text(results: Results, table: str) -> str:
    """One table of `results` as CSV text, header first."""
    return table_header(results, table) + table_body(results, table)


def table_header(results: Results, table: str) -> str:
    """The header line of one table."""
    if table == "runs":
        return ",".join(runs_columns(results)) + "\n"
    if table == "support":
        return ",".join(SUPPORT_COLUMNS) + "\n"
    return ",".join(EVENT_COLUMNS[table]) + "\n"


def table_body(results: Results, table: str, support_rounds: int | None = None) -> str:
    """One table's rows without the header. The rows of consecutive chunks, one after the
    other, are the rows of their concatenation, given the whole batch's `support_rounds`."""
    if table == "runs":
        return _runs_text(results)
    if table == "support":
        return _support_text(results, support_rounds)
    return _event_text(results, table)


def table_frame(results: Results, table: str, support_rounds: int | None = None):
    """One table of `results` as a DataFrame; the rows of consecutive chunks, one after the
    other, are the rows of their concatenation, given the whole batch's `support_rounds`."""
    if table == "support":
        return results.support_frame(support_rounds)
    return getattr(results, table)


def gzip_member(text: str) -> bytes:
    """`text` as one gzip member: members written one after the other make one gzip file
    (RFC 1952), whose text is theirs in order."""
    return gzip.compress(text.encode(), GZIP_LEVEL, mtime=0)


def _csv_field(value) -> str:
    text = "" if value is None else str(value)
    if any(ch in text for ch in ',"\n'):
        text = '"' + text.replace('"', '""') + '"'
    return text


def _runs_text(results: Results) -> str:
    c = results.columns
    names = [*results.candidates, ""]
    winner = np.where(c["winner"] < 0, len(results.candidates), c["winner"]).tolist()
    at = c["appointed_round"].tolist()
    dates = results._dates_text(c["point"], c["appointed_round"])
    held = [_csv_field(x) for x in results._session_labels(c["point"], c["appointed_round"])[0]]
    swept = [
        ",".join(_csv_field(_value(results.points[p][k])) for k in results.swept) + ","
        if results.swept
        else ""
        for p in range(results.n_points)
    ]
    # Each replication's withdrawal reasons, one field per candidate, made once per pattern.
    reasons = c["withdrawn_reason"].astype(np.int64)
    code = np.zeros(len(reasons), dtype=np.int64)
    for k in range(reasons.shape[1]):
        code = code * 8 + reasons[:, k]
    patterns, which = np.unique(code, return_inverse=True)
    texts = [",".join(REASON_NAMES[k] for k in reasons[np.argmax(code == p)].tolist())
             for p in patterns.tolist()]  # fmt: skip
    withdrawn = [texts[k] for k in which.ravel().tolist()]
    blank = "," * (len(results.candidates) + 6)  # winner to the reasons, empty for a failure
    lines = []
    for run, seed, point, w, a, d, s, rounds, n, why in zip(
        c["run"].tolist(), c["seed"].tolist(), c["point"].tolist(), winner, at, dates, held,
        c["rounds"].tolist(), c["offers"].tolist(), withdrawn, strict=True,
    ):  # fmt: skip
        error = results.errors.get(run)
        if error is not None:
            lines.append(f"{run},{seed},{point},{swept[point]}{blank}{_csv_field(error)}\n")
        else:
            a_text = a if a >= 0 else ""
            lines.append(f"{run},{seed},{point},{swept[point]}{names[w]},{a_text},{d},{s},"
                         f"{rounds},{n},{why},\n")  # fmt: skip
    return "".join(lines)


def _value(v):
    return json.dumps(v) if isinstance(v, dict | list) else v


def _event_text(results: Results, table: str) -> str:
    cols = results.events[table]
    if not len(cols["run"]):
        return ""
    point = results._point_of(cols["run"]).astype(np.int64)
    # Everything after the run is fixed by the event's other columns: each distinct
    # combination is written once and reused.
    key = point
    for name in cols:
        if name != "run":
            _, codes = np.unique(cols[name], return_inverse=True)
            key = key * (int(codes.max(initial=0)) + 1) + codes.ravel()
            _, key = np.unique(key, return_inverse=True)  # renumbered: never overflows
            key = key.ravel()
    _, first, which = np.unique(key, return_index=True, return_inverse=True)
    fields = _event_fields(results, table, cols, point[first], first)
    tails = ["," + ",".join(row) + "\n" for row in zip(*fields, strict=True)]
    run = [str(x) for x in cols["run"].tolist()]
    return "".join(
        [run[a] + tails[b] for a, b in zip(range(len(run)), which.ravel().tolist(), strict=True)]
    )


def _event_fields(results: Results, table: str, cols, point, rows) -> list[list[str]]:
    """The text of each column after `run`, for the event rows `rows` (of points `point`)."""
    t = cols["round"][rows]
    dates = results._dates_text(point, t)
    out = {"point": [str(p) for p in point.tolist()], "date": dates,
           "round": [str(x) if x >= 0 else "" for x in t.tolist()]}  # fmt: skip
    if "session" in EVENT_COLUMNS[table]:
        out["session"] = [_csv_field(x) for x in results._session_labels(point, t)[0]]
    labels = {"member": results.members, "to": results.members,
              "candidate": results.candidates, "for": results.candidates,
              "by": [*results.brokers, CAMP]}  # fmt: skip
    for name, values in cols.items():
        if name in ("run", "round"):
            continue
        picked = values[rows].tolist()
        if name in labels:  # by: LEADING_CAMP (-1) indexes the camp, last in this list
            out[name] = [_csv_field(labels[name][k]) for k in picked]
        elif name == "reason":
            out[name] = [REASON_NAMES[k] for k in picked]
        elif values.dtype == bool:
            out[name] = ["true" if v else "false" for v in picked]
        else:
            out[name] = [str(v) for v in picked]
    return [out[name] for name in EVENT_COLUMNS[table][1:]]


def _support_text(results: Results, rounds: int | None = None) -> str:
    s = results.support_columns(rounds)
    c_count = len(results.candidates)
    # The fields fixed by (point, round, candidate) are written once each and reused.
    fixed, base = [], {}
    for p, ds in results.dates.items():
        base[p] = len(fixed)
        held = results.sessions.get(p) or [None] * len(ds)
        fixed += [
            f"{t},{d.isoformat()},{_session_fields(s)},{cid}"
            for t, (d, s) in enumerate(zip(ds, held, strict=True))
            for cid in results.candidates
        ]
    offset = (
        np.array([base[p] for p in s["point"].tolist()], dtype=np.int64)
        if len(s["point"])
        else np.zeros(0, np.int64)
    )
    keys = (offset + s["round"] * c_count + s["candidate"]).tolist()
    line = "{},{},{},{},{},{},{},{}\n".format
    return "".join(
        map(
            line,
            s["run"].tolist(),
            s["point"].tolist(),
            [fixed[k] for k in keys],
            s["supporters"].tolist(),
            s["capability_share"].tolist(),
            s["objectors"].tolist(),
            s["undecided"].tolist(),
            np.where(s["ended"], "true", "false").tolist(),
        )
    )


def _session_fields(session: tuple[str, str] | None) -> str:
    return f"{_csv_field(session[0])},{session[1]}" if session else ","


def write_tables(
    results: Results, out: Path, format: str = "csv", members: dict | None = None
) -> None:
    """Every table, trajectories.npz and results.npz into `out`.

    Args:
        results: what to write.
        out: the folder.
        format: "csv" (gzip) or "parquet".
        members: optional, per CSV table, its rows already compressed as gzip members
            (`gzip_member` of `table_body`), in order; written after a header member.
    """
    if format == "parquet":  # the writer of a batch's chunks, on one part: the same files
        from sim.results.parquet import write_parquet_tables

        write_parquet_tables(out, [""], lambda _: results, TABLES, results.points, results.swept)
    for table in TABLES if format != "parquet" else ():
        if members is not None:
            header = gzip_member(table_header(results, table))
            write_atomic(out / f"{table}.csv.gz", b"".join([header, *members[table]]))
        else:
            write_atomic(out / f"{table}.csv.gz", gzip_member(table_text(results, table)))
    write_atomic(out / "trajectories.npz", trajectories_bytes(results))
    write_atomic(out / "results.npz", results.to_bytes(cube=False, level=GZIP_LEVEL))


def trajectories_bytes(results: Results) -> bytes:
    """The trajectory cubes with their labels: (R, T+1, C) arrays, `run`, `point`,
    `candidates` and each point's `dates_p<k>`."""
    arrays = {k: results.cube[k] for k in CUBE}
    arrays["run"] = results.columns["run"]
    arrays["point"] = results.columns["point"]
    arrays["candidates"] = np.array(results.candidates)
    for p, ds in results.dates.items():
        arrays[f"dates_p{p}"] = np.array([d.isoformat() for d in ds])
    return npz_bytes(arrays, GZIP_LEVEL)


def manifest(results: Results, scenario_sha256: str, scenario_path: str, **extra) -> dict:
    """What produced these results, so that they can be traced and reproduced.

    `command` is this process's command (see `command_line`) unless `extra` gives it."""
    return {
        "scenario": results.scenario,
        "scenario_path": scenario_path,
        "scenario_sha256": scenario_sha256,
        "package_version": __version__,
        "seed": results.seed,
        "runs": results.n_runs,
        "command": command_line(),
        **extra,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }
