"""What a batch is: its sweep points, its chunks, and the seed of every replication.

A plan is built and checked entirely before anything runs, so a bad sweep value
is reported at once, and its `key` tells whether two batches are the same batch
(which is what lets a rerun reuse finished chunks).
"""

import hashlib
import itertools
import json
import math
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from sim.engine.streams import seed_sequence_words
from sim.errors import Problem, ScenarioError, arg
from sim.scenario.limits import check_chunks, check_points, check_runs
from sim.scenario.loader import (
    digest_parts,
    digests_of_parts,
    load_scenario,
    long_key,
    parameter_point,
    resolve,
    scalar,
    scenario_digest,
)
from sim.scenario.schema import Parameters, Scenario, Span, Sweep
from sim.scenario.yamlfile import load_located, where_of
from sim.version import __version__


def replication_seed(seed: int, point: int, rep: int) -> int:
    """The seed of one replication: a SeedSequence child of (batch seed, point, replication).

    `coalition-sim run --seed <this>` replays that replication alone.
    """
    child = np.random.SeedSequence(seed, spawn_key=(point, rep))
    return int(child.generate_state(1, dtype=np.uint64)[0])


def replication_seeds(seed: int, point: int, start: int, stop: int) -> list[int]:
    """`replication_seed` for replications [start, stop) of a point, computed in bulk."""
    return pieces_seeds(seed, [(point, start, stop)])


def pieces_seeds(seed: int, pieces: list[tuple[int, int, int]]) -> list[int]:
    """`replication_seeds` of several (point, start, stop) pieces, in order, in one call."""
    keys = [(point, rep) for point, start, stop in pieces for rep in range(start, stop)]
    return seed_sequence_words([seed] * len(keys), keys)[:, 0].tolist()


# --- the plan ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Point:
    """One sweep point: the values it sets and the scenario they give."""

    index: int
    values: dict[str, Any]
    scenario: Scenario
    digest: str = ""  # sha256 of the resolved scenario, computed once

    def __post_init__(self):
        if not self.digest:
            object.__setattr__(self, "digest", scenario_digest(self.scenario))


@dataclass(frozen=True)
class Chunk:
    """Runs [start, stop) of the batch, numbered point by point (run = point x runs per
    point + replication): the unit of work and of writing. A chunk may span several sweep
    points, so a sweep of many small points is written in a few files, not one per point."""

    start: int
    stop: int
    runs_per_point: int

    @property
    def name(self) -> str:
        return f"r{self.start:09d}"

    def pieces(self) -> list[tuple[int, int, int]]:
        """(point, first replication, stop) of each point's share of the chunk."""
        out, run = [], self.start
        while run < self.stop:
            point, rep = divmod(run, self.runs_per_point)
            stop = min(self.stop, (point + 1) * self.runs_per_point)
            out.append((point, rep, rep + stop - run))
            run = stop
        return out


@dataclass
class Plan:
    """Everything that defines a batch; its `key` says whether two batches are the same."""

    scenario_path: str
    overrides: list[str]
    points: list[Point]
    runs: int
    seed: int
    chunk: int
    swept: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.points[0].scenario.name

    @property
    def chunks(self) -> list[Chunk]:
        total = self.total_runs
        return [
            Chunk(a, min(a + self.chunk, total), self.runs) for a in range(0, total, self.chunk)
        ]

    @property
    def total_runs(self) -> int:
        return self.runs * len(self.points)

    @cached_property
    def key(self) -> str:
        """sha256 of everything that defines the batch (computed once)."""
        ident = {
            "points": [[p.values, p.digest] for p in self.points],
            "runs": self.runs,
            "seed": self.seed,
            "chunk": self.chunk,
            "version": __version__,
        }
        return hashlib.sha256(json.dumps(ident, sort_keys=True, default=str).encode()).hexdigest()

    def describe(self) -> dict:
        return {
            "key": self.key,
            "scenario": self.name,
            "scenario_path": self.scenario_path,
            "overrides": self.overrides,
            "runs_per_point": self.runs,
            "seed": self.seed,
            "chunk": self.chunk,
            "swept": self.swept,
            "points": [
                {
                    "point": p.index,
                    "values": p.values,
                    "scenario_sha256": p.digest,
                }
                for p in self.points
            ],
        }


