"""Which inputs a sensitivity analysis varies, and over which ranges.

By default: every field the scenario marks as an assumption (each member's capability and
salience; each preference's affinity, grievance's and tie's weight; the notice of each session
convened once the rule is met) and every behavioural parameter, each over a default range around its value (`default_range`, documented in
README.md). A scenario's `sensitivity:` block and `--inputs` override this.
"""

import math
from dataclasses import dataclass, replace

from sim.errors import Problem, ScenarioError, arg
from sim.scenario.schema import PARAMETER_NAMES, Scenario
from sim.scenario.varied import VariedField, range_problem, varied_field

# The default ranges, by kind of field: (relative half-width, least absolute half-width).
# A capability or tie weight is scaled (x0.5 to x1.5); a salience moves by 0.2; affinities
# and grievance weights by half their size, at least 0.1; a convened session's notice by half
# its days, at least one (whole days); parameters are scaled x0.5 to x1.5.
HALF_WIDTH = {
    "capability": (0.5, 0.0),
    "salience": (0.0, 0.2),
    "preference": (0.5, 0.1),
    "grievance": (0.5, 0.1),
    "tie": (0.5, 0.0),
    "notice": (0.5, 1.0),
    "parameter": (0.5, 0.0),
}
ZERO_SPAN = 1.0  # a tie weight or parameter at 0 varies from 0 to this (rounds for integers)


@dataclass(frozen=True)
class Input:
    """One varied input: the field, its value in the scenario and the range it is moved over."""

    field: VariedField
    base: float
    low: float
    high: float

    @property
    def key(self) -> str:
        return self.field.key

    @property
    def member(self) -> str | None:
        """The member whose assumption this is (capability, salience), else None."""
        return self.field.target if self.field.kind in ("capability", "salience") else None


def base_value(field: VariedField, scenario: Scenario) -> float:
    """The field's value in the scenario."""
    if field.kind == "parameter":
        return float(getattr(scenario.parameters, field.target))
    if field.kind in ("capability", "salience"):
        member = next(m for m in scenario.members if m.code == field.target)
        return float(getattr(member, field.kind))
    if field.kind == "notice":
        return float(next(s for s in scenario.sessions if s.id == field.target).convened_after_days)
    section = {"preference": "preferences", "grievance": "grievances", "tie": "ties"}[field.kind]
    rule = next(r for r in getattr(scenario, section) if r.id == field.target)
    return float(rule.affinity if field.kind == "preference" else rule.weight)


def default_range(field: VariedField, value: float) -> tuple[float, float]:
    """The documented default range around `value`, inside what the schema allows."""
    rel, least = HALF_WIDTH[field.kind]
    half = max(rel * abs(value), least)
    lo, hi = value - half, value + half
    if half == 0:  # a scaled field at 0
        lo, hi = value, value + ZERO_SPAN
    if field.integer:
        lo, hi = math.floor(lo), math.ceil(hi)
    a, b = field.allowed
    return max(lo, a), min(hi, b)


def _assumed(block, name: str) -> bool:
    return block.assumption is True or (
        isinstance(block.assumption, list) and name in block.assumption
    )


def default_fields(scenario: Scenario) -> list[VariedField]:
    """Every assumption (capability, salience, affinity, weights, convened sessions' notice)
    and every parameter."""
    keys = []
    for m in scenario.members:
        keys += [f"members.{m.code}.{name}" for name in ("capability", "salience")
                 if _assumed(m, name)]  # fmt: skip
    for section, name in (("preferences", "affinity"), ("grievances", "weight"),
                          ("ties", "weight")):  # fmt: skip
        keys += [
            f"{section}.{r.id}.{name}" for r in getattr(scenario, section) if _assumed(r, name)
        ]
    keys += [f"sessions.{s.id}.convened_after_days" for s in scenario.sessions
             if s.convened_after_days is not None and _assumed(s, "convened_after_days")]  # fmt: skip
    keys += [f"parameters.{name}" for name in PARAMETER_NAMES]
    return [varied_field(k, scenario) for k in keys]


def make_input(field: VariedField, scenario: Scenario, span=None) -> Input:
    value = base_value(field, scenario)
    lo, hi = span if span is not None else default_range(field, value)
    return Input(field, value, float(lo), float(hi))


