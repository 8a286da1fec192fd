"""Calibration over several cases: one shared parameter set, losses summed per case.

Two synthetic contests are simulated with a known `declare_threshold`; their "records" are
what those runs show (winner, median appointment date, members' median first declaration).
Fitting both at once recovers the threshold; a case list file and SCENARIO:RECORD pairs name
the same cases; the per-case losses add up to the loss that is minimised.
"""

from datetime import date, timedelta

import numpy as np
import pytest

from sim.batching.plan import replication_seeds
from sim.engine.loop import simulate
from sim.engine.world import build_world
from sim.errors import ScenarioError
from sim.evaluate.calibrate import Case, CasesObjective, calibrate_cases, case_paths
from sim.evaluate.forecast import Forecast
from sim.evaluate.record import Appointment, Declaration, Record
from sim.scenario.schema import Scenario, Source

START = date(2024, 1, 1)
TRUE_THRESHOLD = 0.55


def contest(name: str, members: int, affinity: float, **params) -> Scenario:
    codes = [f"M{i}" for i in range(members)]
    return Scenario.model_validate(
        {
            "name": name,
            "calendar": {
                "start": START, "deadline": START + timedelta(weeks=20),
                "last_round": START + timedelta(weeks=30), "assumption": True,
            },
            "decision": {"rule": "consensus", "quorum": 1.0, "assumption": True},
            "candidates": [
                {"id": "x", "name": "X", "home": codes[0], "assumption": True},
                {"id": "y", "name": "Y", "home": codes[1], "assumption": True},
            ],
            "members": [
                {"code": c, "name": c, "capability": 0.5, "salience": 1.0, "assumption": True}
                for c in codes
            ],
            "preferences": [
                {"id": "all-x", "members": {}, "candidate": "x", "affinity": affinity,
                 "assumption": True},
            ],
            "parameters": {"noise": 0.3, "w_ties": 0.0, "w_band": 0.0, "assumption": True,
                           **params},
        }
    )  # fmt: skip


def observed(scenario: Scenario, threshold: float) -> Record:
    """What a contest run with `threshold` shows, written as a record."""
    params = scenario.parameters.model_copy(update={"declare_threshold": threshold})
    world = build_world(scenario.model_copy(update={"parameters": params}))
    forecast = Forecast.from_history(simulate(world, replication_seeds(99, 0, 0, 300)))
    days = np.median(forecast.appointment_dates())
    winner = max(set(forecast.outcomes), key=forecast.outcomes.count)
    declarations = [
        Declaration(member=m, candidate="x", date=world.dates[min(int(r), world.n_rounds)],
                    source="synthetic")
        for (m, c), r in forecast.first_round.items()
        if c == "x"
    ]  # fmt: skip
    return Record(
        name=f"{scenario.name}-record",
        sources=[Source(id="synthetic", title="simulated with a known parameter")],
        appointment=Appointment(
            date=date.fromordinal(int(days)), winner=winner, source="synthetic"
        ),
        declarations=declarations,
    )


@pytest.fixture(scope="module")
def cases() -> list[Case]:
    small, large = contest("small", 5, 0.4), contest("large", 12, 0.5)
    return [Case(s.name, s, observed(s, TRUE_THRESHOLD)) for s in (small, large)]


def test_two_cases_fitted_together_recover_the_parameter(cases):
    fit = calibrate_cases(
        cases, {"declare_threshold": (0.0, 1.2)}, budget=30, runs=150, seed=3, progress=False
    )
    assert abs(fit.best["declare_threshold"] - TRUE_THRESHOLD) < 0.15, fit.best
    assert fit.loss_best < fit.loss_start
    assert set(fit.case_losses) == {"small", "large"}


def test_a_wrong_parameter_costs_more_on_every_case(cases):
    objective = CasesObjective(cases, runs=150, seed=3)
    right = objective.losses({"declare_threshold": TRUE_THRESHOLD})
    wrong = objective.losses({"declare_threshold": 1.1})
    assert all(w > r for w, r in zip(wrong, right, strict=True)), (right, wrong)
    # The loss minimised is the plain sum: each case weighs the same.
    assert objective({"declare_threshold": 1.1}) == pytest.approx(sum(wrong))


