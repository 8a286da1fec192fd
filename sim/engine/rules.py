"""The rules of one round, as array functions over a leading replication axis.

Shapes: R replications, N members, C candidates. A member's stance is the index
of the candidate it supports, or UNDECIDED. Everything here is pure numpy: no
Mesa, no I/O, no random draws (each replication's shocks come from its own
generator, see `draw_events` and `draw_noise`), so that one Mesa model
(R = 1) and a batch of thousands run exactly the same rules.
"""

from dataclasses import dataclass, fields
from statistics import NormalDist

import numpy as np

from sim.engine.world import CAPABILITY_UNIT, TIE_UNIT, ByPoint, World, in_units

UNDECIDED = -1
NEVER = -1  # round marker for "has not happened"
NOT_APPOINTED = -1  # `appointed`: no candidate appointed (yet)
ROUND = np.int32  # round markers: 4 bytes, not 8, in the largest arrays
STANCE = np.int16  # candidate indices: compared many times a round, so kept small

# Why a candidate left the race (State.withdrawn_reason).
STAYED, TRAILING, STRATEGIC, ELIMINATED, EVENT = 0, 1, 2, 3, 4
WITHDRAWAL_REASONS = {TRAILING: "trailing", STRATEGIC: "strategic", ELIMINATED: "eliminated",
                      EVENT: "event"}  # fmt: skip
LEADING_CAMP = -1  # State.offer_by: the leading camp; a broker is its index in World.brokers


def noise_shape(world: World) -> tuple[int, int, int]:
    """(T, N, C + O): one shock per simulated round (1..T), member and candidate, and with
    bargaining one per member and offerer (the leading camp, then each broker)."""
    return (world.n_rounds, len(world.members), len(world.candidates) + world.offerers)


def draw_events(rng: np.random.Generator, world: World) -> np.ndarray:
    """(K,) one uniform per uncertain event, drawn from the replication's generator before
    any shock (so a scenario without uncertain events draws exactly what it drew before)."""
    return rng.random(len(world.uncertain)) if world.uncertain else np.zeros(0)


def draw_noise(rng: np.random.Generator, world: World) -> np.ndarray:
    """All of one replication's shocks, (T, N, C + O); row t-1 is round t.

    Drawing round by round from the same generator gives the same numbers, which is
    how a batch draws them (only for the rounds it plays). Call `draw_events` first.
    """
    return rng.standard_normal(noise_shape(world))


@dataclass(frozen=True)
class RoundConstants:
    """What round t's rules read that no replication changes, built once per world and
    round (`constants`) with the very expressions the rules used to evaluate each round.
    Those marked (C, 1, N) are laid out candidate-major, as `utility` builds its sum."""

    affinity: np.ndarray  # (C, 1, N) the affinity term, w_pref x salience x affinity
    grievance: np.ndarray  # (C, 1, N) the grievance term, -w_griev x salience x grievance
    pressure: float  # deadline_pressure(world, t)
    band: float  # w_band x pressure
    resist: float  # 1 - 1 / (1 + leverage_gain x pressure)
    tie_units_t: np.ndarray  # (N, N) the round's tie units / tie_step, transposed
    tie_scale: np.ndarray  # (C, 1, N) tie_step x w_ties / each member's tie total (0: silent)
    weight: np.ndarray  # (N,) capability units of the members present
    weight_total: float  # their sum (1 when nobody is present)
    heads: np.ndarray  # (N,) 1.0 for each member present
    heads_total: float
    blocker: np.ndarray  # (N,) can_block(t)
    blocker_grieved: np.ndarray  # (C, 1, N) can block and holds a grievance against c
    may_object: np.ndarray  # (N, C) present and not c's home state
    price: np.ndarray  # (N, C) price(world, t)
    major: np.ndarray  # (N,) the major powers present (see `_majors_back`)


def constants(world: World, t: int) -> RoundConstants:
    """Round t's `RoundConstants`, built on first use and kept with the world."""
    cache = world._rule_constants
    if t not in cache:
        cache[t] = _stacked_constants(world, t) if world.stack else _build_constants(world, t)
    return cache[t]


def per_rep(value, point: np.ndarray, ndim: int = 1):
    """`value` as each replication reads it: itself, or for a `ByPoint` (stacked points that
    differ) each replication's point's; a single value per replication comes as (R, 1, ...)
    to broadcast against arrays of `ndim` axes."""
    if not isinstance(value, ByPoint):
        return value
    out = value.values[point]
    return out.reshape(-1, *(1,) * (ndim - 1)) if out.ndim == 1 and ndim > 1 else out


def _point_values(value, points: int) -> np.ndarray:
    """(P,) a parameter's value at each stacked point (a `ByPoint`'s, or one repeated)."""
    return value.values if isinstance(value, ByPoint) else np.full(points, value)


def _at_points(value) -> np.ndarray:
    """(P,) a parameter's value at each stacked point, or (1,) where they share it."""
    return value.values if isinstance(value, ByPoint) else np.full(1, value)


def _build_constants(world: World, t: int) -> RoundConstants:
    p, active = world.rounds[t].params, world.rounds[t].active
    affinity, grievance, _ = world.matrices(t)
    units, totals = world.tie_units(t)
    pressure = deadline_pressure(world, t)
    weight, heads = world.capability_units * active, active.astype(float)
    blocker = world.can_block(t)
    cap = np.where(active, world.capability, 0.0)
    scale = np.divide(p.w_ties, totals, out=np.zeros_like(totals), where=totals > 0)
    units_t, step = _small_units(units.T)
    c = len(world.candidates)
    return RoundConstants(
        affinity=_candidate_major(p.w_pref * world.salience[:, None] * affinity),
        grievance=_candidate_major(-p.w_griev * world.salience[:, None] * grievance),
        pressure=pressure,
        band=p.w_band * pressure,
        resist=1.0 - 1.0 / (1.0 + p.leverage_gain * pressure),
        tie_units_t=units_t,
        tie_scale=_candidate_major(np.repeat(step * scale[:, None], c, axis=1)),
        weight=weight,
        weight_total=_total(weight),
        heads=heads,
        heads_total=_total(heads),
        blocker=blocker,
        blocker_grieved=_candidate_major(blocker[:, None] & (grievance > 0)),
        may_object=active[:, None] & ~world.home_mask,
        price=price(world, t),
        major=active & (cap >= p.major_capability * cap.max()),
    )


def _candidate_major(values: np.ndarray) -> np.ndarray:
    """(C, 1, N) contiguous from (N, C): to broadcast over a candidate-major (C, R, N) sum."""
    return np.ascontiguousarray(values.T[:, None, :])


def _small_units(units_t: np.ndarray) -> tuple[np.ndarray, float]:
    """(N, N) the tie units divided by the largest power of two `step` that divides them all,
    as float32 when every sum of signals (+-1) times them stays below 2**24, and `step`.

    A float32 product of whole numbers below 2**24 is exact in any order, as the float64
    product of the units was, and scaling by a power of two is exact: the same signal,
    bit for bit, at half the memory traffic and twice the speed of the float64 product."""
    whole = units_t.astype(np.int64)
    lowest = whole & -whole  # the lowest set bit of each unit (0 for no tie)
    step = float(lowest[lowest > 0].min()) if (lowest > 0).any() else 1.0
    small = units_t / step
    # Below about 64 members the float64 product is as fast (measured).
    if len(small) >= 64 and np.abs(small).sum(axis=0).max(initial=0.0) < 2.0**24:
        return np.ascontiguousarray(small, dtype=np.float32), step
    return np.ascontiguousarray(units_t), 1.0


