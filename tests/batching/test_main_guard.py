"""A script that starts a batch on worker processes at its top level (no main guard): each
worker imports the script again, so the batch says so in one line instead of dying with
BrokenProcessPool's traceback; a script on stdin, which a worker cannot import, is refused
before a pool starts. (A guarded caller, pytest itself, runs pools in
tests/batching/test_sweeps.py.)"""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CALL = 'sim.batch("scenarios/nato-2024.yaml", runs=40, chunk=20, workers=2, progress=False)'
GUARD = 'if __name__ == "__main__":'


def _python(tmp_path, text, stdin=False):
    script = tmp_path / "script.py"
    script.write_text(text)
    args = [sys.executable, "-"] if stdin else [sys.executable, str(script)]
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=120,
                          input=text if stdin else None)  # fmt: skip
    return done.returncode, done.stdout, done.stderr


def test_an_unguarded_script_is_told_to_guard_its_call_in_one_line(tmp_path):
    code, _, err = _python(tmp_path, f"import sim\n{CALL}\nprint('done')\n")
    last = err.strip().splitlines()[-1]
    assert code == 1 and GUARD in last and last.startswith("sim.errors.ScenarioError: workers=2:")
    assert "BrokenProcessPool" not in err and "RuntimeError" not in err  # no worker's traceback
    assert err.count("Traceback") == 1


def test_a_script_on_stdin_is_refused_before_a_pool_starts(tmp_path):
    code, _, err = _python(tmp_path, f"import sim\n{GUARD}\n    {CALL}\n", stdin=True)
    assert code == 1 and "cannot import a script that is not a file (<stdin>)" in err
    assert "BrokenProcessPool" not in err
