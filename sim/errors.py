"""User-facing input errors: one line each, `file:line: field.path: what is wrong`."""

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a user's input, located as precisely as we can."""

    file: str
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        path = self.path
        if self.line and self.file.lower().endswith(".csv"):
            # A member table's row is the member: `file.csv:row: column: problem`.
            path = re.sub(r"^members(\[\d+\]|\.[^.]+)\.?", "", path)
        return f"{where}: {path}: {self.message}" if path else f"{where}: {self.message}"


class ScenarioError(Exception):
    """A scenario (or override) that cannot be used; carries every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def bool_hint(value: bool) -> str:
    """Why a code or text came as a bool: YAML 1.1 reads `NO` (Norway), `yes`, `on`, `off`."""
    quoted = '"NO"' if value is False else '"ON"'
    return f"YAML reads a bare NO/no/yes/on/off as true or false; quote it: {quoted}"


def dotted(loc: tuple) -> str:
    """`("members", 3, "capability")` -> `members[3].capability`."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


class FailedRunsError(Exception):
    """Nothing to report because every replication of a batch raised (see runs.csv `error`)."""