def _stacked_constants(world: World, t: int) -> RoundConstants:
    """`_build_constants` for every point of a stacked world at once: the same expressions,
    element by element, with a leading point axis (P, ...), so each point's values are
    exactly those its own world builds (a test holds them equal). An input the points share
    (a parameter, the rule values, capability, salience) has a leading axis of 1 and is
    broadcast, so what they share is built once. What the points share is kept as one
    value; what differs becomes a `ByPoint`."""
    points, setup = world.stack, world.rounds[t]
    p, active = setup.params, setup.active
    n, c = len(world.members), len(world.candidates)

    def each(name: str) -> np.ndarray:  # (P or 1, 1, 1): a parameter at each point
        return _at_points(getattr(p, name))[:, None, None]

    def of_points(value) -> np.ndarray:  # (P or 1, ...) an array of each point's world
        return value.values if isinstance(value, ByPoint) else value[None]

    # World._build_matrices and tie_units, per point (once if the points share rule values)
    values = [w.rounds[t].values for w in points]
    if all(v is values[0] or v == values[0] for v in values):
        values = values[:1]
    count = len(values)
    affinity, grievance, ties = (
        np.zeros((count, n, c)),
        np.zeros((count, n, c)),
        np.zeros((count, n, n)),
    )
    for rule in points[0].rules.values():
        target = {"preference": affinity, "grievance": grievance, "tie": ties}[rule.kind]
        value = np.array([v[rule.id] for v in values])
        target += value[:, None, None] * rule.mask
    units = in_units(ties, TIE_UNIT) * active[None, :] * (1 - np.eye(n))
    totals = units.sum(axis=2)  # whole units: exact in any order
    timed = points if isinstance(p.pressure_days, ByPoint) else points[:1]
    pressure = np.array([deadline_pressure(w, t) for w in timed])
    capability = of_points(world.capability)
    salience = of_points(world.salience)[:, :, None]
    weight, heads = in_units(capability, CAPABILITY_UNIT) * active, active.astype(float)
    weight_total = weight.sum(axis=1)
    blocker = world.can_block(t)
    cap = np.where(active, capability, 0.0)
    w_ties = each("w_ties")[:, :, 0]
    scale = np.divide(w_ties, totals, out=np.zeros(np.broadcast_shapes(w_ties.shape,
                      totals.shape)), where=totals > 0)  # fmt: skip
    price = (
        each("price_base")
        + each("price_grievance") * salience * grievance
        + each("price_leverage") * blocker.astype(float)[:, None]
    )
    leverage_gain, w_band = (_at_points(getattr(p, k)) for k in ("leverage_gain", "w_band"))
    major_share = _at_points(p.major_capability)[:, None]

    def by_candidate(values: np.ndarray) -> np.ndarray:  # (P, C, 1, N) from (P, N, C)
        return np.ascontiguousarray(values.transpose(0, 2, 1)[:, :, None, :])

    # Tie units stay float64 (step 1): a product of whole units times step x scale, with a
    # power-of-two step, is the product of units / step times that, bit for bit.
    per_point = {
        "affinity": by_candidate(each("w_pref") * salience * affinity),
        "grievance": by_candidate(-each("w_griev") * salience * grievance),
        "pressure": pressure,
        "band": w_band * pressure,
        "resist": 1.0 - 1.0 / (1.0 + leverage_gain * pressure),
        "tie_units_t": np.ascontiguousarray(units.transpose(0, 2, 1)),
        "tie_scale": by_candidate(np.repeat(1.0 * scale[:, :, None], c, axis=2)),
        "weight": weight,
        "weight_total": np.where(weight_total > 0, weight_total, 1.0),
        "blocker_grieved": by_candidate(blocker[None, :, None] & (grievance > 0)),
        "price": price,
        "major": active & (cap >= major_share * cap.max(axis=1, keepdims=True)),
    }
    shared = {name: (v[0] if len(v) == 1 or (v == v[0]).all() else ByPoint(v))
              for name, v in per_point.items()}  # fmt: skip
    return RoundConstants(
        **shared,
        heads=heads,
        heads_total=_total(heads),
        blocker=blocker,
        may_object=active[:, None] & ~world.home_mask,
    )


def _total(weight: np.ndarray) -> float:
    total = weight.sum()
    return total if total > 0 else 1.0


@dataclass
class State:
    """The position of R replications after some round."""

    stance: np.ndarray  # (R, N) candidate index or UNDECIDED
    since: np.ndarray  # (R, N) round the current stance was taken
    objecting: np.ndarray  # (R, N, C) bool
    first_declared: np.ndarray  # (R, N, C) round of first declaration, NEVER if none
    concession: np.ndarray  # (R, N, C) utility offered to member by candidate's camp
    conceded_round: np.ndarray  # (R, N, C) round of the last offer, NEVER if none
    in_race: np.ndarray  # (R, C) bool
    withdrawn_round: np.ndarray  # (R, C)
    trailing: np.ndarray  # (R, C) consecutive rounds far behind the leader
    appointed: np.ndarray  # (R,) candidate index, NOT_APPOINTED while open
    appointed_round: np.ndarray  # (R,)
    held: np.ndarray  # (R, N, C) bool: standing objections (`objects:`, `object` events)
    withdrawn_reason: np.ndarray  # (R, C) int8: STAYED, TRAILING, STRATEGIC, ELIMINATED, EVENT
    happens: np.ndarray  # (R, K) bool: uncertain event k happens in this replication
    spent: np.ndarray  # (R, O) concession utility each offerer has given (O >= 1)
    offers: np.ndarray  # (R,) number of offers logged
    offer_round: np.ndarray  # (R, M) round of each offer, NEVER past `offers`
    offer_by: np.ndarray  # (R, M) LEADING_CAMP or broker index
    offer_to: np.ndarray  # (R, M) member index, -1 past `offers`
    offer_for: np.ndarray  # (R, M) candidate index, -1 past `offers`
    offer_size: np.ndarray  # (R, M) utility offered
    approval: np.ndarray  # (R, N, C) int8: +1 encourage, -1 discourage, 0 no opinion
    approval_round: np.ndarray  # (R,) round of the last approval session, NEVER if none
    point: np.ndarray  # (R,) index of the replication's point in `World.stack` (0: one point)
    # (R,) the round since whose end the decision rule has been met at the end of every
    # round, NEVER while it is not (tracked only for sessions convened once it is met)
    ready_since: np.ndarray

    def copy(self, but: tuple[str, ...] = ()) -> "State":
        """A new state with copies of every field; the `but` fields share this one's arrays."""
        return State(**{f.name: getattr(self, f.name) if f.name in but else
                        getattr(self, f.name).copy() for f in fields(self)})  # fmt: skip

    @staticmethod
    def joined(parts: list["State"]) -> "State":
        """The replications of `parts`, one after the other."""
        return State(
            **{f.name: np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(State)}
        )

    def take(self, rows: np.ndarray) -> "State":
        """A new state of the given replications only (`rows`: indices or a mask)."""
        rows = np.asarray(rows)
        if rows.dtype == bool:
            rows = np.flatnonzero(rows)
        # np.take along the first axis copies whole rows, several times faster than a[rows]
        return State(**{f.name: np.take(getattr(self, f.name), rows, axis=0) for f in fields(self)})

    def put(self, rows: np.ndarray, part: "State", fresh: tuple[str, ...] = ()) -> "State":
        """This state with `rows` replaced by `part`; the `fresh` fields are new arrays, the
        others are updated in place."""
        merged = {}
        for f in fields(self):
            whole = getattr(self, f.name)
            whole = whole.copy() if f.name in fresh else whole
            whole[rows] = getattr(part, f.name)
            merged[f.name] = whole
        return State(**merged)

    def put_only(self, rows: np.ndarray, part: "State", names: tuple[str, ...]) -> "State":
        """This state with `rows` of the `names` fields replaced by `part`'s, in new arrays;
        the other fields are this state's own arrays, left as they are."""
        merged = {f.name: getattr(self, f.name) for f in fields(self)}
        for name in names:
            merged[name] = merged[name].copy()
            merged[name][rows] = getattr(part, name)
        return State(**merged)

    def write(self, rows: np.ndarray, part: "State", but: tuple[str, ...] = ()) -> None:
        """Replace `rows` of every field but `but` by `part`'s, in place."""
        for f in fields(self):
            if f.name not in but:
                getattr(self, f.name)[rows] = getattr(part, f.name)

    @property
    def open(self) -> np.ndarray:
        """(R,) replications still without an appointment."""
        return self.appointed == NOT_APPOINTED