def choose_inputs(scenario: Scenario, texts: list[str] | None = None) -> list[Input]:
    """The inputs to vary: the defaults with the scenario's `sensitivity:` block applied, or
    the ones `--inputs` names (`KEY`, `KEY=LOW:HIGH`, `parameters`, `assumptions`).

    Inputs whose range is a single value are left out (nothing to vary).

    The default ranges of lift_threshold and object_threshold are narrowed to keep the
    schema's rule lift_threshold >= object_threshold at every point (`_lift_rule_kept`).

    Raises:
        ScenarioError: `--inputs TEXT: key: problem` for a bad text, or a range given that
            breaks lift_threshold >= object_threshold at some point (as `calibrate` refuses).
    """
    block = scenario.sensitivity
    spans = {varied_field(k, scenario).key: (s.min, s.max) for k, s in block.inputs.items()} \
        if block else {}  # fmt: skip
    # Where each range the user gave comes from, for a message: (file, path).
    given = {varied_field(k, scenario).key: ("sensitivity", f"inputs.{k}")
             for k in (block.inputs if block else {})}  # fmt: skip
    if texts:
        chosen = _from_texts(texts, scenario, spans, given)
    else:
        fields = [] if block and block.only else default_fields(scenario)
        dropped = {varied_field(k, scenario).key for k in block.exclude} if block else set()
        known = {f.key for f in fields}
        fields += [varied_field(k, scenario) for k in spans if k not in known]
        chosen = [make_input(f, scenario, spans.get(f.key)) for f in fields if f.key not in dropped]
    chosen = [i for i in _lift_rule_kept(chosen, scenario, given) if i.high > i.low]
    _check_lift_rule(chosen, scenario, given)
    return chosen


LIFT, OBJECT = "parameters.lift_threshold", "parameters.object_threshold"


def _lift_rule_kept(chosen: list[Input], scenario: Scenario, given: dict) -> list[Input]:
    """`chosen` with the default ranges of lift_threshold and object_threshold narrowed so
    that no point breaks the schema's rule lift_threshold >= object_threshold: both default,
    they meet halfway between the scenario's values; one default, it stops at the other's
    range (or the scenario's value if the other is not varied). A range the user gave is
    left as it is (`_check_lift_rule` refuses it if it breaks the rule)."""
    by_key = {i.key: i for i in chosen}
    lift, obj = by_key.get(LIFT), by_key.get(OBJECT)
    lift_default = lift is not None and LIFT not in given
    obj_default = obj is not None and OBJECT not in given
    if not (lift_default or obj_default):
        return chosen
    p = scenario.parameters
    if lift_default and obj_default:
        floor = ceiling = (lift.base + obj.base) / 2
    else:
        floor = obj.high if obj is not None else float(p.object_threshold)
        ceiling = lift.low if lift is not None else float(p.lift_threshold)
    out = []
    for i in chosen:
        if i is lift and lift_default:
            i = replace(i, low=max(i.low, floor))
        elif i is obj and obj_default:
            i = replace(i, high=min(i.high, ceiling))
        out.append(i)
    return out


def _check_lift_rule(chosen: list[Input], scenario: Scenario, given: dict) -> None:
    """Refuse, as `calibrate` refuses its --params, ranges with points that break the
    schema's rule lift_threshold >= object_threshold (they could not be simulated as given)."""
    from sim.evaluate.calibrate import cross_field_problem

    ranges = {i.field.target: (i.low, i.high) for i in chosen if i.key in (LIFT, OBJECT)}
    problem = cross_field_problem(ranges, scenario.parameters)
    if problem is None:
        return
    key = f"parameters.{problem.path}"
    if key not in given:  # a default range against one the user gave: name the given one
        key = LIFT if key == OBJECT else OBJECT
    file, path = given.get(key, ("sensitivity", problem.path))
    raise ScenarioError([replace(problem, file=file, path=path)])


def _from_texts(texts: list[str], scenario: Scenario, spans: dict, given: dict) -> list[Input]:
    chosen: dict[str, Input] = {}
    named: set[str] = set()  # the keys given one by one (a group may be narrowed by one)
    for text in texts:
        key, _, span = text.partition("=")
        key = key.strip()

        def refuse(message: str, text=text, key=key) -> ScenarioError:
            return ScenarioError([Problem(arg("inputs", text), None, key, message)])

        if key in ("parameters", "assumptions"):
            if span:
                raise refuse(f"`{key}` names a group of inputs and takes no range")
            fields = [f for f in default_fields(scenario)
                      if (f.kind == "parameter") == (key == "parameters")]  # fmt: skip
            for f in fields:
                chosen.setdefault(f.key, make_input(f, scenario, spans.get(f.key)))
            continue
        try:
            field = varied_field(key, scenario)
        except ValueError as exc:
            raise refuse(str(exc)) from None
        if field.key in named:
            raise refuse("given more than once in --inputs: give each input once")
        named.add(field.key)
        span_of = spans.get(field.key)
        if span:
            try:
                lo, hi = (float(x) for x in span.split(":"))
            except ValueError:
                raise refuse("range must be LOW:HIGH") from None
            problem = range_problem(field, lo, hi)
            if problem:
                raise refuse(problem)
            span_of = (lo, hi)
            given[field.key] = (arg("inputs", text), key)
        chosen[field.key] = make_input(field, scenario, span_of)
    return list(chosen.values())


def problem_of(inputs: list[Input]) -> dict:
    """SALib's `problem`: names and bounds of the inputs."""
    return {
        "num_vars": len(inputs),
        "names": [i.key for i in inputs],
        "bounds": [[i.low, i.high] for i in inputs],
    }
