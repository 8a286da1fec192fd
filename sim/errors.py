"""User-facing input errors: one line each, `file:line: field.path: what is wrong`."""

import contextvars
import re
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

# Whether the messages being built go to the command line (`--out X`, `--force`) or to a
# Python caller (`out='X'`, `force=True`): set by `coalition-sim` around a command.
_COMMAND_LINE = contextvars.ContextVar("command_line", default=False)
# Python's spelling of the options that are switches, or named otherwise than `--a-b` -> `a_b=`.
_PYTHON = {"force": "force=True", "resume": "resume=True", "no-pivotal": "pivotal=False",
           "no-report": "report=False", "set": "set=", "inputs": "inputs="}  # fmt: skip
_NO_VALUE = object()


@contextmanager
def command_line():
    """Within it, `arg` spells arguments as the command line's options."""
    token = _COMMAND_LINE.set(True)
    try:
        yield
    finally:
        _COMMAND_LINE.reset(token)


def arg(name: str, value=_NO_VALUE) -> str:
    """An argument as the user gave it, for a message: `--out results/x` on the command
    line, `out='results/x'` from Python (`arg("force")`: `--force` or `force=True`)."""
    if _COMMAND_LINE.get():
        return f"--{name}" if value is _NO_VALUE else f"--{name} {value}"
    spelled = _PYTHON.get(name, name.replace("-", "_") + "=")
    if value is _NO_VALUE:
        return spelled
    return spelled + repr(str(value) if isinstance(value, Path) else value)


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