def initial_state(
    world: World, reps: int, draws: np.ndarray | None = None, points: np.ndarray | None = None
) -> State:
    """Round 0: declared positions and objections from the scenario, home states behind
    their candidates. `draws` (reps, K) are the uncertain events' uniforms (`draw_events`);
    `points` (reps,) each replication's point in a stacked world (`World.stack`)."""
    n, c = len(world.members), len(world.candidates)
    k, m, o = len(world.uncertain), world.max_offers, max(world.offerers, 1)
    draws = np.ones((reps, k)) if draws is None else np.asarray(draws).reshape(reps, k)
    chance = np.array([q for _, q in world.uncertain], dtype=float)
    in_race = np.broadcast_to(world.in_race0, (reps, c)).copy()
    active = world.rounds[0].active
    stance = np.where(active, world.initial, UNDECIDED).astype(STANCE)
    stance = np.broadcast_to(stance, (reps, n)).copy()
    state = State(
        stance=stance,
        since=np.zeros((reps, n), dtype=ROUND),
        objecting=np.zeros((reps, n, c), dtype=bool),
        first_declared=np.full((reps, n, c), NEVER, dtype=ROUND),
        concession=np.zeros((reps, n, c)),
        conceded_round=np.full((reps, n, c), NEVER, dtype=ROUND),
        in_race=in_race,
        withdrawn_round=np.full((reps, c), NEVER, dtype=np.int64),
        trailing=np.zeros((reps, c), dtype=np.int64),
        appointed=np.full(reps, NOT_APPOINTED, dtype=np.int64),
        appointed_round=np.full(reps, NEVER, dtype=np.int64),
        held=np.broadcast_to(world.objects0, (reps, n, c)).copy(),
        withdrawn_reason=np.zeros((reps, c), dtype=np.int8),
        happens=draws < chance[None, :],
        spent=np.zeros((reps, o)),
        offers=np.zeros(reps, dtype=np.int64),
        offer_round=np.full((reps, m), NEVER, dtype=ROUND),
        offer_by=np.full((reps, m), LEADING_CAMP, dtype=np.int16),
        offer_to=np.full((reps, m), -1, dtype=np.int16),
        offer_for=np.full((reps, m), -1, dtype=np.int16),
        offer_size=np.zeros((reps, m)),
        approval=np.zeros((reps, n, c), dtype=np.int8),
        approval_round=np.full(reps, NEVER, dtype=np.int64),
        point=np.zeros(reps, np.intp) if points is None else np.array(points, np.intp),
        ready_since=np.full(reps, NEVER, dtype=np.int64),
    )
    _dated_race_changes(state, world, 0)
    _home_states_back_their_candidates(state, world, active, 0)
    backs = backing(state.stance, c)
    allowed = _may_object(state, world, active, backs)
    state.held &= allowed
    state.objecting = state.held.copy()
    _record_first_declarations(state, 0, backs)
    _track_readiness(state, world, 0)
    return state


def support_shares(
    stance: np.ndarray, world: World, active: np.ndarray, weighted: bool
) -> np.ndarray:
    """(R, C) share of the members present backing each candidate (by capability or heads).

    Sums whole capability units (or heads), which are exact in any order, and divides once:
    a replication's shares do not depend on the other rows of the product.
    """
    weight = world.capability_units * active if weighted else active.astype(float)
    return _shares(stance, weight, _total(weight), len(world.candidates))


def _shares(stance: np.ndarray, weight: np.ndarray, total: float, c: int) -> np.ndarray:
    """(R, C) `support_shares` from the members' weights and their total."""
    out = np.empty((len(stance), c))
    for k in range(c):
        if weight.ndim == 1:
            np.divide((stance == k) @ weight, total, out=out[:, k])
        else:  # (R, N) weights of stacked points: whole units, exact in any order too
            np.divide(((stance == k) * weight).sum(axis=1), total, out=out[:, k])
    return out


def _weights(state: State, world: World, t: int, weighted: bool):
    """Members' weights in round t (capability units, or heads) and their total, as in
    `support_shares`: (N,) and a float, or (R, N) and (R,) where stacked points differ."""
    k = constants(world, t)
    if not weighted:
        return k.heads, k.heads_total
    return per_rep(k.weight, state.point), per_rep(k.weight_total, state.point)


def _flag_shares(flags: np.ndarray, weight: np.ndarray, total) -> np.ndarray:
    """(R, C) `flag_shares` from the members' weights and their total (see `_weights`)."""
    if weight.ndim == 1:
        return np.stack([(flags[:, :, c] @ weight) / total for c in range(flags.shape[2])], 1)
    return np.stack([(flags[:, :, c] * weight).sum(axis=1) / total
                     for c in range(flags.shape[2])], axis=1)  # fmt: skip


def flag_shares(flags: np.ndarray, world: World, active: np.ndarray, weighted: bool):
    """(R, C) share of the members present raising a flag (R, N, C), e.g. an encourage."""
    weight = world.capability_units * active if weighted else active.astype(float)
    total = weight.sum()
    total = total if total > 0 else 1.0
    return np.stack([(flags[:, :, c] @ weight) / total for c in range(flags.shape[2])], axis=1)


def deadline_pressure(world: World, t: int) -> float:
    """Bandwagon pressure in (0, 1]: 1/2 at `pressure_days` before the deadline, 1 at it.

    The deadline is the last formal session on or before the hard date (the hard date
    itself without sessions)."""
    setup = world.rounds[t]
    days_left = max((setup.pressure_date - world.dates[t]).days, 0)
    return 1.0 / (1.0 + days_left / setup.params.pressure_days)


def leverage(state: State, world: World, t: int) -> np.ndarray:
    """(R, N, C) bool: the member can block (7.9) and objects to c or holds a grievance."""
    _, grievance, _ = world.matrices(t)
    blocker = world.can_block(t)[None, :, None]
    return blocker & (state.objecting | (grievance > 0)[None])


def price(world: World, t: int) -> np.ndarray:
    """(N, C) concessions a holdout needs from c's camp before it lifts a standing objection:
    price_base + price_grievance x salience x grievance + price_leverage x [can block]."""
    p = world.rounds[t].params
    _, grievance, _ = world.matrices(t)
    blocker = world.can_block(t).astype(float)[:, None]
    return (
        p.price_base
        + p.price_grievance * world.salience[:, None] * grievance
        + p.price_leverage * blocker
    )


def utility_terms(state: State, world: World, t: int, eps: np.ndarray) -> dict[str, np.ndarray]:
    """Each term of U[r, i, c] for round t, read from the previous round's state."""
    p = world.rounds[t].params
    active = world.rounds[t].active
    affinity, grievance, _ = world.matrices(t)
    momentum = support_shares(state.stance, world, active, weighted=True)
    n, c = len(world.members), len(world.candidates)
    if eps.shape[2] != c:  # the offer shocks are not part of utility
        eps = eps[:, :, :c]
    pressure = deadline_pressure(world, t)
    ties = _listen(*world.tie_units(t), p.w_ties, state)
    band = _for_every_member(p.w_band * pressure * momentum, n).transpose(1, 2, 0)
    terms = {
        "affinity": np.broadcast_to(p.w_pref * world.salience[:, None] * affinity, eps.shape),
        "ties": ties,
        "bandwagon": band,
        "grievance": np.broadcast_to(-p.w_griev * world.salience[:, None] * grievance, eps.shape),
        "concession": p.w_conc * state.concession,
        "noise": p.noise * eps,
    }
    # A holdout with leverage resists the pull of peers and momentum more as the deadline
    # nears: the positive part of that pull is divided by 1 + leverage_gain x pressure.
    resist = 1.0 - 1.0 / (1.0 + p.leverage_gain * pressure)
    if world.bargaining and resist > 0:
        pull = np.maximum(ties + band, 0.0)
        terms["leverage"] = np.where(leverage(state, world, t), -resist * pull, 0.0)
    return terms


