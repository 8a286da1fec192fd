"""Who is writing a results folder: the `.lock` a batch holds while it writes, and whether
the process that made it still runs (a lock left by a killed process is no one's)."""

import os
from pathlib import Path

from sim.results.files import read_regular

LOCK = ".lock"


def holder(out: Path) -> int | None:
    """The process id written in `out`/.lock, or None (no lock, or not a lock file)."""
    try:
        return int(read_regular(Path(out) / LOCK, 64).strip())
    except (OSError, ValueError):
        return None


def writer(out: Path) -> int | None:
    """The live process that holds `out`'s lock (a batch writing it); None if none does."""
    pid = holder(out)
    return pid if alive(pid) else None


def alive(pid: int | None) -> bool:
    """Whether process `pid` still runs: a zombie (killed, not yet reaped by its parent)
    writes nothing any more."""
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except (OverflowError, ValueError):  # not a process id at all
        return False
    try:  # Linux: the state letter after the command's name in parentheses
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return True
    return state not in ("Z", "X")
