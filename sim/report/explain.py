"""Why a member leans the way it does: its utility for each candidate, term by term."""

import numpy as np

from sim.engine.rules import (
    NEVER,
    UNDECIDED,
    WITHDRAWAL_REASONS,
    deadline_pressure,
    draw_events,
    draw_noise,
    initial_state,
    leverage,
    price,
    session_held,
    step,
    support_shares,
    utility_terms,
)
from sim.engine.world import World

TERMS = ("affinity", "ties", "bandwagon", "leverage", "grievance", "concession", "noise")
TOP_TIES = 5


class ExplainError(ValueError):
    """A request that names no such member or round."""


def explain(world: World, member: str, round_: int, seed: int) -> str:
    """Text report of `member`'s utilities in round `round_` of the run with `seed`."""
    member = _member(world, member)
    if not 1 <= round_ <= world.n_rounds:
        zero = (
            " (round 0 is the starting position: nothing is decided in it)" if round_ == 0 else ""
        )
        raise ExplainError(f"--round: must be between 1 and {world.n_rounds}{zero}")
    rng = np.random.default_rng(seed)
    draws = draw_events(rng, world)  # as the model draws them: events first, then shocks
    noise = draw_noise(rng, world)
    state = initial_state(world, 1, draws[None])
    for t in range(1, round_):
        state = step(state, world, t, noise[t - 1][None])
        if not state.open[0]:
            at = world.dates[t].isoformat()
            raise ExplainError(f"--round: this run ended at round {t} ({at}); pick 1 to {t}")
    terms = {
        k: v[0] for k, v in utility_terms(state, world, round_, noise[round_ - 1][None]).items()
    }
    c = len(world.candidates)
    terms.setdefault("leverage", np.zeros((len(world.members), c)))
    return _report(world, state, terms, world.members.index(member), round_, seed)


def _report(world: World, state, terms: dict, i: int, t: int, seed: int) -> str:
    sc, setup = world.scenario, world.rounds[t]
    p = setup.params
    spec = sc.members[i]
    stance = int(state.stance[0, i])
    objecting = [world.candidates[c] for c in np.flatnonzero(state.objecting[0, i])]
    lines = [
        f"{spec.code} ({spec.name}), round {t} ({world.dates[t].isoformat()}), seed {seed}",
        f"  before this round: {'undecided' if stance == UNDECIDED else 'supports ' + world.candidates[stance]}"
        + (f"; objecting to {', '.join(objecting)}" if objecting else ""),
        f"  salience {spec.salience}, capability {spec.capability}; "
        f"member {'present' if setup.active[i] else 'not yet a member'}",
        "  " + _session_text(world, t, state),
    ]
    held = [world.candidates[c] for c in np.flatnonzero(state.held[0, i])]
    if held:
        prices = price(world, t)[i]
        parts = [
            f"{world.candidates[c]} (received {state.concession[0, i, c]:.2f} of price "
            f"{prices[c]:.2f} = price_base {p.price_base:g} + price_grievance "
            f"{p.price_grievance:g} x salience x grievance + price_leverage {p.price_leverage:g}"
            f" x can block {int(world.can_block(t)[i])})"
            for c in np.flatnonzero(state.held[0, i])
        ]
        lines.append("  standing objections (lifted when received >= price): " + "; ".join(parts))
    acts = _acts_text(world, state, t, i)
    if acts:
        lines.append(
            "  this round's events, applied before it decides (the utilities below are read "
            "before them): " + "; ".join(acts)
        )
    gone = [
        f"{world.candidates[c]} ({WITHDRAWAL_REASONS[int(state.withdrawn_reason[0, c])]}, "
        f"round {int(state.withdrawn_round[0, c])})"
        for c in np.flatnonzero(state.withdrawn_reason[0])
    ]
    if gone:
        lines.append("  withdrawn: " + ", ".join(gone))

    affinity, grievance, ties = world.matrices(t)
    for c, cid in enumerate(world.candidates):
        status = "in the race" if state.in_race[0, c] else "not in the race"
        total = sum(terms[k][i, c] for k in TERMS)
        lines += ["", f"candidate {cid} ({status}): U = {total:+.3f}"]
        for k in TERMS:
            lines.append(
                f"  {k:<11}{terms[k][i, c] + 0.0:+.3f}   {_why(world, state, k, i, c, t, ties)}"
            )
    lines += ["", _decision_rule_text(p)]
    return "\n".join(lines)