def plan_batch(
    path: "str | Path | Scenario",
    overrides: list[str] | None = None,
    runs: int | None = None,
    seed: int | None = None,
    chunk: int | None = None,
    sweeps: list[str] | None = None,
    design: list[dict[str, Any]] | None = None,
) -> Plan:
    """Load the scenario and every sweep point (all checked before anything runs).

    Args:
        path: the scenario file (or a loaded Scenario).
        overrides: `--set` texts applied to every point.
        runs, seed, chunk: replications per point, batch seed, replications per chunk
            (default: the scenario's `batch:` block).
        sweeps: `--sweep KEY=V1,V2` texts (a grid), replacing the scenario's sweep.
        design: the points themselves, one dict of swept values each (replaces both).

    Returns:
        The plan.
    """
    overrides = list(overrides or [])
    resolved = resolve(path) if not isinstance(path, Scenario) else None  # read once
    base = load_scenario(path, overrides, resolved)
    settings = base.batch
    sweep = _cli_sweep(sweeps) if sweeps else settings.sweep
    seed = settings.seed if seed is None else seed
    if design is not None:
        values = [dict(v) for v in design] or [{}]
    else:
        folder = Path(path).parent if not isinstance(path, Scenario) else None
        values = design_points(sweep, seed, folder) if sweep else [{}]
    values = [{k: _plain(v) for k, v in point.items()} for point in values]
    named = _long_names([k for point in values for k in point], sweeps)
    if design is None:
        _check_overrides(overrides, named, sweeps)
    from_file = design is None and sweep is not None and sweep.design == "points"
    runs = runs or settings.replications
    chunk = chunk or settings.chunk
    check_runs(runs, len(values))
    check_chunks(math.ceil(len(values) * runs / chunk))  # a chunk may span several points
    points = []
    digest = None  # the digest of the base with another parameters section (parameter_point)
    for index, point in enumerate(values):
        sets = [f"{k}={json.dumps(v)}" for k, v in point.items()]
        quick = parameter_point(base, resolved, overrides, sets) if resolved else None
        if quick is not None:
            digest = digest or digests_of_parts(digest_parts(base), "parameters")
            section = quick.parameters.model_dump(mode="json", by_alias=True)
            section_digest = digest(json.dumps(section, sort_keys=True))
            points.append(Point(index, _renamed(point, named), quick, section_digest))
            continue
        try:
            scenario = load_scenario(path, [*overrides, *sets], resolved) if sets else base
        except ScenarioError as exc:
            if from_file:  # point at the design file's row
                shown = str(Path(path).parent / sweep.file)
                line = read_design.lines[index]
                raise ScenarioError(
                    [Problem(shown, line, q.path, q.message) for q in exc.problems]
                ) from None
            from_cli = bool(sweeps) or design is not None or isinstance(path, Scenario)
            raise _sweep_error(path, exc, point, sets, from_cli) from None
        points.append(Point(index, _renamed(point, named), scenario))
    return Plan(
        scenario_path=str(path) if not isinstance(path, Scenario) else f"<{path.name}>",
        overrides=overrides,
        points=points,
        runs=runs,
        seed=seed,
        chunk=chunk,
        swept=[named[k] for k in values[0]],
    )


def _long_names(keys: list[str], sweeps: list[str] | None) -> dict[str, str]:
    """Each swept key as typed -> its full name (`noise` -> `parameters.noise`), so that a
    sweep's columns and batch are the same however its keys are spelt."""
    named = {k: long_key(k) for k in keys}
    twice = [k for k in named if list(named.values()).count(named[k]) > 1]
    if twice:
        where = arg("sweep") if sweeps else "batch.sweep.params"
        message = f"{' and '.join(twice)} are the same key; give it once, with all its values"
        raise ScenarioError([Problem(where, None, named[twice[0]], message)])
    return named


