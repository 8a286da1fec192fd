"""The rules of one round, as array functions over a leading replication axis.

Shapes: R replications, N members, C candidates. A member's stance is the index
of the candidate it supports, or UNDECIDED. Everything here is pure numpy: no
Mesa, no I/O, no random draws (each replication's shocks come from its own
generator, see `draw_noise`), so that one Mesa model
(R = 1) and a batch of thousands run exactly the same rules.
"""

from dataclasses import dataclass, fields

import numpy as np

from sim.engine.world import World

UNDECIDED = -1
NEVER = -1  # round marker for "has not happened"
NOT_APPOINTED = -1  # `appointed`: no candidate appointed (yet)
ROUND = np.int32  # round markers: 4 bytes, not 8, in the largest arrays
STANCE = np.int16  # candidate indices: compared many times a round, so kept small


def noise_shape(world: World) -> tuple[int, int, int]:
    """(T, N, C): one shock per simulated round (1..T), member and candidate."""
    return (world.n_rounds, len(world.members), len(world.candidates))


def draw_noise(rng: np.random.Generator, world: World) -> np.ndarray:
    """All of one replication's shocks, (T, N, C); row t-1 is round t.

    Drawing round by round from the same generator gives the same numbers, which is
    how a batch draws them (only for the rounds it plays).
    """
    return rng.standard_normal(noise_shape(world))


@dataclass
class State:
    """The position of R replications after some round."""

    stance: np.ndarray  # (R, N) candidate index or UNDECIDED
    since: np.ndarray  # (R, N) round the current stance was taken
    objecting: np.ndarray  # (R, N, C) bool
    first_declared: np.ndarray  # (R, N, C) round of first declaration, NEVER if none
    concession: np.ndarray  # (R, N, C) utility offered to member by candidate's camp
    conceded_round: np.ndarray  # (R, N, C) round of the offer, NEVER if none
    in_race: np.ndarray  # (R, C) bool
    withdrawn_round: np.ndarray  # (R, C)
    trailing: np.ndarray  # (R, C) consecutive rounds far behind the leader
    appointed: np.ndarray  # (R,) candidate index, NOT_APPOINTED while open
    appointed_round: np.ndarray  # (R,)

    def copy(self) -> "State":
        return State(**{f.name: getattr(self, f.name).copy() for f in fields(self)})

    @staticmethod
    def joined(parts: list["State"]) -> "State":
        """The replications of `parts`, one after the other."""
        return State(
            **{f.name: np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(State)}
        )

    def take(self, rows: np.ndarray) -> "State":
        """A new state of the given replications only."""
        return State(**{f.name: getattr(self, f.name)[rows] for f in fields(self)})

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

    @property
    def open(self) -> np.ndarray:
        """(R,) replications still without an appointment."""
        return self.appointed == NOT_APPOINTED


def initial_state(world: World, reps: int) -> State:
    """Round 0: declared positions from the scenario, home states behind their candidates."""
    n, c = len(world.members), len(world.candidates)
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
    )
    _home_states_back_their_candidates(state, world, active, 0)
    _record_first_declarations(state, 0, backing(state.stance, c))
    return state


def support_shares(
    stance: np.ndarray, world: World, active: np.ndarray, weighted: bool
) -> np.ndarray:
    """(R, C) share of the members present backing each candidate (by capability or heads).

    Sums whole capability units (or heads), which are exact in any order, and divides once:
    a replication's shares do not depend on the other rows of the product.
    """
    weight = world.capability_units * active if weighted else active.astype(float)
    total = weight.sum()
    total = total if total > 0 else 1.0
    shares = [((stance == c) @ weight) / total for c in range(len(world.candidates))]
    return np.stack(shares, axis=1) if shares else np.zeros((len(stance), 0))


def deadline_pressure(world: World, t: int) -> float:
    """Bandwagon pressure in (0, 1]: 1/2 at `pressure_days` before the deadline, 1 at it."""
    setup = world.rounds[t]
    days_left = max((setup.deadline - world.dates[t]).days, 0)
    return 1.0 / (1.0 + days_left / setup.params.pressure_days)


def utility_terms(state: State, world: World, t: int, eps: np.ndarray) -> dict[str, np.ndarray]:
    """Each term of U[r, i, c] for round t, read from the previous round's state."""
    p = world.rounds[t].params
    active = world.rounds[t].active
    affinity, grievance, _ = world.matrices(t)
    momentum = support_shares(state.stance, world, active, weighted=True)
    n = len(world.members)
    return {
        "affinity": np.broadcast_to(p.w_pref * world.salience[:, None] * affinity, eps.shape),
        "ties": _listen(*world.tie_units(t), p.w_ties, state),
        "bandwagon": _for_every_member(p.w_band * deadline_pressure(world, t) * momentum, n),
        "grievance": np.broadcast_to(-p.w_griev * world.salience[:, None] * grievance, eps.shape),
        "concession": p.w_conc * state.concession,
        "noise": p.noise * eps,
    }