ACT_TEXT = {
    "enter": "{c} enters the race",
    "withdraw": "{c} withdraws",
    "declare": "{m} declares for {c}",
    "object": "{m} objects to {c}",
    "lift": "{m} lifts its objection to {c}",
    "abstain": "{m} drops its stance",
    "reset": "{m} drops its stance and objections (change of government)",
}


def _acts_text(world: World, state, t: int, i: int) -> list[str]:
    """This round's dated events on member i or on the race, as `step` applies them before
    the members decide; an uncertain one says whether it happens in this run."""
    out = []
    for act in world.rounds[t].acts:
        if act.member not in (-1, i):
            continue
        text = ACT_TEXT[act.kind].format(
            m=world.members[act.member] if act.member >= 0 else "",
            c=world.candidates[act.candidate] if act.candidate >= 0 else "",
        )
        if act.uncertain >= 0:
            event_id, chance = world.uncertain[act.uncertain]
            happens = bool(state.happens[0, act.uncertain])
            text += f" ({event_id}, chance {chance:g}: {'happens' if happens else 'does not happen'} in this run)"
        out.append(text)
    return out


def _why(world: World, state, term: str, i: int, c: int, t: int, ties) -> str:
    setup, p = world.rounds[t], world.rounds[t].params
    salience = world.salience[i]
    if term in ("affinity", "grievance"):
        kind = "preference" if term == "affinity" else "grievance"
        weight = "w_pref" if term == "affinity" else "w_griev"
        parts = [
            f"{rule.id} {setup.values[rule.id]:+g} [{_cite(rule)}]"
            for rule in world.rules.values()
            if rule.kind == kind and rule.mask[i, c] and setup.values[rule.id]
        ]
        rules = "; ".join(parts) if parts else "no rule applies"
        return f"{weight} {getattr(p, weight):g} x salience {salience:g} x ({rules})"
    if term == "ties":
        signal = (state.stance[0] == c).astype(float) - state.objecting[0, :, c]
        contrib = p.w_ties * ties[i] * signal
        top = np.argsort(-np.abs(contrib), kind="stable")[:TOP_TIES]
        parts = []
        for j in top:
            if contrib[j] == 0:
                continue
            via = [r for r in world.rules.values() if r.kind == "tie" and r.mask[i, j]]
            why = ", ".join(f"{r.id} [{_cite(r)}]" for r in via)
            act = "backs" if signal[j] > 0 else "objects to"
            parts.append(f"{world.members[j]} {act} it {contrib[j]:+.3f} via {why}")
        rest = [j for j in np.flatnonzero(contrib) if j not in top]
        if rest:  # the parts then add up to the term (before any holdout leverage)
            parts.append(f"{len(rest)} other tied member{'s' * (len(rest) > 1)} "
                         f"{contrib[rest].sum():+.3f}")  # fmt: skip
        return "; ".join(parts) if parts else "no tied member backs or objects to it"
    if term == "leverage":
        lev = bool(leverage(state, world, t)[0, i, c]) if world.bargaining else False
        if not lev:
            return "no leverage (cannot block, or no objection or grievance against it)"
        return (
            f"holdout: positive pull of ties + bandwagon divided by 1 + leverage_gain "
            f"{p.leverage_gain:g} x pressure {deadline_pressure(world, t):.3f}"
        )
    if term == "bandwagon":
        share = support_shares(state.stance, world, setup.active, weighted=True)[0, c]
        return (
            f"w_band {p.w_band:g} x capability share backing it {share:.3f} x deadline "
            f"pressure {deadline_pressure(world, t):.3f} (deadline {setup.pressure_date.isoformat()}, "
            "rule: parameters.pressure_days [docs/ODD.md])"
        )
    if term == "concession":
        return _offers_text(world, state, i, c, p.w_conc)
    return f"noise {p.noise:g} x standard normal shock (seeded draw)"


