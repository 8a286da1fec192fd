"""Members read from a CSV table beside the scenario (`members_table: members.csv`).

A large organisation's 160 members belong in a table, not in 1,700 lines of YAML.
The table has one row per member and the columns

    code, name, capability, salience      required
    source                                source ids, separated by `;` (or `assumption`)
    assumption                            `true`/`false`, or field names separated by `;`
    initial, note                         optional, as in YAML
    objects                               candidate ids objected to, separated by `;`
    anything else                         an attribute (`region`, `eu`, ...); empty = absent

A column whose name is a near-miss of one of these (`intial`, `sources`, `Salience`) is
refused with a did-you-mean: taken as an attribute, its facts would be silently lost.

Rows become the same located mappings YAML members are, so every later error (schema,
cross-references) still points at `file.csv:row`. Problems of the table itself are
reported as `file.csv:row: column: problem`, with every other problem of the scenario: a
bad cell is kept as a `Reported` value, which fails the schema without a second message.
"""

import csv
import difflib
from pathlib import Path

from sim.errors import Problem, ScenarioError
from sim.scenario.yamlfile import LocatedDict, LocatedList, read_text

REQUIRED = ("code", "name", "capability", "salience")
NUMBERS = ("capability", "salience")
MEMBER_FIELDS = (
    "code",
    "name",
    "capability",
    "salience",
    "source",
    "assumption",
    "initial",
    "objects",
    "note",
)
NEAR = 0.8  # how close a column's name must be to a field's to be taken for a misspelling


class Reported:
    """A cell whose problem the table already reported: it fails the schema (no field takes
    it), and `sim.scenario.loader.schema_problems` says nothing more of it."""

    def __init__(self, raw: str):
        self.raw = raw

    def __repr__(self) -> str:
        return repr(self.raw)


_TRUE, _FALSE = ("true", "yes", "1"), ("false", "no", "0", "")


def read_members_table(
    path: Path, shown: str, sources: set[str] | None
) -> tuple[LocatedList, list[Problem]]:
    """Read a member table into a located list of member mappings, and its problems.

    Args:
        path: the CSV file.
        shown: how to name the file in error messages.
        sources: the source ids a row may cite, or None not to check them here.

    Returns:
        A LocatedList of LocatedDicts, one per row, each located at `shown:row` (a bad cell
        a `Reported`, a duplicate code's row left out), and the problems of its rows and
        columns, to be reported with the rest of the scenario's.

    Raises:
        ScenarioError: when the header leaves no row readable (missing, duplicate columns).
    """
    # The YAML files' guard: a regular file only (never a FIFO or a device), 20 MB at most.
    text = read_text(path, shown, what="a member table").removeprefix("\ufeff")
    reader = csv.reader(text.splitlines())
    header = next(reader, None)
    if header is None or not any(h.strip() for h in header):
        raise ScenarioError([Problem(shown, 1, "", "empty member table (no header row)")])
    header = [h.strip() for h in header]
    if len(header) == 1 and (sep := next((c for c in ";\t|" if c in header[0]), None)):
        # one column holding them all: a spreadsheet's export with another separator
        msg = (f"the header is one column ({header[0][:40]!r}): separate the columns with "
               f"commas, not {sep!r}")  # fmt: skip
        raise ScenarioError([Problem(shown, 1, "", msg)])
    near = {col: _near_miss(col) for col in header if col and col not in MEMBER_FIELDS}
    near = {col: field for col, field in near.items() if field}
    problems = []
    for col in REQUIRED:
        if col not in header:
            typo = next((c for c, field in near.items() if field == col), None)
            hint = f" (column `{typo}`: did you mean `{col}`?)" if typo else ""
            problems.append(Problem(shown, 1, col, f"missing column{hint}"))
    problems += [
        Problem(shown, 1, col, "duplicate column")
        for i, col in enumerate(header)
        if col and col in header[:i]
    ]
    unknown = [
        Problem(shown, 1, col, f"unknown column (did you mean `{field}`?)")
        for col, field in near.items()
        if field not in REQUIRED or field in header
    ]
    if problems:
        raise ScenarioError(problems + unknown)
    problems = unknown  # the rows are read without those columns
    out, seen = LocatedList(), {}
    out.where, out.item_where = (shown, 1), []
    for cells in reader:
        row = reader.line_num
        if not any(c.strip() for c in cells):
            continue  # blank lines are allowed, as in YAML
        if len(cells) > len(header):
            problems.append(
                Problem(shown, row, "", f"{len(cells)} cells, header has {len(header)}")
            )
            # which cell is which is unknown: the member is only its code, not unknown elsewhere
            cells = [c if h == "code" else Reported(c) for h, c in zip(header, cells, strict=False)]
        fields = {h: c for h, c in zip(header, cells, strict=False) if h not in near}
        member = _member(fields, shown, row, sources, problems)
        code = member.get("code")
        if code in seen:
            problems.append(
                Problem(shown, row, "code", f"duplicate code {code!r} (first on row {seen[code]})")
            )
            continue
        if code:
            seen[code] = row
        out.append(member)
        out.item_where.append((shown, row))
    if not out and not problems:
        raise ScenarioError([Problem(shown, 2, "", "empty member table (no rows)")])
    return out, problems


def _member(cells: dict, shown: str, row: int, sources, problems: list) -> LocatedDict:
    member = LocatedDict()
    member.where, member.item_where = (shown, row), {}

    def put(key, value):
        member[key] = value
        member.item_where[key] = (shown, row)

    attributes = LocatedDict()
    attributes.where, attributes.item_where = (shown, row), {}
    for column, raw in cells.items():
        if isinstance(raw, Reported):
            put(column, raw)
            continue
        raw = raw.strip()
        if column in ("code", "name"):
            if not raw:
                problems.append(Problem(shown, row, column, "empty cell"))
            put(column, raw or Reported(raw))
        elif column in NUMBERS:
            try:
                put(column, float(raw))
            except ValueError:
                problems.append(Problem(shown, row, column, f"not a number: {raw!r}"))
                put(column, Reported(raw))
        elif column == "source":
            ids = [s.strip() for s in raw.split(";") if s.strip()]
            unknown = [sid for sid in ids if sources is not None and sid not in sources]
            for sid in unknown:
                problems.append(Problem(shown, row, column, f"unknown source {sid!r}"))
            if unknown:
                put(column, Reported(raw))
            elif ids:
                put(column, ids[0] if len(ids) == 1 else ids)
        elif column == "assumption":
            if raw.lower() in _TRUE:
                put(column, True)
            elif raw.lower() in _FALSE:
                put(column, False)
            else:
                put(column, [f.strip() for f in raw.split(";") if f.strip()])
        elif column == "objects":
            ids = [s.strip() for s in raw.split(";") if s.strip()]
            if ids:
                put(column, ids)
        elif column in ("initial", "note"):
            if raw:
                put(column, raw)
        elif column and raw:
            attributes[column] = _scalar(raw)
            attributes.item_where[column] = (shown, row)
    if attributes:
        put("attributes", attributes)
    return member


def _near_miss(column: str) -> str | None:
    """The field a column not read as one is most likely meant to be, or None (an attribute)."""
    close = difflib.get_close_matches(column.lower(), MEMBER_FIELDS, n=1, cutoff=NEAR)
    return close[0] if close else None


def _scalar(raw: str):
    """An attribute cell: `true`/`false`, an integer, a number, or text."""
    if raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    for kind in (int, float):
        try:
            return kind(raw)
        except ValueError:
            pass
    return raw