def test_cases_are_named_by_pairs_or_a_list_file(tmp_path):
    listing = tmp_path / "cases.txt"
    listing.write_text("# the library\nscenarios/a.yaml:records/a.yaml\n\nb.yaml : b-rec.yaml\n")
    assert case_paths(["s.yaml:r.yaml"]) == [("s.yaml", "r.yaml")]
    assert case_paths([str(listing)]) == [
        (str(tmp_path / "scenarios/a.yaml"), str(tmp_path / "records/a.yaml")),
        (str(tmp_path / "b.yaml"), str(tmp_path / "b-rec.yaml")),
    ]
    with pytest.raises(ScenarioError, match="SCENARIO:RECORD"):
        case_paths([str(tmp_path / "missing.txt")])
    listing.write_text("only-a-scenario.yaml\n")
    with pytest.raises(ScenarioError, match=r"cases.txt:1: expected SCENARIO:RECORD"):
        case_paths([str(listing)])


def test_a_prior_weight_adds_the_scaled_distance_from_the_start(cases):
    ranges = {"declare_threshold": (0.0, 1.2)}
    plain = CasesObjective(cases, runs=150, seed=3)
    pulled = CasesObjective(cases, runs=150, seed=3, prior_weight=2.0,
                            start={"declare_threshold": 0.25}, ranges=ranges)  # fmt: skip
    losses = plain.losses({"declare_threshold": 1.1})
    expected = sum(losses) + 2.0 * ((1.1 - 0.25) / 1.2) ** 2
    assert pulled({"declare_threshold": 1.1}) == pytest.approx(expected)
    assert pulled({"declare_threshold": 0.25}) == pytest.approx(
        sum(plain.losses({"declare_threshold": 0.25}))
    )  # no pull at the start
    assert pulled.losses({"declare_threshold": 1.1}) == losses  # per case: unpenalised


def test_a_prior_weight_holds_a_parameter_the_cases_cannot_tell_at_its_start(cases):
    # price_base plays no part in these contests (no objections, no sessions): the loss is
    # flat in it. Without a prior weight the search leaves it wherever its best sample fell;
    # with one it comes back towards the start. The threshold is still recovered (these
    # cases' losses are about 0.01, hence a small weight).
    ranges = {"declare_threshold": (0.0, 1.2), "price_base": (0.0, 3.0)}
    start = float(cases[0].scenario.parameters.price_base)
    free = calibrate_cases(cases, ranges, budget=30, runs=150, seed=3, progress=False)
    held = calibrate_cases(cases, ranges, budget=30, runs=150, seed=3, progress=False,
                           prior_weight=0.01)  # fmt: skip
    assert abs(held.best["declare_threshold"] - TRUE_THRESHOLD) < 0.15, held.best
    assert abs(held.best["price_base"] - start) < 0.1 * 3.0, held.best
    assert abs(free.best["price_base"] - start) > abs(held.best["price_base"] - start)
    assert held.prior_weight == 0.01 and free.prior_weight == 0.0


def test_a_fit_at_an_end_of_a_narrow_range_says_to_widen_it(cases):
    from sim.cli.commands import calibrate_cases_command

    # The cases were made with a threshold of 0.55: searched in 0.1 to 0.3, the fit ends at
    # 0.3, an end the schema (-5 to 5) would let it pass.
    lines = calibrate_cases_command([], ["declare_threshold=0.1:0.3"], 8, 150, 3, None, None,
                                    cases=cases)  # fmt: skip
    (line,) = [x for x in lines if x.startswith("  declare_threshold:")]
    assert line.endswith(
        "(range 0.1 to 0.3)  <- at the top of the range searched; the schema allows up to 5: "
        "widen it"
    ), line
    lines = calibrate_cases_command([], ["declare_threshold=0.7:1.2"], 8, 150, 3, None, None,
                                    cases=cases)  # fmt: skip
    (line,) = [x for x in lines if x.startswith("  declare_threshold:")]
    assert "at the bottom of the range searched; the schema allows down to -5" in line, line


def test_a_fit_inside_its_range_or_at_the_schemas_own_end_is_not_flagged():
    from sim.evaluate.calibrate import bound_note

    assert bound_note("w_band", 3.0, 0.0, 5.0) == ""
    assert bound_note("w_band", 0.0, 0.0, 5.0) == ""  # 0 is the schema's own end
    assert bound_note("w_band", 10.0, 0.0, 10.0) == ""
    assert "up to 10" in bound_note("w_band", 5.0, 0.0, 5.0)