def _offers_text(world: World, state, i: int, c: int, w_conc: float) -> str:
    """Every offer member i has had from candidate c's camp, as the term sums them: their
    count x size (or each size), rounds and dates."""
    n = int(state.offers[0])
    mine = np.flatnonzero((state.offer_to[0, :n] == i) & (state.offer_for[0, :n] == c))
    if not len(mine):
        return "no concession offered by this camp"
    sizes = state.offer_size[0, mine]
    when = ", ".join(f"round {int(r)} ({world.dates[int(r)].isoformat()})"
                     for r in state.offer_round[0, mine])  # fmt: skip
    k = len(mine)
    if np.all(sizes == sizes[0]):
        given = f"{k} offer{'s' * (k > 1)} x size {sizes[0]:.4g}"
    else:
        given = " + ".join(f"{v:.4g}" for v in sizes) + f" ({k} offers)"
    return f"w_conc {w_conc:g} x ({given}) made in {when}"


def _session_text(world: World, t: int, state) -> str:
    setup = world.rounds[t]
    ses = setup.session
    here = "no session this round" if ses is None else f"session {ses.name} ({ses.kind})"
    held = setup.formal
    if ses is not None and ses.uncertain >= 0:
        held = bool(state.happens[0, ses.uncertain])
        chance = world.uncertain[ses.uncertain][1]
        here += f", held on this date with chance {chance:g}: {'held' if held else 'not held'} in this run"
        if not held:
            here += " (no offers, no elimination)"
    if ses is not None and ses.convened:
        held = bool(session_held(state, ses)[0])
        notice = ses.notice
        r = int(state.ready_since[0])
        since = ("the rule not met after the last round" if r == NEVER
                 else f"the rule met since round {r} ({world.dates[r].isoformat()})")  # fmt: skip
        here += (f", convened once the rule has been met for {notice} days: {since}; "
                 f"{'held' if held else 'not held'} in this run")  # fmt: skip
        if not held:
            here += " (no offers, no elimination)"
    if ses is not None and ses.eliminate:
        named = f"each member's {ses.preferences} best" if ses.preferences else "backers"
        unit = "members" if ses.by_members else "capability"
        here += f"; {ses.eliminate} eliminated, fewest {named} by {unit}"
    rule = setup.decision
    tested = "decision rule tested" if held else "decision rule not tested"
    return f"{here}; {tested} ({rule.rule}); hard date {setup.deadline.isoformat()}"


def _cite(rule) -> str:
    parts = [f"source: {', '.join(rule.sources)}"] if rule.sources else []
    if rule.assumption:
        parts.append("assumption")
    return "; ".join(parts) or "uncited"


def _decision_rule_text(p) -> str:
    return (
        f"rules: declare when U >= {p.declare_threshold:g} and it leads the runner-up by "
        f">= {p.declare_margin:g}; switch when another leads by >= {p.switch_margin:g}; "
        f"object when U < {p.object_threshold:g}, lift when U >= {p.lift_threshold:g}"
    )


def _member(world: World, given: str) -> str:
    """The member's code from its code or name, in any case (`hu`, `Hungary` -> `HU`)."""
    if given in world.members:
        return given
    names = {m.code: m.name for m in world.scenario.members}
    found = [c for c in world.members if given.casefold() in (c.casefold(), names[c].casefold())]
    if len(found) == 1:
        return found[0]
    from sim.scenario.checks import nearest_id

    items = [{"code": m.code, "name": m.name} for m in world.scenario.members]
    near = nearest_id(given, items, "code")
    hint = f"did you mean `{near}`? " if near is not None else ""
    raise ExplainError(
        f"--member: unknown member {given!r} ({hint}one of {', '.join(world.members)})"
    )
