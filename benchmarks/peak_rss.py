"""Peak memory of a command and of its worker processes, for the benchmarks.

`run_watched` runs a command under GNU time (%M: the main process's peak RSS) and polls
each worker's VmHWM. Not RUSAGE_CHILDREN: a child's ru_maxrss starts at its forking
parent's RSS, which is large in a benchmark process.
"""

import contextlib
import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Peaks:
    """What `run_watched` saw: exit status, seconds, peak RSS of main and workers (MiB)."""

    returncode: int
    wall: float
    main: float
    workers: list[float]  # largest first, one per worker seen


def read(path: str | Path) -> str:
    """A file's text, or "" once the process it describes has gone."""
    with contextlib.suppress(OSError), open(path) as fh:
        return fh.read()
    return ""


def run_watched(cmd: list[str], cwd: Path, log, tmp: str, env=None, every=0.1) -> Peaks:
    """Run `cmd` (output to the open file `log`) and watch its memory until it ends.

    Args:
        cmd: the command; cwd, env: where and with what environment it runs.
        log: an open file for its output; tmp: a folder for GNU time's figure.
        every: seconds between two polls of the workers.
    Returns:
        Its `Peaks`.
    """
    rss = Path(tmp, "rss")
    began = time.perf_counter()
    proc = subprocess.Popen(["/usr/bin/time", "-f", "%M", "-o", str(rss), *cmd],
                            cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
    workers: dict[str, int] = {}
    while proc.poll() is None:
        level = [str(proc.pid)]  # time > main > forkserver > workers
        for _ in range(3):
            level = [k for p in level for k in read(f"/proc/{p}/task/{p}/children").split()]
        for pid in level:
            peak = re.search(r"VmHWM:\s+(\d+)", read(f"/proc/{pid}/status"))
            workers[pid] = max(workers.get(pid, 0), int(peak.group(1)) if peak else 0)
        time.sleep(every)
    wall = time.perf_counter() - began
    said = read(rss).split()
    main = int(said[-1]) / 1024 if said and said[-1].isdigit() else float("nan")
    return Peaks(proc.returncode, wall, main, sorted((kb / 1024 for kb in workers.values()),
                                                     reverse=True))  # fmt: skip
