"""calibrate's --params: a range whose max is not above its min is refused with that reason,
as sensitivity's --inputs refuses it, not with the schema's bounds."""

import pytest

from sim.errors import ScenarioError
from sim.evaluate.calibrate import parse_params


@pytest.mark.parametrize("text", ["noise=1:0", "noise=0.5:0.5"])
def test_a_range_whose_max_is_not_above_its_min_says_so(text):
    with pytest.raises(ScenarioError) as caught:
        parse_params([text])
    assert str(caught.value.problems[0]) == (
        f"--params {text}: noise: max must be above min (nothing to vary)"
    )


def test_a_range_beyond_the_schema_still_says_where_it_must_lie():
    with pytest.raises(ScenarioError) as caught:
        parse_params(["noise=1:9"])
    assert "range must lie in [0, 5]" in str(caught.value.problems[0])
    assert parse_params(["noise=0.5:1"]) == {"noise": (0.5, 1.0)}
