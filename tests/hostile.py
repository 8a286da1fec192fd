"""Helpers for the hostile-input tests: a tiny scenario and a CLI runner that forbids tracebacks."""

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from sim.cli.main import main
from sim.errors import ScenarioError
from sim.scenario.loader import load_scenario

REPO = Path(__file__).resolve().parents[1]

TINY = """\
name: tiny
sources:
  - id: press
    title: Press release
calendar:
  start: 2024-01-01
  round_days: 7
  deadline: 2024-03-01
  last_round: 2024-03-01
  source: press
candidates:
  - {id: x, name: X, home: A, source: press}
  - {id: y, name: Y, home: B, source: press}
members:
  - {code: A, name: Aland, capability: 0.9, salience: 0.5, initial: x, source: press}
  - {code: B, name: Bland, capability: 0.5, salience: 0.5, initial: y, source: press}
  - {code: C, name: Cland, capability: 0.3, salience: 0.5, source: press}
"""

RECORD = """\
name: tiny-record
scenario: tiny
sources:
  - {id: news, title: News report}
appointment: {date: 2024-02-05, winner: x, source: news}
declarations:
  - {member: C, candidate: x, date: 2024-01-15, source: news}
support:
  - {date: 2024-01-15, candidate: x, supporters: 2, source: news}
"""


def write(folder: Path, text: str, name: str = "tiny.yaml") -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def two_cases(folder: Path) -> list[str]:
    """Two tiny cases (`tiny`, `tiny2`) written into `folder`, as SCENARIO:RECORD texts."""
    cases = []
    for name in ("tiny", "tiny2"):
        scenario = write(folder, TINY.replace("name: tiny", f"name: {name}"), f"{name}.yaml")
        record = RECORD.replace("tiny-record", f"{name}-record")
        record = write(folder, record.replace("scenario: tiny", f"scenario: {name}"),
                       f"{name}-record.yaml")  # fmt: skip
        cases.append(f"{scenario}:{record}")
    return cases


def cli(capsys, *args) -> tuple[int, str, str]:
    """Run the CLI in-process; return (exit code, stdout, stderr); never a traceback."""
    try:
        code = main([str(a) for a in args])
    except SystemExit as exc:  # argparse refusing an argument
        code = exc.code
    out, err = capsys.readouterr()
    assert "Traceback" not in err, err
    return code, out, err


def _limited(memory: int):
    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    return limit


def sim_subprocess(cwd: Path, *args, timeout=60, memory=3 * 2**30) -> subprocess.CompletedProcess:
    """`python -m sim ARGS` in a child with a memory cap, so a runaway case fails, not the box."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "sim", *map(str, args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=_limited(memory),
    )


def problems(path, overrides=None) -> list[str]:
    """The one-line problems that loading the scenario at `path` (with `--set` texts
    `overrides`) reports; fails the test if it loads."""
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path, list(overrides or []))
    return [str(p) for p in caught.value.problems]
