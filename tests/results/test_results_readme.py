"""results/README.md's pandas example reproduces a number of report.md, on a fresh batch."""

import contextlib
import io
import re
from pathlib import Path

from sim.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "results" / "README.md"


def example() -> str:
    (code,) = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    return code


def test_the_pandas_example_gives_the_share_report_md_shows(tmp_path):
    out = tmp_path / "batch"
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["batch", str(ROOT / "scenarios" / "nato-2024.yaml"), "--runs", "200",
                     "--out", str(out)]) == 0  # fmt: skip
    code = example().replace('"results/nato-2024/<stamp>"', repr(str(out)))
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(code, {})  # the README's own code, unchanged but for the folder
    share = re.fullmatch(r"HU (\d+\.\d%)\n", printed.getvalue()).group(1)
    report = (out / "report.md").read_text()
    holdouts = report.split("## Last holdouts")[1]
    assert f"| HU | {share} |" in holdouts


def test_every_table_of_a_batch_is_listed_with_its_loader():
    text = README.read_text()
    for table in ("runs", "withdrawals", "holdouts", "concessions", "declarations", "support"):
        assert f'pd.read_csv(f"{{folder}}/{table}.csv.gz")' in text