def _check_overrides(overrides: list[str], named: dict[str, str], sweeps) -> None:
    """A `--set` of a swept key would be overridden at every point: refuse it."""
    swept = set(named.values())
    for text in overrides:
        key = long_key(text.partition("=")[0].strip())
        if key in swept:
            by = arg("sweep") if sweeps else "the scenario's batch.sweep"
            message = f"also swept (by {by}), which sets it at every point; drop one"
            raise ScenarioError([Problem(f"--set {text}", None, key, message)])


def _renamed(point: dict, named: dict[str, str]) -> dict:
    return {named[k]: v for k, v in point.items()}


def design_points(sweep: Sweep, seed: int, base: Path | None = None) -> list[dict[str, Any]]:
    """The sweep's points in a fixed order: a grid's product, an LHS or Sobol-sequence sample,
    or the rows of a points file (`base` is the scenario's folder, where `file` is found).

    A behavioural parameter that takes whole numbers gets whole numbers from a span."""
    if sweep.design == "points":
        points = read_design(Path(base or ".") / sweep.file)
        check_points(len(points), "batch.sweep.file")
        return points
    keys = list(sweep.params)
    whole = [_integer(k) for k in keys]
    if sweep.design == "grid":
        sizes = [s.num if isinstance(s, Span) else len(s) for s in sweep.params.values()]
        check_points(math.prod(sizes), "batch.sweep")
        axes = []
        for spec, integer in zip(sweep.params.values(), whole, strict=True):
            if isinstance(spec, Span):
                axis = [float(v) for v in np.linspace(spec.min, spec.max, spec.num)]
                axes.append(list(dict.fromkeys(round(v) for v in axis)) if integer else axis)
            else:
                axes.append(list(spec))
        return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*axes)]
    from scipy.stats import qmc

    check_points(sweep.samples, "batch.sweep.samples")
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(2**32 - 1,)))
    if sweep.design == "lhs":
        unit = qmc.LatinHypercube(d=len(keys), rng=rng).random(sweep.samples)
    else:
        unit = qmc.Sobol(d=len(keys), rng=rng).random_base2(int(np.log2(sweep.samples)))
    lo = np.array([sweep.params[k].min for k in keys])
    hi = np.array([sweep.params[k].max for k in keys])
    values = qmc.scale(unit, lo, hi) if (hi > lo).all() else lo + unit * (hi - lo)
    return [
        {
            k: (round(v) if integer else v)
            for k, v, integer in zip(keys, map(float, row), whole, strict=True)
        }
        for row in values
    ]


def _integer(key: str) -> bool:
    """Whether a swept key is a behavioural parameter that takes whole numbers."""
    name = long_key(key).removeprefix("parameters.")
    field = Parameters.model_fields.get(name) if long_key(key).startswith("parameters.") else None
    return field is not None and field.annotation is int


def read_design(path: Path) -> list[dict[str, Any]]:
    """A user's points: a CSV with one column per swept key and one row per point.

    Raises ScenarioError with `file.csv:row: column: problem` for each bad cell."""
    import csv

    import yaml

    shown = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or "cannot be read"
        raise ScenarioError([Problem(shown, None, "", f"design file: {reason}")]) from None
    rows = list(csv.reader(text.splitlines()))
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise ScenarioError([Problem(shown, 1, "", "a design file needs a header of swept keys")])
    header = [h.strip() for h in rows[0]]
    problems = [Problem(shown, 1, h or f"column {j + 1}", "empty or repeated column name")
                for j, h in enumerate(header) if not h or header.index(h) != j]  # fmt: skip
    points = []
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            problems.append(Problem(shown, line, "", f"{len(row)} cells for {len(header)} columns"))
            continue
        point = {}
        for key, cell in zip(header, row, strict=True):
            if not cell.strip():
                problems.append(Problem(shown, line, key, "empty cell"))
                continue
            try:
                point[key] = scalar(cell)
            except (yaml.YAMLError, ValueError):
                point[key] = cell
        points.append((line, point))
    if not points and not problems:
        problems.append(Problem(shown, None, "", "a design file needs at least one row"))
    if problems:
        raise ScenarioError(problems)
    read_design.lines = [line for line, _ in points]
    return [p for _, p in points]