def _for_every_member(values: np.ndarray, n: int) -> np.ndarray:
    """(R, N, C) from (R, C): the same value for every member, written out one candidate at
    a time (adding a broadcast (R, 1, C) view costs three times as much)."""
    out = np.empty((values.shape[0], n, values.shape[1]))
    for c in range(values.shape[1]):
        out[:, :, c] = values[:, c, None]
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


def step(state: State, world: World, t: int, eps: np.ndarray) -> State:
    """Play round t for every open replication; `eps` is that round's noise, (R, N, C)."""
    new = state.copy()
    _dated_race_changes(new, world, t)
    utility = total_utility(utility_terms(state, world, t, eps))
    _decide(new, state, world, t, utility)
    shares = _withdrawals(new, world, t)
    _apply_decision_rule(new, world, t)  # changes neither stances nor the race
    _concessions(new, world, t, shares)
    # An appointed replication is over: it keeps the position it had when appointed.
    closed = ~state.open
    if closed.any():
        for f in fields(State):
            getattr(new, f.name)[closed] = getattr(state, f.name)[closed]
    return new


def _dated_race_changes(state: State, world: World, t: int) -> None:
    setup = world.rounds[t]
    for c in setup.enter:
        state.in_race[:, c] = state.withdrawn_round[:, c] == NEVER
    for c in setup.withdraw:
        _withdraw(state, world, np.ones(len(state.appointed), dtype=bool), c, t)
    # Members not (yet) in the organisation hold no stance.
    gone = ~setup.active
    state.stance[:, gone] = UNDECIDED
    state.objecting[:, gone, :] = False


def _decide(new: State, old: State, world: World, t: int, utility: np.ndarray) -> None:
    """Declare, switch, object and lift objections, all from last round's utilities."""
    p = world.rounds[t].params
    active = world.rounds[t].active
    c = utility.shape[2]
    stance = new.stance
    undecided = stance == UNDECIDED
    best, u_best, u_second, current, objects_best = _top_two(utility, new.in_race, stance, old)
    strong = (u_best >= p.declare_threshold) & ~objects_best
    declare = undecided & strong & (u_best - u_second >= p.declare_margin)
    switch = ~undecided & strong & (best != stance) & (u_best - current >= p.switch_margin)
    move = (declare | switch) & active[None, :] & new.in_race.any(axis=1)[:, None]
    new.stance = np.where(move, best, stance)
    new.since = np.where(move, t, new.since)
    _home_states_back_their_candidates(new, world, active, t)

    # Objections: a threat to block, with hysteresis between objecting and lifting.
    threshold = np.where(old.objecting, p.lift_threshold, p.object_threshold)
    backs = backing(new.stance, c)
    allowed = ~backs & (active[:, None] & ~world.home_mask)[None]
    if not new.in_race.all():  # the broadcast over members is slow, and rarely needed
        allowed &= new.in_race[:, None, :]
    new.objecting = (utility < threshold) & allowed
    _record_first_declarations(new, t, backs)


def _top_two(utility: np.ndarray, in_race: np.ndarray, stance: np.ndarray, old: State):
    """Per (replication, member), among the candidates in the race: the best (the first of
    equals), its utility, the runner-up's utility, the utility of the current stance (0 when
    undecided), and whether the member objected to the best last round.

    A loop over the few candidates, in place: numpy reduces a short last axis slowly.
    """
    shape = stance.shape
    best_i, best_v = np.zeros(shape, dtype=STANCE), np.full(shape, -np.inf)
    second, current = np.full(shape, -np.inf), np.zeros(shape)
    objects_best, lower = old.objecting[:, :, 0].copy(), np.empty(shape)
    for k in range(utility.shape[2]):
        x = utility[:, :, k]
        if not in_race[:, k].all():
            x = np.where(in_race[:, k, None], x, -np.inf)
        better = x > best_v
        # The runner-up is the best of the old runner-up and the lower of (best, x).
        np.maximum(second, np.minimum(best_v, x, out=lower), out=second)
        np.maximum(best_v, x, out=best_v)
        best_i[better] = k
        np.copyto(objects_best, old.objecting[:, :, k], where=better)
        np.copyto(current, x, where=stance == k)
    return best_i, best_v, second, current, objects_best


def _home_states_back_their_candidates(state: State, world: World, active, t: int) -> None:
    for c, i in enumerate(world.home):
        running = state.in_race[:, c] & active[i]
        state.since[running & (state.stance[:, i] != c), i] = t
        state.stance[running, i] = c


def _record_first_declarations(state: State, t: int, backs: np.ndarray) -> None:
    """Mark round t where a member backs a candidate (`backs`, (R, N, C)) for the first time."""
    first = state.first_declared
    np.copyto(first, t, where=backs & (first == NEVER))


