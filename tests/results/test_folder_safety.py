"""A result folder is written whole under its lock, and what says it is finished comes last."""

from pathlib import Path

import pytest

from sim import api
from sim.cli.main import main
from sim.errors import ScenarioError

ROOT = Path(__file__).resolve().parents[2]
BASE = ROOT / "scenarios" / "nato-2024.yaml"
RECORD = ROOT / "records" / "nato-2024.yaml"


def _second_batch_refused(out: Path) -> list[str]:
    """What a second batch into `out` says (nothing if it went ahead)."""
    try:
        api.batch(BASE, runs=20, out=out, progress=False, keep=False)
    except ScenarioError as exc:
        return [str(p) for p in exc.problems]
    return []


@pytest.mark.parametrize("how", ["python", "command"])
def test_the_lock_is_held_while_a_batch_writes_its_report(tmp_path, monkeypatch, capsys, how):
    out, real, said = tmp_path / "b", api.batch_report, []

    def report(plan, outcome, sections=None):  # a second batch while the first reports
        said.extend(_second_batch_refused(out))
        return real(plan, outcome, sections)

    monkeypatch.setattr(api, "batch_report", report)
    if how == "python":
        api.batch(BASE, runs=20, out=out, progress=False)
    else:
        assert main(["batch", str(BASE), "--runs", "20", "--out", str(out)]) == 0
    assert len(said) == 1 and "another batch (process" in said[0] and "\n" not in said[0]
    assert (out / "report.md").is_file() and not (out / ".lock").exists()
    monkeypatch.setattr(api, "batch_report", real)
    assert _second_batch_refused(out) == []  # once it is done, the same batch reads it back


def test_the_lock_is_held_while_a_score_writes_its_files(tmp_path, monkeypatch, capsys):
    from sim.report import scores

    out, real, said = tmp_path / "s", scores.score_fan, []

    def fan(*args, **kw):
        said.extend(_second_batch_refused(out))
        return real(*args, **kw)

    monkeypatch.setattr(scores, "score_fan", fan)
    assert (
        main(["score", str(BASE), "--record", str(RECORD), "--runs", "20", "--out", str(out)]) == 0
    )
    assert len(said) == 1 and "another batch (process" in said[0]
    assert (out / "scores.csv").is_file() and not (out / ".lock").exists()


def test_no_report_still_releases_the_lock(tmp_path):
    out = tmp_path / "n"
    assert main(["batch", str(BASE), "--runs", "20", "--out", str(out), "--no-report"]) == 0
    assert not (out / ".lock").exists() and not (out / "report.md").exists()
