"""Who held out longest before backing the winner: the model's definition of last holdouts."""

import numpy as np

from sim.engine.history import History
from sim.engine.rules import NOT_APPOINTED

HOLDOUTS_SHOWN = 3


def holdout_order(history: History) -> np.ndarray:
    """(R, HOLDOUTS_SHOWN) member indices of each replication's last holdouts, -1 padded.

    A member holds out for the rounds it was present without backing the winner
    (a member that joins and backs it at once held out for none); the last holdouts
    are the three that held out longest, in the order they came round. Members still
    not backing the winner when it was appointed come last. None on deadlock.
    """
    f, world = history.final, history.world
    n = len(world.members)
    active = np.stack([s.active for s in world.rounds])  # (T+1, N)
    joined = np.argmax(active, axis=0)
    at = np.maximum(f.appointed_round, 0)
    present = active[at]  # (R, N) present in the appointment round
    backs = f.stance == f.appointed[:, None]
    held = np.where(backs, f.since - joined[None, :], np.inf)
    held = np.where(present, held, -np.inf)  # absent members sort first and are dropped
    order = np.lexsort((np.broadcast_to(np.arange(n), held.shape), f.since, held), axis=-1)
    last = order[:, -HOLDOUTS_SHOWN:]
    keep = present[np.arange(len(last))[:, None], last] & (f.appointed[:, None] != NOT_APPOINTED)
    return np.where(keep, last, -1)


def last_holdouts(history: History, r: int) -> list[str]:
    """Codes of replication r's last holdouts (see `holdout_order`)."""
    return [history.world.members[i] for i in holdout_order(history)[r] if i >= 0]
