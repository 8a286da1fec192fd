"""Small scenarios written inside tests: a few members, a couple of candidates, no noise."""

from datetime import date, timedelta

import numpy as np

from sim.engine.history import History
from sim.engine.loop import simulate
from sim.engine.world import World, build_world
from sim.scenario.schema import PRIORS, Scenario

START = date(2024, 1, 1)


def week(n: int) -> date:
    """The date of round n (rounds are weekly from START)."""
    return START + timedelta(days=7 * n)


def toy(
    members=("A", "B", "C", "D"),
    candidates=(("x", "A"), ("y", "B")),
    initial=None,
    capability=None,
    preferences=(),
    grievances=(),
    ties=None,
    events=(),
    decision=None,
    weeks=10,
    sessions=(),
    brokers=(),
    objects=None,
    weekly=True,
    candidate_fields=None,
    deadline=None,
    **params,
) -> World:
    """Build a World; parameters are the priors (docs/ODD.md 7.10), made quiet: no noise, ties,
    bandwagon or offers (the tests state the numbers they rely on)."""
    initial = initial or {}
    capability = capability or {}
    objects = objects or {}
    candidate_fields = candidate_fields or {}
    quiet = {"noise": 0.0, "w_ties": 0.0, "w_band": 0.0, "concessions_per_round": 0}
    data = {
        "name": "toy",
        "calendar": {
            "start": START,
            "round_days": 7,
            "deadline": deadline or week(weeks),
            "last_round": week(weeks),
            "weekly": weekly,
            "assumption": True,
        },
        "decision": {"rule": "consensus", "assumption": True, **(decision or {})},
        "candidates": [
            {
                "id": cid,
                "name": cid.upper(),
                "home": home,
                "assumption": True,
                **candidate_fields.get(cid, {}),
            }
            for cid, home in candidates
        ],
        "members": [
            {
                "code": code,
                "name": code,
                "capability": capability.get(code, 0.5),
                "salience": 1.0,
                "initial": initial.get(code),
                "objects": list(objects.get(code, ())),
                "attributes": {"bloc": "east" if code in ("C", "D") else "west"},
                "assumption": True,
            }
            for code in members
        ],
        "preferences": [{"assumption": True, **p} for p in preferences],
        "grievances": [{"assumption": True, **g} for g in grievances],
        "ties": [{"assumption": True, **t} for t in (ties or [])],
        "events": [{"assumption": True, **e} for e in events],
        "sessions": [{"assumption": True, **x} for x in sessions],
        "brokers": [{"assumption": True, **b} for b in brokers],
        "parameters": {"assumption": True, **PRIORS, **quiet, **params},
    }
    return build_world(Scenario.model_validate(data))


def run(world: World, seeds=(0,)) -> History:
    """Simulate replications with the given seeds (noise from each seed's own generator)."""
    return simulate(world, list(seeds))


def stance_of(world: World, history: History, code: str, t: int, r: int = 0) -> str | None:
    """Candidate id a member backs after round t, or None."""
    t = min(t, len(history.stance) - 1)
    c = int(history.stance[t][r, world.members.index(code)])
    return None if c < 0 else world.candidates[c]


def objects(world: World, history: History, code: str, cand: str, t: int, r: int = 0) -> bool:
    t = min(t, len(history.stance) - 1)
    i, c = world.members.index(code), world.candidates.index(cand)
    return bool(history.objecting[t][r, i, c])


def winner(world: World, history: History, r: int = 0) -> tuple[str | None, int | None]:
    f = history.final
    c = int(f.appointed[r])
    return (None, None) if c < 0 else (world.candidates[c], int(f.appointed_round[r]))


def in_race(world: World, history: History, cand: str, t: int, r: int = 0) -> bool:
    t = min(t, len(history.stance) - 1)
    return bool(history.in_race[t][r, world.candidates.index(cand)])


__all__ = ["np", "toy", "run", "week", "stance_of", "objects", "winner", "in_race"]
