"""Caps on the size of a scenario and of a batch: runaway work is refused before it starts.

The caps are generous for real contests (NATO has 32 members, the UN 193) and are
documented in README.md ("Limits"). Memory and time within them are estimated by
`sim.batching.budget`.
"""

import math
import os
import re

from sim.errors import Problem, ScenarioError, dotted
from sim.scenario.schema import Scenario
from sim.scenario.yamlfile import where_of

MAX_MEMBERS = 1_000
MAX_CANDIDATES = 50
MAX_ROUNDS = 5_000  # about a century of weekly rounds
MAX_RUNS_PER_POINT = 10_000_000
MAX_TOTAL_RUNS = 100_000_000  # replications of a whole batch, every sweep point counted
MAX_POINTS = 10_000  # sweep points of one batch
MAX_CHUNKS = 100_000  # chunk files of one batch
WORKERS_PER_CORE = 4
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")  # one folder name, never a path


def plain_name(text: str) -> str:
    """`text` made into a scenario name: runs of other characters become `-`."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.") or "scenario"
    return name[:100]


def name_problems(scenario: Scenario, data, file: str) -> list[Problem]:
    """A scenario's name names its results folder: it must not be a path."""
    if _NAME.match(scenario.name) and ".." not in scenario.name:
        return []
    where = where_of(data, ("name",)) or (file, None)
    msg = (f"{scenario.name[:60]!r} is not a plain name: use letters, digits, '.', '_' and '-' "
           "(no '/', no '..'; up to 100 characters)")  # fmt: skip
    return [Problem(where[0], where[1], "name", msg)]


def rounds_of(scenario: Scenario) -> int:
    """Rounds after the start: the first round date on or after `last_round`."""
    cal = scenario.calendar
    return max(0, math.ceil((cal.last_round - cal.start).days / cal.round_days))


def size_problems(scenario: Scenario, data, file: str) -> list[Problem]:
    """A problem for each of members, candidates and rounds beyond its cap."""
    problems = []

    def add(loc: tuple, message: str) -> None:
        where = where_of(data, loc) or (file, None)
        problems.append(Problem(where[0], where[1], dotted(loc), message))

    if len(scenario.members) > MAX_MEMBERS:
        add(
            ("members",),
            f"{len(scenario.members):,} members, more than the limit of {MAX_MEMBERS:,}",
        )
    if len(scenario.candidates) > MAX_CANDIDATES:
        n = len(scenario.candidates)
        add(("candidates",), f"{n:,} candidates, more than the limit of {MAX_CANDIDATES:,}")
    rounds = rounds_of(scenario)
    if rounds > MAX_ROUNDS:
        add(
            ("calendar", "last_round"),
            f"{rounds:,} rounds of {scenario.calendar.round_days} day(s) from the start, more than "
            f"the limit of {MAX_ROUNDS:,} (a later start, an earlier last_round or longer rounds)",
        )
    elif scenario.sessions:  # the weekly rounds are within the cap: count them with the sessions'
        rounds = len(scenario.round_dates()) - 1
        if rounds > MAX_ROUNDS:
            add(("sessions",), f"{rounds:,} rounds with the sessions' dates, more than the limit "
                f"of {MAX_ROUNDS:,} (fewer or rarer recurring meetings)")  # fmt: skip
    return problems


def check_points(n: int, where: str) -> None:
    """Refuse a sweep of more than MAX_POINTS points before any is built."""
    if n > MAX_POINTS:
        msg = f"{n:,} sweep points, more than the limit of {MAX_POINTS:,}"
        raise ScenarioError([Problem(where, None, "", msg)])


def check_runs(runs: int, points: int, where: str = "--runs") -> None:
    """Refuse more replications per point, or in all, than the caps allow."""
    if runs > MAX_RUNS_PER_POINT:
        msg = f"{runs:,} replications per point, more than the limit of {MAX_RUNS_PER_POINT:,}"
        raise ScenarioError([Problem(where, None, "", msg)])
    if runs * points > MAX_TOTAL_RUNS:
        msg = (f"{runs:,} replications x {points:,} points = {runs * points:,}, more than the "
               f"limit of {MAX_TOTAL_RUNS:,} for one batch")  # fmt: skip
        raise ScenarioError([Problem(where, None, "", msg)])


def check_chunks(n: int) -> None:
    """Refuse a batch cut into more than MAX_CHUNKS chunk files."""
    if n > MAX_CHUNKS:
        msg = f"{n:,} chunks, more than the limit of {MAX_CHUNKS:,}; give a larger --chunk"
        raise ScenarioError([Problem("--chunk", None, "", msg)])


def max_workers() -> int:
    """At most a small multiple of this machine's cores."""
    return WORKERS_PER_CORE * (os.cpu_count() or 1)


def check_workers(workers: int) -> None:
    """Refuse more local worker processes than `max_workers()`."""
    cap = max_workers()
    if workers > cap:
        msg = (f"{workers} workers, more than the limit of {cap} on this machine "
               f"({WORKERS_PER_CORE} per core, {os.cpu_count() or 1} cores)")  # fmt: skip
        raise ScenarioError([Problem("--workers", None, "", msg)])