def utility(state: State, world: World, t: int, eps: np.ndarray) -> np.ndarray:
    """(R, N, C) `total_utility(utility_terms(...))`, bit for bit, with fewer passes: the
    round's constants are built once, the terms are added in the same order into one
    array, and no term is written out that can be added in place. `eps` is the round's
    utility shocks, (R, N, C).

    The sum is built candidate-major, (C, R, N) in memory, and returned as an (R, N, C)
    view: each candidate's slice is then contiguous, which numpy walks three to four
    times faster than a strided one (`_top_two` reads them one by one)."""
    k, p = constants(world, t), world.rounds[t].params
    n, c = len(world.members), len(world.candidates)
    pt = state.point
    weight, weight_total = per_rep(k.weight, pt), per_rep(k.weight_total, pt)
    momentum = _shares(state.stance, weight, weight_total, c)
    pulled = per_rep(k.band, pt, 2) * momentum  # (R, C): the same for every member
    ties = _tie_signal(k, state)
    pull, resisting, band = None, None, None
    stacked = isinstance(k.resist, ByPoint)
    if world.bargaining and ((k.resist.values > 0).any() if stacked else k.resist > 0):
        band = _for_every_member(pulled, n)
        resist = per_rep(k.resist, pt, 2)  # (R, 1) against (C, R, N)
        resisting = resist > 0 if stacked else None  # rows whose point has no resistance
        pull = np.add(ties, band)
        np.maximum(pull, 0.0, out=pull)
        pull *= -resist
        calm = np.empty(pull.shape, dtype=bool)  # leverage(), then negated
        np.logical_and(state.objecting.transpose(2, 0, 1), k.blocker, out=calm)
        calm |= _candidate_rows(k.blocker_grieved, pt)
        np.logical_not(calm, out=calm)
        np.copyto(pull, 0.0, where=calm)
    total = ties  # affinity + ties, as ties + affinity (addition commutes exactly)
    total += _candidate_rows(k.affinity, pt)
    if band is not None:
        total += band
    else:  # the bandwagon added a candidate at a time, without writing it out for members
        for k_ in range(c):
            total[k_] += pulled[:, k_, None]
        band = np.empty(total.shape)  # room for the terms below
    total += _candidate_rows(k.grievance, pt)
    term = np.multiply(state.concession.transpose(2, 0, 1), per_rep(p.w_conc, pt, 2), out=band)
    total += term
    total += np.multiply(eps.transpose(2, 0, 1), per_rep(p.noise, pt, 2), out=term)
    if pull is not None and resisting is None:
        total += pull
    elif pull is not None:  # a point without resistance adds nothing, as it does alone
        np.add(total, pull, out=total, where=resisting)
    return total.transpose(1, 2, 0)


def _candidate_rows(value, point: np.ndarray):
    """A candidate-major constant (C, 1, N) as it is, or a `ByPoint` (P, C, 1, N) as each
    replication's point's, (C, R, N)."""
    if not isinstance(value, ByPoint):
        return value
    return np.ascontiguousarray(value.values[point][:, :, 0, :].transpose(1, 0, 2))


def _tie_signal(k: RoundConstants, state: State) -> np.ndarray:
    """(C, R, N) `_listen` from the round's constants, candidate-major."""
    r, n, c = state.objecting.shape
    out = np.empty((c, r, n))
    units = per_rep(k.tie_units_t, state.point)  # (N, N), or (R, N, N) stacked
    # The signals +1/0/-1 as int8 (a bool subtraction cast to float is several times
    # slower), made float once for all candidates.
    small = np.empty((c, r, n), dtype=np.int8)
    for k_ in range(c):
        np.subtract(state.stance == k_, state.objecting[:, :, k_], out=small[k_], dtype=np.int8)
    signal = small.astype(units.dtype)
    if units.ndim == 3:  # each replication its own point's ties: whole units, exact
        for k_ in range(c):
            out[k_] = np.matmul(signal[k_][:, None, :], units)[:, 0, :]
    elif units.dtype == out.dtype:  # one product for every candidate: whole units, exact
        np.matmul(signal.reshape(c * r, n), units, out=out.reshape(c * r, n))
    else:
        out.reshape(c * r, n)[...] = signal.reshape(c * r, n) @ units
    out *= _candidate_rows(k.tie_scale, state.point)
    return out


def _for_every_member(values: np.ndarray, n: int) -> np.ndarray:
    """(C, R, N) from (R, C): the same value for every member, candidate-major (adding a
    broadcast (R, 1, C) view costs three times as much)."""
    out = np.empty((values.shape[1], values.shape[0], n))
    for c in range(values.shape[1]):
        out[c] = values[:, c, None]
    return out


def total_utility(terms: dict[str, np.ndarray]) -> np.ndarray:
    """The terms added in their order, as `sum(terms.values())` would, into one array."""
    first, second, *rest = terms.values()
    total = first + second  # as 0 + first + second, without the copy
    for term in rest:
        total += term
    return total


def _listen(units: np.ndarray, totals: np.ndarray, weight: float, state: State) -> np.ndarray:
    """weight * sum_j ties[i, j] * signal[r, j, c]: +1 where j backs c, -1 where j objects.

    One matrix product per candidate over all replications, of whole tie units (exact in
    any order), then scaled by weight / each member's total: independent of batch shape.
    """
    out = np.empty(state.objecting.shape)
    scale = np.divide(weight, totals, out=np.zeros_like(totals), where=totals > 0)
    units_t = units.T
    for c in range(out.shape[2]):
        signal = np.subtract(state.stance == c, state.objecting[:, :, c], dtype=float)
        np.matmul(signal, units_t, out=out[:, :, c])
    out *= scale[None, :, None]
    return out


def backing(stance: np.ndarray, c: int) -> np.ndarray:
    """(R, N, C) bool: member backs candidate (a loop: numpy broadcasts a short axis slowly)."""
    out = np.empty((*stance.shape, c), dtype=bool)
    for k in range(c):
        np.equal(stance, k, out=out[:, :, k])
    return out


def split_shocks(eps, c: int) -> tuple[np.ndarray, np.ndarray]:
    """A round's utility shocks (R, N, C) and offer shocks (R, N, O), from one (R, N, C + O)
    array (`draw_noise`) or from such a pair (`Shocks.draw`, already split)."""
    if isinstance(eps, tuple):
        return eps
    return eps[:, :, :c], eps[:, :, c:]


# Fields that a round never writes in place: it replaces them with new arrays (`np.where`),
# or leaves them. `step` shares them with the previous state rather than copying them.
REPLACED_IN_STEP = ("appointed", "appointed_round", "approval", "approval_round", "happens",
                    "point", "first_declared", "ready_since")  # fmt: skip


# Fields a round reads from the previous state after it has begun writing the new one
# (stances and objections, for utility) or that History keeps round by round (these and
# the race): copied by `step` even when it may reuse the previous state's arrays.
KEPT_BY_STEP = ("stance", "objecting", "in_race")
REUSED_IN_STEP = tuple(f.name for f in fields(State) if f.name not in KEPT_BY_STEP)


def step(state: State, world: World, t: int, eps, reuse: bool = False) -> State:
    """Play round t for every open replication; `eps` is that round's noise, (R, N, C + O),
    or that split in two (`split_shocks`). With `reuse`, the caller gives up `state`: the
    new state may write the fields outside `KEPT_BY_STEP` in `state`'s own arrays."""
    eps = split_shocks(eps, len(world.candidates))
    closed = ~state.open
    reuse = reuse and not closed.any()  # (appointed rows get their old values back below)
    new = state.copy(but=REUSED_IN_STEP if reuse else REPLACED_IN_STEP)
    _dated_race_changes(new, world, t)
    u = utility(state, world, t, eps[0])
    _decide(new, state, world, t, u, in_place=reuse)
    shares = _withdrawals(new, world, t, u)
    _approval(new, world, t, u)
    met = _apply_decision_rule(new, world, t)  # changes neither stances nor the race
    _concessions(new, world, t, shares, eps[1])  # nor do offers (they count next round)
    _track_readiness(new, world, t, met)
    # An appointed replication is over: it keeps the position it had when appointed.
    if closed.any():
        for f in fields(State):
            mine, was = getattr(new, f.name), getattr(state, f.name)
            if mine is not was:  # a shared array holds the old values already
                mine[closed] = was[closed]
    return new


