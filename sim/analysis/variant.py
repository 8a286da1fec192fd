"""A compiled World with some inputs set to other values, without going back to YAML.

A sensitivity analysis evaluates thousands of points; re-reading and re-validating the
scenario for each would cost more than simulating it. `varied_world` changes the arrays
of an already compiled World instead, exactly as compiling the changed scenario would
(a test holds the two equal): a rule weight or parameter that a dated event sets later is
changed only in the rounds before that event.
"""

from dataclasses import fields, replace

from sim.engine.world import World, ready_round
from sim.scenario.varied import VariedField

_RULE_EVENTS = {"preference": "preference", "grievance": "grievance", "tie": "tie"}


def first_event_round(world: World, kind: str, target: str) -> int:
    """The first round in which a dated event sets this rule or parameter (else past the end)."""
    key = (id(world.scenario), kind, target)
    if key not in _UNTIL:  # the scenario is kept with the value, so its id is not reused
        _UNTIL[key] = (world.scenario, _first_event_round(world, kind, target))
    return _UNTIL[key][1]


_UNTIL: dict = {}  # (id of scenario, kind, target) -> (scenario, round)


def _first_event_round(world: World, kind: str, target: str) -> int:
    rounds = len(world.dates)
    for e in world.scenario.events:
        hit = (kind == "parameter" and e.kind == "parameter" and e.parameter == target) or (
            kind in _RULE_EVENTS and e.kind == kind and getattr(e, kind) == target
        )
        if hit:
            acts = next((t for t, d in enumerate(world.dates) if d >= e.date), rounds)
            rounds = min(rounds, acts)
    return rounds


def simulated_value(field: VariedField, value: float) -> float:
    """The value a point is simulated at: a whole-number field (an integer parameter, a
    session's notice in days) rounded as `varied_world` rounds it, any other as given."""
    return float(round(value)) if field.integer else value


def varied_world(
    world: World,
    values: list[tuple[VariedField, float]] = (),
    undecided: tuple[str, ...] = (),
    no_grievances: tuple[str, ...] = (),
    no_objections: tuple[str, ...] = (),
) -> World:
    """A copy of `world` with fields set to new values and members' positions changed.

    Args:
        world: the compiled scenario (not changed).
        values: (field, value) pairs; integer parameters are rounded.
        undecided: members whose initial stance becomes undecided.
        no_grievances: members whose grievances are removed (every rule, every round).
        no_objections: members whose standing objections (`objects:`) are removed.

    Returns:
        The new World, simulated at exactly the values given (`choose_inputs` keeps the
        ranges to the schema's rule lift_threshold >= object_threshold).
    """
    index = {code: i for i, code in enumerate(world.members)}
    capability, salience = world.capability.copy(), world.salience.copy()
    rounds, rules = list(world.rounds), dict(world.rules)
    params, weights = [], []  # (until round, name, value)
    structure = world.compiled_from  # what `stackable` takes as shared: not once sessions change
    for field, value in values:
        if field.kind in ("capability", "salience"):
            (capability if field.kind == "capability" else salience)[index[field.target]] = value
            continue
        if field.kind == "notice":  # each of the session's rounds (a recurring one: every date)
            notice = int(simulated_value(field, value))
            days = set(next(s for s in world.scenario.sessions if s.id == field.target).dates())
            for t, (r, day) in enumerate(zip(rounds, world.dates, strict=True)):
                if r.session is not None and day in days:
                    ready_by = ready_round(world.dates[:t], day, notice)
                    rounds[t] = replace(r, session=replace(r.session, notice=notice,
                                                           ready_by=ready_by))  # fmt: skip
            structure = None
            continue
        until = first_event_round(world, field.kind, field.target)
        if field.kind == "parameter":
            params.append((until, field.target,
                           int(simulated_value(field, value)) if field.integer else value))  # fmt: skip
        else:
            weights.append((until, field.target, float(value)))
    # One new setup per round with all of its changes (not one per change: points are many).
    for t in range(len(rounds) if params or weights else 0):
        r = rounds[t]
        p_new = {name: v for until, name, v in params if t < until}
        v_new = {rid: v for until, rid, v in weights if t < until}
        if not (p_new or v_new):
            continue
        p = r.params
        if p_new:
            p = replace(p, **{k: type(getattr(p, k))(v) for k, v in p_new.items()})
        rounds[t] = replace(r, params=p, values={**r.values, **v_new} if v_new else r.values)
    rows = [index[c] for c in no_grievances]
    if rows:
        for rid, rule in rules.items():
            if rule.kind == "grievance":
                mask = rule.mask.copy()
                mask[rows, :] = 0.0
                rules[rid] = replace(rule, mask=mask)
    initial = world.initial.copy()
    initial[[index[c] for c in undecided]] = -1
    objects0 = world.objects0.copy()
    objects0[[index[c] for c in no_objections], :] = False
    return replace(
        world,
        capability=capability,
        salience=salience,
        initial=initial,
        objects0=objects0,
        rules=rules,
        rounds=rounds,
        brokers=list(world.brokers),
        uncertain=list(world.uncertain),
        compiled_from=structure,
        **{f.name: {} for f in fields(World) if f.name.startswith("_")},  # caches: fresh
    )
