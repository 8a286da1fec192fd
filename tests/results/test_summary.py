"""The report's quantiles read off counts are numpy's quantiles of the samples themselves."""

import numpy as np
import pytest

from sim.results.outcomes import QUANTILES, counted_quantiles
from sim.results.summary import linear_quantiles


@pytest.mark.parametrize("seed", range(6))
def test_the_fan_quantiles_of_counts_are_numpys_on_the_samples(seed):
    rng = np.random.default_rng(seed)
    for n in [1, 2, 3, 7, 19, 20, 21, 99, 100, 101, int(rng.integers(200, 5000))]:
        x = rng.integers(0, 33, size=(n, 4, 3)).astype(np.int16)
        if seed % 2:
            x[:] = rng.integers(0, 3, size=(n, 1, 1))  # few values: many ties
        counts = np.stack(
            [np.stack([np.bincount(x[:, t, c], minlength=34) for c in range(3)]) for t in range(4)]
        )
        assert np.array_equal(linear_quantiles(counts), np.quantile(x, QUANTILES, axis=0)), n


@pytest.mark.parametrize("seed", range(6))
def test_the_date_quantiles_of_counts_are_the_one_rule_on_the_samples(seed):
    rng = np.random.default_rng(seed)
    for n in [1, 2, 3, 19, 20, 21, 40, 99, 100, int(rng.integers(200, 20000))]:
        days = rng.integers(738000, 738000 + 1 + seed * 20, size=n)
        values, counts = np.unique(days, return_counts=True)
        order = rng.permutation(len(values))  # any order, and a value may repeat
        values = np.concatenate([values[order], values[:1]])
        counts = np.concatenate([counts[order], [0]])
        want = np.quantile(days, QUANTILES, method="inverted_cdf")
        assert np.array_equal(counted_quantiles(values, counts), want), n


def _per_point_tally(results):
    """The tallies Summary.of counted point by point before it counted every point in one
    pass: the oracle of the test below."""
    from sim.results.summary import _events

    c, n_c = results.columns, len(results.candidates)
    code, point = results.outcome_codes(), c["point"].astype(np.int64)
    at = c["appointed_round"].astype(np.int64)
    out = {"appointed": {}, "withdrawn": {}, "modes": {}, "support_sums": {}, "declared": {},
           "held_out": {}}  # fmt: skip
    wd = _events(results, "withdrawals")
    wd_point = results._point_of(wd["run"]).astype(np.int64)
    for p in np.unique(point).tolist():
        rounds = len(results.dates[p])
        won = (point == p) & (code >= 0) & (code < n_c)
        out["appointed"][p] = np.bincount(code[won] * rounds + at[won],
                                          minlength=n_c * rounds).reshape(n_c, rounds)  # fmt: skip
        keep = np.flatnonzero((point == p) & results.ok())
        if len(keep):
            key = (
                (c["winner"][keep].astype(np.int64) + 1) * (1 << 32)
                + c["appointed_round"][keep]
                + 1
            )
            _, first, counts = np.unique(key, return_index=True, return_counts=True)
            out["modes"][p] = {
                (int(c["winner"][keep[f]]), int(c["appointed_round"][keep[f]])):
                    [n, int(c["run"][keep[f]]), int(c["seed"][keep[f]])]
                for f, n in zip(first.tolist(), counts.tolist(), strict=True)
            }  # fmt: skip
        mine = wd_point == p
        out["withdrawn"][p] = np.bincount(wd["candidate"][mine].astype(np.int64) * rounds
                                          + wd["round"][mine], minlength=n_c * rounds
                                          ).reshape(n_c, rounds)  # fmt: skip
    ok = results.ok()
    m, dec, hold = (
        len(results.members),
        _events(results, "declarations"),
        _events(results, "holdouts"),
    )
    dec_ok, hold_ok = np.isin(dec["run"], c["run"][ok]), np.isin(hold["run"], c["run"][ok])
    dec_point = results._point_of(dec["run"])
    pair = np.unique(hold["run"][hold_ok].astype(np.int64) * m + hold["member"][hold_ok])
    pair_point = results._point_of(pair // m)
    for p in np.unique(c["point"][ok]).tolist():
        out["support_sums"][p] = results.supporters(p).sum(axis=0, dtype=np.int64)
        sel = dec_ok & (dec_point == p)
        flat = dec["member"][sel].astype(np.int64) * n_c + dec["candidate"][sel]
        rounds = np.bincount(flat, weights=dec["round"][sel], minlength=m * n_c)
        out["declared"][p] = np.stack(
            [rounds.astype(np.int64), np.bincount(flat, minlength=m * n_c)]
        )
        out["held_out"][p] = np.bincount(pair[pair_point == p] % m, minlength=m)
    return out


def test_the_tally_of_many_points_in_one_pass_is_each_points_own(monkeypatch):
    """Summary.of counts every point of a chunk in one pass: the same arrays, byte for byte,
    and the same modes (in the same order) as counted point by point, with points of two
    calendars and failed replications among them."""
    from pathlib import Path

    from failing import fail_for

    from sim.batching import plan_batch, replication_seed, run_batch
    from sim.results.summary import Summary

    design = [{"parameters.noise": 0.2 + k / 5, "parameters.w_ties": 0.5 + k / 9,
               **({"calendar.weekly": True} if k % 3 == 1 else {})} for k in range(9)]  # fmt: skip
    base = Path(__file__).resolve().parents[2] / "scenarios" / "nato-2024.yaml"
    plan = plan_batch(base, runs=12, chunk=54, design=design)
    fail_for(monkeypatch, {replication_seed(plan.seed, 4, k) for k in (2, 9)} |
             {replication_seed(plan.seed, 7, k) for k in range(12)})  # fmt: skip
    results = run_batch(plan, None).results
    assert len(results.errors) == 14 and len({len(d) for d in results.dates.values()}) == 2
    got, want = Summary.of(results), _per_point_tally(results)
    assert list(got.modes) == list(want["modes"]) and 7 not in got.modes
    for p, modes in want["modes"].items():
        assert list(got.modes[p].items()) == list(modes.items()), p
    for name in ("appointed", "withdrawn", "support_sums", "declared", "held_out"):
        mine = getattr(got, name)
        assert list(mine) == list(want[name]), name
        for p, a in want[name].items():
            b = mine[p]
            assert a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes(), (
                name,
                p,
            )