def _dated_race_changes(state: State, world: World, t: int) -> None:
    """This round's state events in date order (an uncertain one only where it happens),
    then members not (yet) in the organisation lose any stance and objection."""
    setup = world.rounds[t]
    everyone = np.ones(len(state.appointed), dtype=bool)
    for act in setup.acts:
        where = everyone if act.uncertain < 0 else state.happens[:, act.uncertain]
        i, c = act.member, act.candidate
        match act.kind:
            case "enter":
                state.in_race[where, c] = state.withdrawn_round[where, c] == NEVER
            case "withdraw":
                _withdraw(state, world, where, c, t, EVENT)
            case "declare":
                ok = where & state.in_race[:, c] & setup.active[i]
                state.since[ok & (state.stance[:, i] != c), i] = t
                state.stance[ok, i] = c
                state.held[ok, i, c] = False
                state.objecting[ok, i, c] = False
            case "object":
                ok = where & setup.active[i] & ~world.home_mask[i, c]
                state.held[ok, i, c] = True
                drops = ok & (state.stance[:, i] == c)
                state.stance[drops, i] = UNDECIDED
                state.since[drops, i] = t
            case "lift":
                state.held[where, i, c] = False
                state.objecting[where, i, c] = False
            case "abstain" | "reset":
                drops = where & (state.stance[:, i] != UNDECIDED)
                state.stance[drops, i] = UNDECIDED
                state.since[drops, i] = t
                if act.kind == "reset":
                    state.held[where, i, :] = False
                    state.objecting[where, i, :] = False
    gone = ~setup.active
    state.stance[:, gone] = UNDECIDED
    state.objecting[:, gone, :] = False


def _may_object(state: State, world: World, active: np.ndarray, backs: np.ndarray):
    """(R, N, C) where a member may object: present, not backing it, not its home, running."""
    allowed = ~backs & (active[:, None] & ~world.home_mask)[None]
    _only_running(allowed, state.in_race)
    return allowed


def _only_running(flags: np.ndarray, in_race: np.ndarray) -> None:
    """Clear the flags (R, N, C) of candidates out of the race (R, C), in place.

    Only the replications where some candidate is out are touched, or, where those are
    many, one candidate's slice at a time: broadcasting the race over members is slow."""
    out = np.flatnonzero(~_all_running(in_race))
    if not len(out):
        return
    if 4 * len(out) <= len(in_race):
        flags[out] &= in_race[out, None, :]
        return
    for c in np.flatnonzero(~in_race.all(axis=0)):
        flags[:, :, c] &= in_race[:, c, None]


def _decide(
    new: State, old: State, world: World, t: int, utility: np.ndarray, in_place: bool = False
) -> None:
    """Declare, switch, object and lift objections, all from last round's utilities
    (`in_place`: `new` may write every field in place, see `step`'s reuse)."""
    p = world.rounds[t].params
    active = world.rounds[t].active
    c = utility.shape[2]
    stance = new.stance
    undecided = stance == UNDECIDED
    # A standing objection set this round bars declaring for that candidate at once.
    barred = old.objecting | new.held if world.may_hold_out else old.objecting
    best, u_best, u_second, current, objects_best = _top_two(utility, new.in_race, stance, barred)
    pt = new.point
    strong = (u_best >= per_rep(p.declare_threshold, pt, 2)) & ~objects_best
    with np.errstate(invalid="ignore"):  # nobody in the race: -inf - -inf, never declares
        declare = undecided & strong & (u_best - u_second >= per_rep(p.declare_margin, pt, 2))
    switch = ~undecided & strong & (best != stance)
    switch &= u_best - current >= per_rep(p.switch_margin, pt, 2)
    move = (declare | switch) & active[None, :] & _any_running(new.in_race)[:, None]
    # Few members move in a round: write them in place (the new state's own stances; its
    # `since` is a copy, or the previous state's that `step` may reuse).
    moves = np.flatnonzero(move)
    np.put(new.stance, moves, np.take(best, moves))
    np.put(new.since, moves, t)
    _home_states_back_their_candidates(new, world, active, t)

    # Objections: a threat to block, with hysteresis between objecting and lifting.
    # (utility < lift_threshold where it objected last round, < object_threshold elsewhere)
    objecting = _below(utility, per_rep(p.object_threshold, pt, 2), old.objecting,
                       per_rep(p.lift_threshold, pt, 2))  # fmt: skip
    backs = backing(new.stance, c)
    k = constants(world, t)
    allowed = ~backs & k.may_object  # as `_may_object`
    _only_running(allowed, new.in_race)
    if world.may_hold_out:
        # A standing objection is lifted once the concessions received reach the price.
        new.held &= allowed & (new.concession < per_rep(k.price, pt))
        objecting |= new.held
    new.objecting = objecting & allowed
    _record_first_declarations(new, t, backs, in_place)


def _below(utility: np.ndarray, threshold, was: np.ndarray, lift) -> np.ndarray:
    """(R, N, C) utility < lift where `was` holds, < threshold elsewhere (each a float, or
    (R, 1) per replication of stacked points: where the two are equal both tests agree).

    Compared one candidate at a time on `utility`'s contiguous slices (`utility`), and
    combined with logic rather than `np.where`, whose mask changes at random."""
    out = np.empty(was.shape, dtype=bool)
    if np.ndim(lift) == 0 and np.ndim(threshold) == 0:
        # One threshold each: below the lower one, or below the higher one where the
        # hysteresis applies it (objected last round if lift is higher, else not).
        low, high = min(threshold, lift), max(threshold, lift)
        below, between = np.empty(was.shape[:2], bool), np.empty(was.shape[:2], bool)
        for k in range(out.shape[2]):
            x = utility[:, :, k]
            np.less(x, low, out=below)
            if low != high:
                np.less(x, high, out=between)
                if threshold <= lift:
                    between &= was[:, :, k]
                else:
                    between &= ~was[:, :, k]
                below |= between
            out[:, :, k] = below
        return out
    for k in range(out.shape[2]):
        x = utility[:, :, k]
        w = was[:, :, k]
        out[:, :, k] = (w & (x < lift)) | (~w & (x < threshold))
    return out


def _top_two(utility: np.ndarray, in_race: np.ndarray, stance: np.ndarray, barred: np.ndarray):
    """Per (replication, member), among the candidates in the race: the best (the first of
    equals), its utility, the runner-up's utility, the utility of the current stance (0 when
    undecided), and whether the member is barred from the best (it objected last round).

    A loop over the few candidates, in place: numpy reduces a short last axis slowly. The
    best so far is updated by arithmetic, not by a copy masked with `better`: a mask that
    changes at random from element to element makes numpy's masked copy tens of times
    slower than a plain pass.
    """
    shape = stance.shape
    best_i, second = np.zeros(shape, dtype=STANCE), None
    lower, better, step = np.empty(shape), np.empty(shape, dtype=bool), np.empty(shape, STANCE)
    for k in range(utility.shape[2]):
        x = utility[:, :, k]
        gone = np.flatnonzero(~in_race[:, k])  # -inf in the replications it left
        if len(gone):
            x = x.copy()
            x[gone] = -np.inf
        if k == 0:  # against -inf: the runner-up stays -inf, the best is x
            current = np.where(stance == 0, x, 0.0)  # twice as fast as a masked copyto
            best_v, objects_best = x.copy(), barred[:, :, 0].copy()
            continue
        current = np.where(stance == k, x, current)
        np.greater(x, best_v, out=better)
        # The runner-up is the best of the old runner-up and the lower of (best, x) (the
        # lower itself against the first runner-up, -inf).
        if second is None:
            second = np.minimum(best_v, x)
        else:
            np.maximum(second, np.minimum(best_v, x, out=lower), out=second)
        np.maximum(best_v, x, out=best_v)
        # best_i < k here, so where(better, k, best_i) is max(best_i, better x k).
        np.multiply(better, STANCE(k), out=step)
        np.maximum(best_i, step, out=best_i)
        objects_best &= ~better
        objects_best |= barred[:, :, k] & better
    if second is None:
        second = np.full(shape, -np.inf)
    return best_i, best_v, second, current, objects_best


def _home_states_back_their_candidates(state: State, world: World, active, t: int) -> None:
    """A home state backs its candidate while it runs, unless another candidate of the same
    home also runs (then the home state chooses among them like any member)."""
    for c, i in enumerate(world.home):
        if i < 0 or not active[i]:
            continue
        running = state.in_race[:, c].copy()
        for other in world.home_siblings[c]:
            running &= ~state.in_race[:, other]
        turns = np.flatnonzero(running & (state.stance[:, i] != c))  # (where it does not yet)
        state.since[turns, i] = t
        state.stance[turns, i] = c


