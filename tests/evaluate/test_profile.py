"""Profiles of a fit: each case's loss along one parameter, the others at the fit.

The two synthetic contests of test_calibrate_cases (simulated with a known
`declare_threshold`) have no objection, grievance or holdout, so no concession is ever
offered: the offer rate cannot move their loss, while the declaration threshold does.
"""

import pytest
from test_calibrate_cases import TRUE_THRESHOLD, contest, observed

from sim.evaluate.calibrate import Case, CasesObjective
from sim.evaluate.profile import Profile, profile, profile_values

RANGES = {"declare_threshold": (0.0, 1.2), "offer_rate": (0.0, 1.0)}
FITTED = {"declare_threshold": TRUE_THRESHOLD, "offer_rate": 0.3}


@pytest.fixture(scope="module")
def cases() -> list[Case]:
    small, large = contest("small", 5, 0.4), contest("large", 12, 0.5)
    return [Case(s.name, s, observed(s, TRUE_THRESHOLD)) for s in (small, large)]


@pytest.fixture(scope="module")
def fitted_profile(cases) -> Profile:
    return profile(cases, FITTED, RANGES, points=4, runs=120, seed=3)


def test_a_parameter_the_cases_use_moves_their_loss(fitted_profile):
    both = ["small", "large"]
    assert fitted_profile.span("declare_threshold", both) > 0.05
    # the lowest loss is near the value the records were simulated with, not at the ends
    low, high = fitted_profile.near_best("declare_threshold", both)
    assert low > 0.0 and high < 1.2, (low, high)
    assert low <= TRUE_THRESHOLD <= high


def test_a_parameter_no_case_uses_is_flat(fitted_profile):
    both = ["small", "large"]
    assert fitted_profile.span("offer_rate", both) == 0.0
    assert fitted_profile.near_best("offer_rate", both) == (0.0, 1.0)


def test_the_fitted_point_is_the_fit_s_own_loss(cases, fitted_profile):
    values, losses = fitted_profile.along("offer_rate", ["small"])
    assert values == [0.0, 0.3, 1 / 3, 2 / 3, 1.0]  # the grid and the fitted value
    objective = CasesObjective(cases, runs=120, seed=3)
    assert losses[1] == objective.losses(FITTED)[0]  # same seeds: the same number


def test_every_line_holds_every_case_and_the_fit_is_simulated_once(cases, monkeypatch):
    calls = []
    real = CasesObjective.losses
    monkeypatch.setattr(CasesObjective, "losses", lambda self, v: calls.append(v) or real(self, v))
    result = profile(cases, FITTED, RANGES, points=3, runs=60, seed=1)
    # 3 grid values + the fitted one per parameter, the fitted set shared by both lines
    assert len(result.points) == 8 and len(calls) == 7
    assert {case for *_, case, _ in result.rows()} == {"small", "large"}
    assert Profile.from_dict(result.as_dict()) == result


def test_integer_parameters_are_visited_as_simulated():
    assert profile_values("withdraw_patience", 3.0, 0, 10, 4) == [0, 3, 7, 10]
    assert profile_values("noise", 0.2, 0.0, 1.0, 1) == [0.2]


def test_a_broken_checkpoint_entry_is_not_a_profile():
    with pytest.raises(ValueError, match="not a profile"):
        Profile.from_dict({"fitted": {}, "ranges": {}, "points": [["x", "not a number", {}]]})
