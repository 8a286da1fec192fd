"""calibrate starts its search inside the --params ranges: a scenario value outside one is
brought to its nearer end, and a line says so (one case with --record, and several cases)."""

from pathlib import Path

from hostile import RECORD, TINY, cli, write

from sim.scenario.loader import load_scenario


def tiny_case(tmp_path: Path) -> tuple[Path, Path]:
    return write(tmp_path, TINY), write(tmp_path, RECORD, "record.yaml")


def calibrate(capsys, tmp_path, *params):
    scenario, record = tiny_case(tmp_path)
    return cli(capsys, "calibrate", scenario, "--record", record, "--params", *params,
               "--budget", 3, "--runs", 4, "--split", "2024-01-20",
               "--out", tmp_path / "fit.yaml")  # fmt: skip


def test_a_start_outside_the_range_is_brought_into_it_and_said(tmp_path, capsys):
    # The tiny scenario has the default noise (0.4308), above this range.
    code, out, err = calibrate(capsys, tmp_path, "noise=0.05:0.2")
    assert code == 0, err
    assert "noise: the scenario's 0.4308 lies outside the range 0.05 to 0.2; the search " \
           "starts at 0.2" in out  # fmt: skip
    fitted = load_scenario(tmp_path / "fit.yaml").parameters.noise
    assert 0.05 <= fitted <= 0.2
    line = next(x for x in out.splitlines() if x.startswith("  noise:"))
    assert line.startswith("  noise: 0.2 -> ")
    assert "brought into the ranges" in (tmp_path / "fit.yaml").read_text()


def test_a_start_inside_the_range_is_kept_without_a_note(tmp_path, capsys):
    code, out, err = calibrate(capsys, tmp_path, "noise=0.1:1")
    assert code == 0, err
    assert "lies outside" not in out
    assert next(x for x in out.splitlines() if x.startswith("  noise:")).startswith(
        "  noise: 0.4308 -> "
    )


def test_across_cases_a_start_outside_the_range_is_brought_into_it(tmp_path, capsys):
    scenario, record = tiny_case(tmp_path)
    code, out, err = cli(capsys, "calibrate", f"{scenario}:{record}", "--params", "w_band=0:2",
                         "--budget", 3, "--runs", 4, "--out", tmp_path / "set.yaml",
                         "--set", "parameters.w_band=5")  # fmt: skip
    assert code == 0, err
    assert "w_band: the scenario's 5 lies outside the range 0 to 2; the search starts at 2" in out
    text = (tmp_path / "set.yaml").read_text()
    value = float(next(x for x in text.splitlines() if x.startswith("  w_band:")).split(":")[1])
    assert 0 <= value <= 2