def _record_first_declarations(state: State, t: int, backs: np.ndarray, in_place=False) -> None:
    """Mark round t where a member backs a candidate (`backs`, (R, N, C)) for the first time;
    `in_place` where the state's array may be written (else a new one, `REPLACED_IN_STEP`)."""
    first = state.first_declared
    new = backs & (first == NEVER)
    if in_place:  # the few new declarations at their flat indices
        np.put(first, np.flatnonzero(new), t)
    else:  # np.where is twice as fast as a masked copy here
        state.first_declared = np.where(new, first.dtype.type(t), first)


def _withdrawals(state: State, world: World, t: int, utility: np.ndarray) -> np.ndarray:
    """Trailing (optional), strategic and scheduled withdrawals, in that order.

    Returns the race shares (see `_race_shares`) as they stand afterwards.
    """
    p = world.rounds[t].params
    shares = _race_shares(state, world, t)
    leader, lead = _leader(shares)
    running = state.in_race.copy()  # the race as it stood, to find where it changed
    c_count = len(world.candidates)
    contested = _count_running(state.in_race) > 1
    rival = (
        state.in_race
        & contested[:, None]
        & (np.arange(c_count)[None, :] != leader[:, None])
        & state.open[:, None]
    )
    withdrew = False
    blocked = None
    pt = state.point
    patience = per_rep(p.withdraw_patience, pt)  # stacked: (R,), 0 where a point has none
    if np.any(patience > 0):  # the fixed trailing count (7.7)
        with np.errstate(invalid="ignore"):  # an empty race: -inf - -inf
            far_behind = rival & (lead[:, None] - shares >= per_rep(p.withdraw_gap, pt, 2))
        if isinstance(patience, np.ndarray):
            far_behind &= (patience > 0)[:, None]
        state.trailing = np.where(far_behind, state.trailing + 1, 0)
        blocked = _blocking_the_leader(state, world, t, leader)
        vetoed = _backed_by_a_veto_player(state, blocked)
        for c in range(c_count):
            quits = (state.trailing[:, c] >= patience) & ~vetoed[:, c] & (patience > 0)
            if quits.any():
                _withdraw(state, world, quits, c, t, TRAILING)
                withdrew = True
    notice = world.rounds[t].days_to_formal <= per_rep(p.withdraw_notice_days, pt)
    if np.any(notice):  # strategic (7.11); stacked: (R,) whose point gives notice now
        share = per_rep(p.withdraw_share, pt)
        hopeless = _majors_back(state, world, t, leader) | (lead >= share - 1e-12)
        quits_all = rival & state.in_race & hopeless[:, None]
        if isinstance(notice, np.ndarray):
            quits_all &= notice[:, None]
        if quits_all.any():
            # While a blocker holds out against the leader, the rival's chance is not gone.
            held = _held_out(state, world, t, leader) if blocked is None else blocked.any(axis=1)
            quits_all &= ~held
        for c in np.flatnonzero(quits_all.any(axis=0)):
            _withdraw(state, world, quits_all[:, c], c, t, STRATEGIC)
            withdrew = True
    session = world.rounds[t].session
    if session is not None and session.eliminate and np.any(session_held(state, session)):
        shares = _race_shares(state, world, t) if withdrew else shares
        _eliminate(state, world, t, shares, utility, session)
        withdrew = True
    if not withdrew:
        return shares
    if any(world.home_siblings):  # a home state left with one candidate backs it now
        _home_states_back_their_candidates(state, world, world.rounds[t].active, t)
    # Stances change only where a candidate withdrew: the other rows keep their shares.
    changed = np.flatnonzero((running != state.in_race).any(axis=1))
    return _race_shares(state, world, t, changed, shares)


def _blocking_the_leader(state: State, world: World, t: int, leader: np.ndarray) -> np.ndarray:
    """(R, N, C) member i can block, objects to the leader, and is neither c's home nor its
    sponsor (their objection stands or falls with their own candidate)."""
    blocker = world.can_block(t)
    reps = np.arange(len(leader))
    objects_leader = state.objecting[reps, :, leader] & blocker[None, :]  # (R, N)
    out = np.repeat(objects_leader[:, :, None], len(world.candidates), axis=2)
    for c in range(out.shape[2]):
        for own in (world.home[c], world.sponsor[c]):
            if own >= 0:
                out[:, own, c] = False
    return out


def _held_out(state: State, world: World, t: int, leader: np.ndarray) -> np.ndarray:
    """(R, C) `_blocking_the_leader(...).any(axis=1)` without the (R, N, C) array: the
    blockers objecting to the leader, less c's own home and sponsor among them."""
    objects_leader = _objects_to(state, leader) & constants(world, t).blocker[None, :]
    count = np.add.reduce(objects_leader, axis=1, dtype=np.int32)  # faster than .sum()
    out = np.empty(state.in_race.shape, dtype=bool)
    for c in range(out.shape[1]):
        own = {i for i in (world.home[c], world.sponsor[c]) if i >= 0}
        mine = sum(objects_leader[:, i].astype(count.dtype) for i in own) if own else 0
        np.greater(count - mine, 0, out=out[:, c])
    return out


def _objects_to(state: State, cand: np.ndarray) -> np.ndarray:
    """(R, N) state.objecting[r, :, cand[r]]: the slice of the candidate most rows name,
    then the rows naming another one candidate at a time (a gather over the short last
    axis is slow)."""
    objecting = state.objecting
    if not len(cand):
        return np.zeros(state.stance.shape, dtype=bool)
    counts = np.bincount(cand, minlength=objecting.shape[2])
    most = int(np.argmax(counts))
    out = objecting[:, :, most].copy()
    for c in np.flatnonzero(counts):
        if c != most:
            rows = np.flatnonzero(cand == c)
            out[rows] = objecting[rows, :, c]
    return out


def _backed_by_a_veto_player(state: State, blocked: np.ndarray) -> np.ndarray:
    """(R, C) some member blocking the leader (`_blocking_the_leader`) backs candidate c."""
    return (blocked & backing(state.stance, blocked.shape[2])).any(axis=1)


def _majors_back(state: State, world: World, t: int, leader: np.ndarray) -> np.ndarray:
    """(R,) every major power present (capability >= major_capability x the largest present)
    backs the leader."""
    major = constants(world, t).major
    if isinstance(major, ByPoint):  # (R, N) each replication's point's major powers
        return ((state.stance == leader[:, None]) | ~major.values[state.point]).all(axis=1)
    return (state.stance[:, major] == leader[:, None]).all(axis=1)


def _eliminate(state: State, world: World, t: int, shares, utility, session) -> None:
    """The `session.eliminate` candidates in the race with the smallest tally withdraw,
    leaving at least one. The tally counts backers, or with `preferences: k` the members
    naming each candidate among their k best; by capability, or by heads with `tally:
    members`. Equal tallies go by capability share, then by the order of listing."""
    active = world.rounds[t].active
    if session.preferences:
        named = _named_preferences(state, utility, session.preferences)
        tally = _flag_shares(named, *_weights(state, world, t, not session.by_members))
    elif session.by_members:
        tally = support_shares(state.stance, world, active, weighted=False)
    else:
        tally = shares
    # A stable sort on the fallback, then a stable sort on the tally: ties keep that order.
    first = np.argsort(np.where(state.in_race, shares, np.inf), axis=1, kind="stable")
    key = np.take_along_axis(np.where(state.in_race, tally, np.inf), first, axis=1)
    order = np.take_along_axis(first, np.argsort(key, axis=1, kind="stable"), axis=1)
    k = session.eliminate
    out = np.minimum(k, state.in_race.sum(axis=1) - 1)
    held = state.open & session_held(state, session)
    for rank in range(min(k, order.shape[1])):
        for c in range(order.shape[1]):
            which = held & (rank < out) & (order[:, rank] == c)
            if which.any():
                _withdraw(state, world, which, c, t, ELIMINATED)


