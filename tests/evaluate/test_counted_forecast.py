"""Scores read off the chunks' tallies (`CountedForecast`) are the scores of the
replications held in memory (`Forecast`), bit for bit: on a noisy toy sweep with failed
replications and on nato-2024 against its record, whatever the chunk size."""

from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from failing import fail_for
from toy import toy, week

from sim.batching import InlineExecutor, plan_batch, replication_seed, run_batch
from sim.batching.worker import world_for
from sim.evaluate.forecast import CountedForecast, Forecast
from sim.evaluate.record import Record, load_record
from sim.evaluate.score import fit_loss, score

ROOT = Path(__file__).resolve().parents[2]
SRC = [{"id": "s", "title": "a source"}]


def both(plan, point: int, results, summary) -> tuple[Forecast, CountedForecast]:
    p = plan.points[point]
    world = world_for(p.scenario, p.digest)
    return Forecast.from_results(results, world, point), CountedForecast(world, summary, point)


def same_answers(kept: Forecast, counted: CountedForecast, until_days) -> None:
    """Every question a score asks, answered alike (== on floats: bit for bit)."""
    world = kept.world
    assert counted.runs == kept.runs
    for until in [None, *until_days]:
        assert counted.probabilities(until) == kept.probabilities(until), until
    assert np.array_equal(counted.date_quantiles(), kept.date_quantiles())
    appointed = counted.appointed_date_quantiles(), kept.appointed_date_quantiles()
    assert (appointed[0] is None and appointed[1] is None) or np.array_equal(*appointed)
    assert counted.first_round == kept.first_round
    for m in world.members:
        assert counted.holdout_runs(m) == kept.holdout_runs(m), m
    for t in range(len(world.dates)):
        for c in range(len(world.candidates)):
            assert counted.mean_supporters(t, c) == kept.mean_supporters(t, c), (t, c)
    assert np.array_equal(counted.supporter_quantiles(), kept.supporter_quantiles())


def noisy_toy():
    return toy(members=("A", "B", "C", "D", "E", "F"), candidates=(("x", "A"), ("y", "B")),
               initial={"A": "x", "B": "y", "C": "x"}, weeks=12, noise=1.5).scenario  # fmt: skip


def toy_records() -> list[Record]:
    support = [{"date": week(k), "candidate": c, "supporters": k % 5, "source": "s"}
               for k in (1, 4, 9) for c in ("x", "y")]  # fmt: skip
    declarations = [{"member": m, "candidate": "x", "date": week(k), "source": "s"}
                    for k, m in enumerate("CDEF", start=1)]  # fmt: skip
    full = {"name": "r", "sources": SRC, "support": support, "declarations": declarations,
            "last_holdouts": ["E", "F"],
            "appointment": {"winner": "x", "date": week(6) + timedelta(days=2), "source": "s"}}  # fmt: skip
    cut = {**{k: v for k, v in full.items() if k != "appointment"}, "until": week(5)}
    return [Record.model_validate(full), Record.model_validate(cut)]


@pytest.mark.parametrize("chunk", [1, 7, 50])
def test_the_tallies_score_a_noisy_toy_sweep_as_its_replications_do(chunk, monkeypatch):
    plan = plan_batch(noisy_toy(), runs=40, chunk=chunk, sweeps=["parameters.noise=0.2,3"])
    fail_for(monkeypatch, {replication_seed(plan.seed, 1, k) for k in (3, 17)})
    kept = run_batch(plan, None, InlineExecutor())
    flat = run_batch(plan, None, InlineExecutor(), keep=False)
    assert flat.results is None and kept.results is not None
    assert len(kept.results.errors) == 2
    untils = [week(k) for k in (0, 3, 6, 20)] + [week(5) + timedelta(days=1)]
    for p in range(2):
        f, c = both(plan, p, kept.results, flat.summary)
        assert f.runs == (40 if p == 0 else 38)
        same_answers(f, c, untils)
        for rec in toy_records():
            assert score(c, rec) == score(f, rec)
    # the toy does move: outcomes, dates, declarations and holdouts all vary
    f, _ = both(plan, 1, kept.results, flat.summary)
    assert len(set(f.outcomes)) > 1 and len(set(f.appointed_round.tolist())) > 2
    assert any(f.holdouts) and len(set(f.first_round.values())) > 2


def test_the_tallies_score_nato_2024_as_its_replications_do():
    base = ROOT / "scenarios" / "nato-2024.yaml"
    plan = plan_batch(base, runs=90, chunk=25, sweeps=["parameters.noise=0.3,2"])
    kept = run_batch(plan, None, InlineExecutor())
    flat = run_batch(plan, None, InlineExecutor(), keep=False)
    record = load_record(ROOT / "records" / "nato-2024.yaml", plan.points[0].scenario)
    for p in range(2):
        f, c = both(plan, p, kept.results, flat.summary)
        same_answers(f, c, [record.appointment.date, *(s.date for s in record.support)])
        got = score(c, record)
        assert got == score(f, record)
        assert set(got) >= {"support_rmse", "declaration_rank_rho", "holdout_hit_rate",
                            "date_in_90"}  # fmt: skip
        split = record.before(record.appointment.date - timedelta(days=60))
        assert score(c, split) == score(f, split)
    assert fit_loss(f, record) > 0  # calibration's Forecast is unchanged (full arrays)


def test_a_chunk_tally_without_a_point_answers_for_none():
    plan = plan_batch(noisy_toy(), runs=10, chunk=10, sweeps=["parameters.noise=0.2,3"])
    summary = run_batch(plan, None, InlineExecutor(), keep=False).summary
    chunk = run_batch(plan_batch(noisy_toy(), runs=10), None, InlineExecutor(), keep=False).summary
    assert set(summary.support_sums) == {0, 1} and set(chunk.support_sums) == {0}
    assert summary.declared[0].shape == (2, 6 * 2) and summary.held_out[1].shape == (6,)