def _withdrawals(state: State, world: World, t: int) -> np.ndarray:
    """A candidate far behind the leader for `withdraw_patience` rounds leaves the race.

    Returns the race shares (see `_race_shares`) as they stand afterwards.
    """
    p = world.rounds[t].params
    shares = _race_shares(state, world, t)
    leader, lead = _leader(shares)
    c_count = len(world.candidates)
    contested = state.in_race.sum(axis=1) > 1
    far_behind = (
        state.in_race
        & contested[:, None]
        & (np.arange(c_count)[None, :] != leader[:, None])
        & (lead[:, None] - shares >= p.withdraw_gap)
    )
    state.trailing = np.where(far_behind & state.open[:, None], state.trailing + 1, 0)
    withdrew = False
    for c in range(c_count):
        quits = state.open & (state.trailing[:, c] >= p.withdraw_patience)
        if quits.any():
            _withdraw(state, world, quits, c, t)
            withdrew = True
    return _race_shares(state, world, t) if withdrew else shares


def _concessions(state: State, world: World, t: int, shares: np.ndarray) -> None:
    """Where the race is still open, the leading camp courts holdouts for next round.

    `shares` are the race shares of `state` (stances and race as they stand now).
    """
    p = world.rounds[t].params
    if p.concessions_per_round <= 0:
        return
    leader, lead = _leader(shares)
    offering = state.open & state.in_race.any(axis=1) & (lead >= p.concede_share)
    _offer_concessions(state, world, t, leader, offering, int(p.concessions_per_round))


def _leader(shares: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(R,) the leading candidate (the first of equals) and its share."""
    leader = np.argmax(shares, axis=1)
    return leader, shares[np.arange(len(leader)), leader]


def _race_shares(state: State, world: World, t: int) -> np.ndarray:
    """(R, C) capability share behind each candidate in the race, -inf for the others."""
    shares = support_shares(state.stance, world, world.rounds[t].active, weighted=True)
    return np.where(state.in_race, shares, -np.inf)


def _offer_concessions(state, world, t, leader, offering, per_round) -> None:
    """The leader's camp courts holdouts: objectors first, then the weightiest undecided.

    Members committed to a rival are not courted; nor is a member courted twice by one camp.
    """
    p = world.rounds[t].params
    active = world.rounds[t].active
    rows = np.flatnonzero(offering)
    lead, at = leader[rows], np.arange(len(rows))
    objects_leader = state.objecting[rows, :, lead]
    eligible = (
        active[None, :]
        & ((state.stance[rows] == UNDECIDED) | objects_leader)
        & (state.conceded_round[rows, :, lead] == NEVER)
    )
    priority = np.where(eligible, objects_leader * 10.0 + world.capability[None, :], -np.inf)
    for _ in range(per_round):
        pick = np.argmax(priority, axis=1)  # the first of equals
        chosen = np.isfinite(priority[at, pick])
        if not chosen.any():
            break
        r, i, c = rows[chosen], pick[chosen], lead[chosen]
        state.concession[r, i, c] += p.concession_size
        state.conceded_round[r, i, c] = t
        priority[at[chosen], i] = -np.inf


def _withdraw(state: State, world: World, which: np.ndarray, c: int, t: int) -> None:
    which = which & state.in_race[:, c]
    state.in_race[which, c] = False
    state.withdrawn_round[which, c] = t
    state.trailing[which, c] = 0
    backers = which[:, None] & (state.stance == c)
    state.stance[backers] = UNDECIDED
    state.since[backers] = t
    state.objecting[which, :, c] = False


def _apply_decision_rule(state: State, world: World, t: int) -> None:
    """Appoint where the scenario's decision rule is met this round."""
    rule = world.scenario.decision
    active = world.rounds[t].active
    objected = _anyone(state.objecting, active)
    heads = support_shares(state.stance, world, active, weighted=False)
    shares = support_shares(state.stance, world, active, weighted=True) if rule.weighted else heads
    if rule.rule == "consensus":
        sole = state.in_race.sum(axis=1) == 1
        cand = np.argmax(state.in_race, axis=1)
        reps = np.arange(len(cand))
        ok = sole & ~objected[reps, cand] & (heads[reps, cand] >= rule.quorum - 1e-12)
    elif rule.rule == "unanimity":
        cand = np.argmax(heads, axis=1)
        reps = np.arange(len(cand))
        ok = heads[reps, cand] >= 1.0 - 1e-12
    else:  # qualified majority, with optional veto players
        veto = np.isin(world.members, rule.veto) & active
        vetoed = _anyone(state.objecting, veto)
        passing = state.in_race & (shares >= rule.threshold - 1e-12) & ~vetoed
        cand = np.argmax(np.where(passing, shares, -np.inf), axis=1)
        reps = np.arange(len(cand))
        ok = passing[reps, cand]
    ok &= state.open
    state.appointed = np.where(ok, cand, state.appointed)
    state.appointed_round = np.where(ok, t, state.appointed_round)


def _anyone(flags: np.ndarray, who: np.ndarray) -> np.ndarray:
    """(R, C) from (R, N, C): does any member in `who` raise the flag (a loop, as in `backing`)."""
    return np.stack([(flags[:, :, c] & who).any(axis=1) for c in range(flags.shape[2])], axis=1)