def session_held(state: State, session) -> np.ndarray | bool:
    """(R,) the session is held in each replication: its draw for one held by chance
    (`probability:`); for one convened once the rule is met (`convened_after_days:`), where
    the rule has been met at the end of every round since one at least the notice before
    (`SessionInfo.ready_by`, `_track_readiness`); else True."""
    if session is None:
        return True
    if session.convened:
        return (state.ready_since != NEVER) & (state.ready_since <= session.ready_by)
    if session.uncertain < 0:
        return True
    return state.happens[:, session.uncertain]


def _named_preferences(state: State, utility: np.ndarray, k: int) -> np.ndarray:
    """(R, N, C) each member's k best candidates in the race by this round's utility, its
    backed candidate first; never one it objects to (a preference is never negative)."""
    c_count = utility.shape[2]
    score = np.where(state.in_race[:, None, :] & ~state.objecting, utility, -np.inf)
    score = np.where(backing(state.stance, c_count), np.inf, score)
    # Rank by score, the first listed of equals first: a stable sort of the negated scores.
    rank = np.argsort(np.argsort(-score, axis=2, kind="stable"), axis=2, kind="stable")
    return (rank < k) & (score > -np.inf)


def _approval(state: State, world: World, t: int, utility: np.ndarray) -> None:
    """At an indicative session with approval positions, each present member encourages
    (backs it, or U >= declare_threshold), discourages (objects, or U < object_threshold)
    or gives no opinion on each candidate in the race."""
    session = world.rounds[t].session
    if session is None or not session.approval:
        return
    p, active = world.rounds[t].params, world.rounds[t].active
    utility = np.ascontiguousarray(utility)  # members-first, as the state's arrays
    backs = backing(state.stance, len(world.candidates))
    declare, object_ = (per_rep(x, state.point, 3) for x in (p.declare_threshold,
                                                              p.object_threshold))  # fmt: skip
    encourage = backs | (utility >= declare) & ~state.objecting
    discourage = ~encourage & (state.objecting | (utility < object_))
    present = active[None, :, None] & state.in_race[:, None, :] & state.open[:, None, None]
    value = np.where(encourage, 1, np.where(discourage, -1, 0)).astype(np.int8)
    state.approval = np.where(present, value, 0).astype(np.int8)
    state.approval_round = np.where(state.open, t, state.approval_round)


def _concessions(state: State, world: World, t: int, shares: np.ndarray, eps) -> None:
    """Where the race is still open, the leading camp (and brokers) court holdouts for next
    round. `shares` are the race shares of `state` (stances and race as they stand now);
    `eps` the round's offer shocks, (R, N, O)."""
    p = world.rounds[t].params
    per_round = p.concessions_per_round
    if (per_round.values <= 0).all() if isinstance(per_round, ByPoint) else per_round <= 0:
        return
    leader, lead = _leader(shares)
    if world.bargaining:
        if world.rounds[t].session is not None:
            _session_offers(state, world, t, leader, lead, eps)
        return
    offering = state.open & _any_running(state.in_race)
    offering &= lead >= per_rep(p.concede_share, state.point)
    _offer_concessions(state, world, t, leader, offering, per_round)


