"""`--set` and sweep values: plain decimal numbers are read without the YAML parser, to the
very value (and type) yaml.safe_load gives; anything else goes to the parser."""

import json
import math

import numpy as np
import pytest
import yaml

from sim.scenario.loader import scalar

EDGES = ["0", "-0", "+0", "7", "-12", "+3", "007", "0o7", "0x1f", "1_000", "0.5", "-0.0", "+.5",
         ".5", "-.5", "1.", "1.e+5", "1.5e-05", "1e-05", "1e+16", "1E5", "2.5E+3", " 0.25 ",
         "0.25\n", "\t3", "3\t", "\n3", "\r3", "1.0 # note", "1,5", "1:30", "1.5.2", ".inf", "-.inf", ".nan", "nan",
         "inf", "true", "null", "~", "", "'0.5'", '"7"', "[1, 2]", "{a: 1}", "2024-07-09",
         "0.1e5", "12345678901234567890", "-1.7976931348623157e+308", "5e-324"]  # fmt: skip


def same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        return math.isnan(b)
    return type(a) is type(b) and a == b and repr(a) == repr(b)  # 0.0 is not -0.0


@pytest.mark.parametrize("text", EDGES)
def test_a_value_reads_as_yaml_reads_it(text):
    def read(parse):
        try:
            return parse(text)
        except Exception as exc:  # the same error, if yaml raises one
            return type(exc)

    assert same(read(scalar), read(yaml.safe_load)), text


def test_the_values_a_sweep_writes_read_as_yaml_reads_them():
    rng = np.random.default_rng(11)
    values = [*rng.uniform(-3, 3, 400), *10.0 ** rng.uniform(-12, 20, 400),
              *rng.integers(-10**6, 10**6, 200).tolist(), 0.1, 1 / 3, 2.0**-40]  # fmt: skip
    for v in values:
        text = json.dumps(v.item() if hasattr(v, "item") else v)
        assert same(scalar(text), yaml.safe_load(text)), text
