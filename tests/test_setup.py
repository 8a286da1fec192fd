"""The set-up command finds Python 3.12 by itself, as README.md and .ci/run promise."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIND = ROOT / "scripts" / "find-python.sh"


def find(env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(FIND)], env=env, capture_output=True, text=True)


def test_it_prints_a_python_of_3_12_or_newer():
    done = find(dict(os.environ))
    assert done.returncode == 0, done.stderr
    version = subprocess.run([done.stdout.strip(), "-c", "import sys; print(sys.version_info[:2])"],
                             capture_output=True, text=True).stdout  # fmt: skip
    assert eval(version) >= (3, 12)


def test_it_finds_an_installed_pyenv_version_when_none_is_on_the_path(tmp_path):
    # A pyenv-like root holding this interpreter as 3.12.9, and a PATH with no Python at all.
    bin_ = tmp_path / "pyenv" / "versions" / "3.12.9" / "bin"
    bin_.mkdir(parents=True)
    (bin_ / "python3").symlink_to(sys.executable)
    empty = tmp_path / "empty"
    empty.mkdir()
    env = {"PATH": str(empty), "PYENV_ROOT": str(tmp_path / "pyenv"), "HOME": str(tmp_path)}
    done = subprocess.run(["/bin/bash", str(FIND)], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(bin_ / "python3")


def test_it_says_so_in_one_line_when_there_is_none(tmp_path):
    env = {"PATH": str(tmp_path), "PYENV_ROOT": str(tmp_path / "none"), "HOME": str(tmp_path)}
    done = subprocess.run(["/bin/bash", str(FIND)], env=env, capture_output=True, text=True)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and "no Python 3.12 or newer found" in done.stderr


def test_the_readme_and_ci_use_it():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert '"$(bash scripts/find-python.sh)" -m venv .venv' in readme
    assert "bash scripts/find-python.sh" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