def _leader(shares: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(R,) the leading candidate (the first of equals) and its share: `argmax` a column at
    a time (numpy reduces a short last axis slowly), or numpy's own where a share is NaN."""
    leader = np.zeros(len(shares), dtype=np.intp)
    lead = shares[:, 0].copy() if shares.shape[1] else np.full(len(shares), np.nan)
    for k in range(1, shares.shape[1]):
        leader[shares[:, k] > lead] = k
        np.maximum(lead, shares[:, k], out=lead)
    if np.isnan(lead).any():
        leader = np.argmax(shares, axis=1)
        lead = shares[np.arange(len(leader)), leader]
    return leader, lead


def _race_shares(state: State, world: World, t: int, rows=None, shares=None) -> np.ndarray:
    """(R, C) capability share behind each candidate in the race, -inf for the others; with
    `rows`, `shares` with those rows computed again (a row's shares depend on it alone)."""
    weight, total = _weights(state, world, t, True)
    if rows is None:
        shares = _shares(state.stance, weight, total, len(world.candidates))
        return np.where(state.in_race, shares, -np.inf)
    out = shares.copy()
    if len(rows):
        if weight.ndim == 2:  # stacked points: each row's own weights
            weight = weight[rows]
        if np.ndim(total):  # and total
            total = total[rows]
        part = _shares(state.stance[rows], weight, total, len(world.candidates))
        out[rows] = np.where(state.in_race[rows], part, -np.inf)
    return out


def _col(value):
    """A value per row as a column (R, 1); a single value as it is."""
    return value[:, None] if isinstance(value, np.ndarray) else value


def _offer_limit(per_round, point: np.ndarray):
    """How many offers an offerer may make this round: the loop's count, and per row the
    limit where stacked points differ (else None)."""
    if not isinstance(per_round, ByPoint):
        return int(per_round), None
    limit = per_round.values[point]
    return (int(limit.max()) if len(limit) else 0), limit


def _offer_concessions(state, world, t, leader, offering, per_round) -> None:
    """The leader's camp courts holdouts: objectors first, then the weightiest undecided.

    Members committed to a rival are not courted; nor is a member courted twice by one camp.
    """
    p = world.rounds[t].params
    active = world.rounds[t].active
    rows = np.flatnonzero(offering)
    lead, at = leader[rows], np.arange(len(rows))
    point = state.point[rows]
    objects_leader = state.objecting[rows, :, lead]
    eligible = (
        active[None, :]
        & ((state.stance[rows] == UNDECIDED) | objects_leader)
        & (state.conceded_round[rows, :, lead] == NEVER)
    )
    capability = per_rep(world.capability, point)  # (N,), or (rows, N) stacked
    priority = np.where(eligible, objects_leader * 10.0 + capability, -np.inf)
    size = per_rep(p.concession_size, point)
    loops, limit = _offer_limit(per_round, point)
    for made in range(loops):
        pick = np.argmax(priority, axis=1)  # the first of equals
        chosen = np.isfinite(priority[at, pick])
        if limit is not None:
            chosen &= made < limit
        if not chosen.any():
            break
        r, i, c = rows[chosen], pick[chosen], lead[chosen]
        given = size[chosen] if isinstance(size, np.ndarray) else size
        state.concession[r, i, c] += given
        state.conceded_round[r, i, c] = t
        _log_offer(state, r, t, LEADING_CAMP, i, c, given)
        priority[at[chosen], i] = -np.inf


def _session_offers(state, world, t, leader, lead, eps) -> None:
    """At a session, the leading camp (if its share reaches `concede_share`) and each broker
    court holdouts of their candidate: objectors first, then the weightiest undecided. An
    offer is made with probability min(1, offer_rate x pressure x (offer_pivotal if the
    holdout's objection alone blocks, else 1)), drawn from the round's offer shock for that
    member and offerer, and only while the offerer's spending stays within `offer_budget`."""
    p = world.rounds[t].params
    active = world.rounds[t].active
    blocker = world.can_block(t)
    pressure = constants(world, t).pressure  # deadline_pressure(world, t)
    if world.stack:  # each point's two quantiles, as that point computes them alone
        chance = _point_values(p.offer_rate, len(world.stack)) * _point_values(
            pressure, len(world.stack)
        )
        pivot = chance * _point_values(p.offer_pivotal, len(world.stack))
        cuts = np.array([[_probit(float(q)), _probit(float(v))] for q, v in zip(
            chance, pivot, strict=True)])  # fmt: skip
    else:
        chance = p.offer_rate * pressure
    live = state.open & _any_running(state.in_race) & session_held(state, world.rounds[t].session)
    reps = np.arange(len(leader))
    leads = live & (lead >= per_rep(p.concede_share, state.point))
    offerers = [(LEADING_CAMP, leader, leads, np.ones_like(active))]
    for b, broker in enumerate(world.brokers):
        cand = leader if broker.candidate < 0 else np.full_like(leader, broker.candidate)
        here = live & state.in_race[reps, cand] & (broker.members & active).any()
        offerers.append((b, cand, here, broker.targets & ~broker.members))
    away = np.ascontiguousarray(~world.home_mask.T)  # (C, N) not c's home state
    for o, (by, cand, offering, targets) in enumerate(offerers):
        if not offering.any():
            continue
        rows = np.flatnonzero(offering)
        every = len(rows) == len(offering)  # then the rows' own arrays, not gathered copies
        cnd, at = cand[rows], np.arange(len(rows))
        point = state.point[rows]
        size, budget = (per_rep(x, point) for x in (p.concession_size, p.offer_budget))
        objects = _objects_to(state, cnd) if every else state.objecting[rows, :, cnd]
        others = np.add.reduce(objects & blocker[None, :], axis=1, dtype=np.int32)
        eligible = (
            (active & targets)[None, :]
            & (((state.stance if every else state.stance[rows]) == UNDECIDED) | objects)
            & np.take(away, cnd, axis=0)
            & (state.spent[rows, o, None] + _col(size) <= _col(budget) + 1e-12)
        )
        # Phi(z) < q  <=>  z < Phi^-1(q): one quantile for each of the two odds, read only
        # where an offerer picks a holdout.
        if world.stack:
            cut = cuts[point]  # (rows, 2)
        else:
            cut = np.array([[_probit(chance), _probit(chance * p.offer_pivotal)]])
        capability = per_rep(world.capability, point)  # (N,), or (rows, N) stacked
        # objects x 10 + capability: 10 + capability for an objector, else capability
        # (0 + capability, the same number for a capability that is not -0).
        priority = np.where(objects, capability + 10.0, capability)
        np.copyto(priority, -np.inf, where=~eligible)
        loops, limit = _offer_limit(p.concessions_per_round, point)
        for turn in range(loops):
            pick = np.argmax(priority, axis=1)
            chosen = np.isfinite(priority[at, pick])
            chosen &= state.spent[rows, o] + size <= budget + 1e-12
            if limit is not None:
                chosen &= turn < limit
            if not chosen.any():
                break
            priority[at[chosen], pick[chosen]] = -np.inf
            pivotal = objects[at, pick] & blocker[pick] & (others == 1)
            drawn = eps[rows, pick, o] < cut[at if world.stack else 0, pivotal.astype(np.intp)]
            made = chosen & drawn
            r, i, c = rows[made], pick[made], cnd[made]
            given = size[made] if isinstance(size, np.ndarray) else size
            state.concession[r, i, c] += given
            state.conceded_round[r, i, c] = t
            state.spent[r, o] += given
            _log_offer(state, r, t, by, i, c, given)


def _count_running(in_race: np.ndarray) -> np.ndarray:
    """(R,) candidates in the race: `in_race.sum(axis=1)`, a column at a time."""
    out = np.zeros(len(in_race), dtype=np.intp)
    for c in range(in_race.shape[1]):
        out += in_race[:, c]
    return out


def _all_running(in_race: np.ndarray) -> np.ndarray:
    """(R,) every candidate is in the race: `in_race.all(axis=1)`, a column at a time."""
    out = np.ones(len(in_race), dtype=bool)
    for c in range(in_race.shape[1]):
        out &= in_race[:, c]
    return out


def _any_running(in_race: np.ndarray) -> np.ndarray:
    """(R,) some candidate is in the race: `in_race.any(axis=1)`, a column at a time (numpy
    reduces a short last axis slowly)."""
    out = in_race[:, 0].copy() if in_race.shape[1] else np.zeros(len(in_race), dtype=bool)
    for c in range(1, in_race.shape[1]):
        out |= in_race[:, c]
    return out


def _probit(q: float) -> float:
    """Phi^-1(min(q, 1)): the standard normal quantile, -inf at 0 and +inf at 1."""
    if q >= 1.0:
        return np.inf
    return -np.inf if q <= 0.0 else NormalDist().inv_cdf(q)


def _log_offer(state: State, r, t: int, by: int, i, c, size: float) -> None:
    """Append offers (one per replication in `r`) to each replication's offer log."""
    at = state.offers[r]
    state.offer_round[r, at] = t
    state.offer_by[r, at] = by
    state.offer_to[r, at] = i
    state.offer_for[r, at] = c
    state.offer_size[r, at] = size
    state.offers[r] += 1


def _withdraw(state: State, world: World, which: np.ndarray, c: int, t: int, why: int) -> None:
    """Candidate c leaves the race in the replications `which` where it runs: its backers
    become undecided, and objections to it lapse. Only those replications' rows are
    touched (few withdraw in any one round)."""
    rows = np.flatnonzero(which & state.in_race[:, c])
    if not len(rows):
        return
    state.in_race[rows, c] = False
    state.withdrawn_round[rows, c] = t
    state.withdrawn_reason[rows, c] = why
    state.trailing[rows, c] = 0
    stance = state.stance[rows]
    backers = stance == c
    if backers.any():
        stance[backers] = UNDECIDED
        state.stance[rows] = stance
        since = state.since[rows]
        since[backers] = t
        state.since[rows] = since
    state.objecting[rows, :, c] = False
    state.held[rows, :, c] = False


def _apply_decision_rule(state: State, world: World, t: int) -> np.ndarray | None:
    """Appoint where the round's decision rule is met; tested only at formal sessions (every
    round when the scenario lists no sessions). Returns where it is met (held or not), None
    in a round that does not test it."""
    setup = world.rounds[t]
    if not setup.formal:
        return None
    met, cand = _rule_met(state, world, t)
    ok = met & session_held(state, setup.session)  # held by chance, or convened: where held
    state.appointed = np.where(ok, cand, state.appointed)
    state.appointed_round = np.where(ok, t, state.appointed_round)
    return met


def _track_readiness(state: State, world: World, t: int, met=None) -> None:
    """After round t: where the rule in force would appoint now, since when it has (the
    clock of the sessions convened once it is met, `session_held`); where not, NEVER again.
    `met`: the rule's test already made on this state this round, if any."""
    if not world.convenes:
        return
    if met is None:
        met, _ = _rule_met(state, world, t)
    since = np.where(state.ready_since == NEVER, t, state.ready_since)
    # (a replication appointed this round keeps the clock it was appointed on)
    state.ready_since = np.where(state.open, np.where(met, since, NEVER), state.ready_since)


def _rule_met(state: State, world: World, t: int) -> tuple[np.ndarray, np.ndarray]:
    """(R,) whether round t's decision rule is met in each open replication, and (R,) the
    candidate it would appoint."""
    setup = world.rounds[t]
    rule, active = setup.decision, setup.active
    if rule.rule == "consensus":
        ok = _count_running(state.in_race) == 1
        cand = np.argmax(state.in_race, axis=1)
        if ok.any():  # the sole candidate's share of heads, as `support_shares` gives it
            weight = active.astype(float)
            heads = np.divide((state.stance == cand[:, None]) @ weight, _total(weight))
            ok &= heads >= rule.quorum - 1e-12
        if ok.any():  # (most rounds of a contested race end here)
            ok &= ~(_objects_to(state, cand) & active[None, :]).any(axis=1)
    elif rule.rule == "unanimity":
        heads = support_shares(state.stance, world, active, weighted=False)
        cand = np.argmax(heads, axis=1)
        reps = np.arange(len(cand))
        ok = heads[reps, cand] >= 1.0 - 1e-12
    else:  # qualified majority, with optional veto players
        if getattr(rule, "count", None) == "encourage":
            counted = _flag_shares(state.approval > 0, *_weights(state, world, t, rule.weighted))
        elif rule.weighted:
            counted = _shares(state.stance, *_weights(state, world, t, True), len(world.candidates))
        else:
            counted = support_shares(state.stance, world, active, weighted=False)
        veto = np.isin(world.members, rule.veto) & active
        vetoed = _anyone(state.objecting, veto)
        passing = state.in_race & (counted >= rule.threshold - 1e-12) & ~vetoed
        cand = np.argmax(np.where(passing, counted, -np.inf), axis=1)
        reps = np.arange(len(cand))
        ok = passing[reps, cand]
    return ok & state.open, cand


def _anyone(flags: np.ndarray, who: np.ndarray) -> np.ndarray:
    """(R, C) from (R, N, C): does any member in `who` raise the flag (a loop, as in `backing`)."""
    return np.stack([(flags[:, :, c] & who).any(axis=1) for c in range(flags.shape[2])], axis=1)
