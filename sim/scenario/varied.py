"""Which scenario fields an analysis may vary, named as `--set` names them.

A varied field is a member's capability or salience, a preference's affinity, a grievance's
or tie's weight, the notice of a session convened once the rule is met, or a behavioural
parameter: the numbers the sensitivity analysis pushes around. This module knows their names and the ranges the schema allows; it runs nothing.
"""

import difflib
from dataclasses import dataclass

from sim.scenario.schema import PARAMETER_NAMES, Parameters

# key grammar -> (section, item key, field, kind)
RULE_FIELDS = {"preferences": "affinity", "grievances": "weight", "ties": "weight"}
MEMBER_FIELDS = ("capability", "salience")
# What the schema allows for each kind of field (capability must stay above 0).
ALLOWED = {
    "capability": (0.01, 1.0),
    "salience": (0.0, 1.0),
    "preference": (-1.0, 1.0),
    "grievance": (0.0, 1.0),
    "tie": (0.0, 100.0),
    "notice": (0.0, 3650.0),
}
GRAMMAR = (
    "members.CODE.capability|salience, preferences.ID.affinity, grievances.ID.weight, "
    "ties.ID.weight, sessions.ID.convened_after_days or parameters.NAME"
)


@dataclass(frozen=True)
class VariedField:
    """One field an analysis can vary: its key, what it is, and the schema's range."""

    key: str  # the long key: members.HU.salience, grievances.schengen.weight, parameters.noise
    kind: str  # capability, salience, preference, grievance, tie, notice, parameter
    target: str  # member code, rule or session id, or parameter name
    allowed: tuple[float, float]
    integer: bool = False


def parameter_bounds(name: str) -> tuple[float, float]:
    """The schema's allowed range of a behavioural parameter."""
    lo = hi = None
    for rule in Parameters.model_fields[name].metadata:
        for attr in ("ge", "gt"):
            if getattr(rule, attr, None) is not None:
                lo = float(getattr(rule, attr))
        if getattr(rule, "le", None) is not None:
            hi = float(rule.le)
    return lo, hi


def varied_field(key: str, scenario) -> VariedField:
    """The field `key` names in `scenario` (members, rules and parameters looked up).

    Raises ValueError with a one-line reason (and a suggestion) when it names none."""
    parts = key.split(".")
    if len(parts) == 1 or parts[0] == "parameters":
        name = parts[-1] if len(parts) <= 2 else ""
        if name in PARAMETER_NAMES:
            integer = Parameters.model_fields[name].annotation is int
            return VariedField(f"parameters.{name}", "parameter", name, parameter_bounds(name),
                               integer)  # fmt: skip
        close = difflib.get_close_matches(name or key, PARAMETER_NAMES, n=1)
        hint = f" (did you mean `parameters.{close[0]}`?)" if close else ""
        raise ValueError(f"not a field an analysis can vary{hint}; give {GRAMMAR}")
    if len(parts) != 3:
        raise ValueError(f"not a field an analysis can vary; give {GRAMMAR}")
    section, ident, name = parts
    if section == "members":
        codes = [m.code for m in scenario.members if m is not None]
        _known(ident, codes, "member")
        if name not in MEMBER_FIELDS:
            raise ValueError(f"a member's varied field is capability or salience, not {name!r}")
        return VariedField(key, name, ident, ALLOWED[name])
    if section in RULE_FIELDS:
        ids = [r.id for r in getattr(scenario, section) if r is not None]
        _known(ident, ids, section.removesuffix("s"))
        if name != RULE_FIELDS[section]:
            raise ValueError(f"a {section.removesuffix('s')}'s varied field is "
                             f"{RULE_FIELDS[section]}, not {name!r}")  # fmt: skip
        kind = section.removesuffix("s")
        return VariedField(key, kind, ident, ALLOWED[kind])
    if section == "sessions":
        called = [
            s.id for s in scenario.sessions if s is not None and s.convened_after_days is not None
        ]
        _known(ident, called, "session convened once the rule is met")
        if name != "convened_after_days":
            raise ValueError(f"a session's varied field is convened_after_days, not {name!r}")
        return VariedField(key, "notice", ident, ALLOWED["notice"], integer=True)
    raise ValueError(f"not a field an analysis can vary; give {GRAMMAR}")


def _known(ident: str, known: list[str], what: str) -> None:
    if ident not in known:
        close = difflib.get_close_matches(ident, known, n=1)
        hint = f" (did you mean `{close[0]}`?)" if close else ""
        raise ValueError(f"unknown {what} {ident!r}{hint}")


def range_problem(field: VariedField, lo: float, hi: float) -> str | None:
    """Why `lo`..`hi` is not a range for this field, or None."""
    a, b = field.allowed
    if hi <= lo:
        return "max must be above min (nothing to vary)"
    if lo < a or hi > b:
        return f"range must lie in [{a:g}, {b:g}]"
    return None
