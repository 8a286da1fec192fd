"""Fitted defaults (issue 10): a scenario without `parameters:` runs with the set fitted on the
case library; `parameters: priors` names the unfitted set, so earlier results reproduce."""

from pathlib import Path

import pytest

import sim
from sim.errors import ScenarioError
from sim.scenario.schema import DEFAULTS, FITTED, PRIORS, Parameters

NATO = Path(__file__).resolve().parents[2] / "scenarios" / "nato-2024.yaml"


def variant(tmp_path, text):
    path = tmp_path / "variant.yaml"
    path.write_text(f"extends: {NATO}\nname: variant\n{text}")
    return path


def test_the_defaults_are_the_fitted_values_over_the_priors():
    assert set(FITTED) <= set(PRIORS) and FITTED
    assert DEFAULTS == {**PRIORS, **FITTED}
    fresh = Parameters()
    for name, value in DEFAULTS.items():
        assert getattr(fresh, name) == value
    assert any(PRIORS[n] != v for n, v in FITTED.items())  # the fit moved something


def test_parameters_priors_gives_the_unfitted_set(tmp_path):
    sc = sim.load(variant(tmp_path, "parameters: priors\n"))
    for name, value in PRIORS.items():
        assert getattr(sc.parameters, name) == value
    assert sc.parameters.assumption is True  # marked, so the scenario still validates
    plain = sim.load(NATO)
    assert any(getattr(plain.parameters, n) != PRIORS[n] for n in FITTED)


def test_the_priors_reproduce_a_batch_run_with_the_old_values_spelled_out(tmp_path):
    named = sim.batch(sim.load(variant(tmp_path, "parameters: priors\n")), runs=50, seed=3)
    spelled = {f"parameters.{n}": v for n, v in PRIORS.items()}
    explicit = sim.batch(sim.load(NATO, set=spelled), runs=50, seed=3)
    assert named.runs["winner"].tolist() == explicit.runs["winner"].tolist()
    assert named.runs["appointed_round"].equals(explicit.runs["appointed_round"])


def test_an_unknown_parameter_set_name_is_a_located_error(tmp_path):
    with pytest.raises(ScenarioError) as err:
        sim.load(variant(tmp_path, "parameters: fitted\n"))
    assert "variant.yaml:3: parameters:" in str(err.value) and "priors" in str(err.value)