def _cli_sweep(texts: list[str]) -> Sweep:
    """`--sweep parameters.noise=0.1,0.2,0.4` (repeatable) as a grid."""
    params = {}
    for text in texts:
        key, _, raw = text.partition("=")
        key = key.strip()

        def refuse(message: str, text=text, key=key) -> ScenarioError:
            return ScenarioError([Problem(arg("sweep", text), None, key, message)])

        if not key or not raw:
            raise ScenarioError([Problem(arg("sweep", text), None, "", "expected key=v1,v2,...")])
        if key in params:
            raise refuse("swept twice; give each key once, with all its values")
        values = []
        for item in raw.split(","):
            if not item.strip():
                raise refuse("empty value in the list (two commas in a row, or one at an end)")
            value = _scalar(item)
            if not isinstance(value, str | int | float | bool | date):  # as Sweep.params takes
                raise refuse(
                    f"{item.strip()!r}: each value must be a single value (text, a number, "
                    "true or false, or a date), not a list, mapping or null"
                )
            if any(type(v) is type(value) and v == value for v in values):
                raise refuse(f"{item.strip()} given twice; give each point once")
            values.append(value)
        params[key] = values
    if len(params) > 0:
        check_points(math.prod(len(v) for v in params.values()), arg("sweep"))
    return Sweep(design="grid", params=params)


def _plain(value):
    """A sweep value as a point holds it: a date as ISO text, like batch.json gives it back."""
    return value.isoformat() if isinstance(value, date) else value


def _shown(value) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _scalar(text: str):
    import yaml

    try:
        return scalar(text)
    except (yaml.YAMLError, ValueError):
        return text


def _sweep_error(path, exc: ScenarioError, point: dict, sets: list[str], from_cli: bool):
    """Point a problem found while applying a sweep point at the sweep that set it, with the
    point's values: the base loaded without them, so even a problem found in the base file
    (a cross-reference the point breaks) is the point's."""
    values = ", ".join(f"{k}={_shown(v)}" for k, v in point.items())
    own = {f"--set {text}": text.split("=", 1)[0] for text in sets}  # problem file -> its key
    try:
        data = None if from_cli else load_located(Path(path))
    except ScenarioError:
        data = None

    def block(key: str | None) -> tuple[str, int | None]:  # the sweep's file:line in the YAML
        keys = ("batch", "sweep", "params", *([key] if key else []))
        return (where_of(data, keys) if data else None) or (str(path), None)

    problems = []
    for p in exc.problems:
        key = own.get(p.file)
        if key is not None and from_cli:  # the point's own value was refused
            problems.append(Problem(arg("sweep", f"{key}={_shown(point[key])}"), p.line, p.path,
                                    p.message))  # fmt: skip
        elif key is not None:
            file, line = block(key)
            problems.append(Problem(file, line, f"batch.sweep.params.{key}",
                                    f"{_shown(point[key])}: {p.message}"))  # fmt: skip
        else:  # found elsewhere once the point's values were applied
            at = f"{p.file}:{p.line}" if p.line else p.file
            message = f"{p.path}: {p.message} (at {at})" if p.path else f"{p.message} (at {at})"
            if from_cli:
                problems.append(Problem(arg("sweep", values), None, "", message))
            else:
                key = next(iter(point)) if len(point) == 1 else None  # else the whole block
                file, line = block(key)
                shown = _shown(point[key]) if key else values
                problems.append(Problem(file, line, "batch.sweep.params" + f".{key}" * bool(key),
                                        f"{shown}: {message}"))  # fmt: skip
    return ScenarioError(problems)
