"""Output paths, checked before any work starts: never over an input, another run or batch,
a device, or into a folder that already holds files (unless the user says `--force`).

Each check raises ScenarioError with one sentence naming the path, so the command
line reports it like any other bad input (exit status 2) and nothing is computed.
"""

import os
import stat
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from sim.errors import Problem, ScenarioError, arg
from sim.results.lock import writer

YAML_SUFFIXES = (".yaml", ".yml")
NAME_MAX = 255  # bytes in one file or folder name (Linux, macOS and Windows file systems)
# What commands write (or remove) in a results folder: an input there is never written into,
# even with --force.
OUTPUT_NAMES = frozenset({"manifest.json", "batch.json", "report.md", "scores.csv", "results.npz",
                          "trajectories.npz", "compare.csv", "compare.md", "compare.png", "compare.json",
                          "compare-sets.csv", "robustness.csv",
                          "sensitivity.csv", "sensitivity.md", "pivotal.csv", "crossval.csv", "folds.json",
                          "chunks", "points", "plots"})  # fmt: skip
OUTPUT_SUFFIXES = (".csv.gz", ".parquet", ".tmp")


def _refuse(flag: str, path: Path, message: str) -> ScenarioError:
    where = f"{flag}{str(path)!r}" if flag.endswith("=") else f"{flag} {path}"  # out='x' (Python)
    return ScenarioError([Problem(where, None, "", message)])


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISREG(mode):
        return "a file"
    return "a device, FIFO or socket"


def _writable_parent(path: Path, flag: str, shown: Path) -> None:
    """The nearest existing ancestor of `path` is a folder this process can create files in."""
    parent = path.parent
    while not parent.exists():
        if parent == parent.parent:
            break
        parent = parent.parent
    if not parent.is_dir():
        raise _refuse(flag, shown, f"cannot be created: {parent} is {_kind(parent.stat().st_mode)}")
    try:  # a real probe: permission bits say nothing for root or a read-only mount
        probe = tempfile.mkdtemp(prefix=".coalition-sim-probe-", dir=parent)
        os.rmdir(probe)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise _refuse(
            flag, shown, f"cannot be written: {parent} refuses new files ({reason})"
        ) from None


# What a finished folder of each command holds: the file written last (and, for a folder
# written before it was, the files written after it then), so that one killed while it wrote
# its report or figures is not taken for finished.
FINISHED_COMPARISON = ("compare.csv", "compare.md", "compare.png")
FINISHED_ANALYSIS = ("sensitivity.md",)  # written after sensitivity.csv, pivotal.csv and plots/
FINISHED_SCORE = ("manifest.json", "scores.csv", "report.md")
FINISHED_BATCH = ("manifest.json",)  # after report.md and plots/ (none with --no-report)


def holds(folder: Path, names: tuple[str, ...]) -> bool:
    """Whether `folder` holds every one of the files `names`."""
    return all((folder / name).exists() for name in names)


def _same(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and a.samefile(b))
    except OSError:
        return False


def check_folder(
    out: Path,
    inputs: Iterable[Path] = (),
    force: bool = False,
    reuse: Callable[[Path], bool] | None = None,
    flag: str = "--out",
    forced_by: str | None = "--force",
    unfinished: Callable[[Path], str | None] | None = None,
) -> Path:
    """Check that results may be written into the folder `out`; return it.

    Args:
        out: the results folder.
        inputs: files the command reads (the scenario, its bases, a record).
        force: allow a folder that already holds files.
        reuse: says whether an existing non-empty folder is one this command may go on
            with (a batch folder of the same batch, for instance).
        flag: the option that named `out`, for the message.
        forced_by: the option that allows a busy folder, for the message (None: the
            command has none, as `batch`, which goes on only in its own batch's folder).
        unfinished: names what `out` holds when it is an unfinished run of this command
            ("score", say), else None: the refusal then suggests --resume (`resume=True`
            from Python), which keeps its work, before --force, which discards it.
    """
    out = Path(out)
    for part in out.parts:
        if len(os.fsencode(part)) > NAME_MAX:
            raise _refuse(
                flag, out, f"has a name longer than {NAME_MAX} bytes; choose a shorter one"
            )
    for path in inputs:
        if _same(out, Path(path)):
            raise _refuse(flag, out, "is an input of this command; choose another folder")
        if _written_in(out, Path(path)):
            even = f" (even with {forced_by})" if forced_by else ""
            raise _refuse(flag, out, f"would write over {path}, an input of this command"
                          f"{even}; choose another folder")  # fmt: skip
    if out.exists() or out.is_symlink():
        try:
            mode = out.stat().st_mode
        except OSError:
            raise _refuse(flag, out, "is a broken link; choose another folder") from None
        if not stat.S_ISDIR(mode):
            raise _refuse(flag, out, f"is {_kind(mode)}, not a folder; choose a folder")
        if (pid := writer(out)) is not None:  # never, even with --force: it would write over us
            raise _refuse(flag, out, f"another batch (process {pid}) is writing this folder; "
                          "wait for it or choose another folder")  # fmt: skip
        if any(out.iterdir()) and not force and not (reuse and reuse(out)):
            if unfinished and (what := unfinished(out)):
                raise _refuse(flag, out, f"holds an unfinished {what}; add {arg('resume')} to "
                              f"go on with it, or {forced_by or arg('force')} to start "
                              "anew")  # fmt: skip
            msg = "already holds files (another run or batch?); choose a new or empty folder"
            msg += f", or add {forced_by} to write into it" if forced_by else f" as {flag}"
            raise _refuse(flag, out, msg)
        probe_in = out / "probe"
    else:
        probe_in = out
    _writable_parent(probe_in, flag, out)
    return out


def _written_in(out: Path, path: Path) -> bool:
    """Whether `path` lies where a command writes in the folder `out` (or under a
    sub-folder a command writes, a folder of its own under compare's `out` included)."""
    try:
        inner = path.resolve().relative_to(out.resolve())
    except (ValueError, OSError):
        return False
    parts = inner.parts
    return bool(parts) and any(
        part in OUTPUT_NAMES or part.endswith(OUTPUT_SUFFIXES) for part in parts[:2]
    )


def check_file(out: Path, inputs: Iterable[Path] = (), force: bool = False, flag="--out",
               suffixes: tuple[str, ...] = YAML_SUFFIXES, forced_by: str = "add --force") -> Path:  # fmt: skip
    """Check that a file (by default a scenario file) may be written at `out`; return it.

    An input (the scenario, a base it extends, the record) is never written over, even
    with `force`; another existing file only with `force` (`forced_by`: how the user
    gives it, for the message).
    """
    out = Path(out)
    if not out.name.lower().endswith(suffixes):
        raise _refuse(flag, out, f"must name a {' or '.join(suffixes)} file")
    for path in inputs:
        if _same(out, Path(path)):
            raise _refuse(flag, out, "is an input of this command (the scenario, a base it "
                          "extends, or the record); choose another file")  # fmt: skip
    if out.exists() or out.is_symlink():
        try:
            mode = out.stat().st_mode
        except OSError:
            raise _refuse(flag, out, "is a broken link; choose another file") from None
        if not stat.S_ISREG(mode):
            raise _refuse(flag, out, f"is {_kind(mode)}, not a file")
        if not force:
            raise _refuse(flag, out, f"exists; choose another file, or {forced_by} to replace it")
    _writable_parent(out, flag, out)
    return out


def check_checkpoint(
    path: Path, inputs: Iterable[Path] = (), resume: bool = False, force: bool = False
) -> Path:
    """Check that a checkpoint may be written at `path` (with `resume`: gone on with).

    Never an input, even with `force`; one that exists only to resume it or with `force`
    (which starts it anew); with `resume`, one must exist.
    """
    path = Path(path)
    flag = "checkpoint"
    for inp in inputs:
        if _same(path, Path(inp)):
            raise _refuse(flag, path, "is an input of this command; choose another --out")
    if path.exists() or path.is_symlink():
        try:
            mode = path.stat().st_mode
        except OSError:
            raise _refuse(
                flag, path, "is a broken link; remove it or choose another --out"
            ) from None
        if not stat.S_ISREG(mode):
            raise _refuse(flag, path, f"is {_kind(mode)}, not a file; choose another --out")
        if not (resume or force):
            raise _refuse(flag, path, "holds the evaluations of an earlier run; add --resume "
                          "to go on with it, or --force to start anew")  # fmt: skip
    elif resume:
        raise _refuse("--resume", path, "does not exist: nothing to resume (run without --resume)")
    _writable_parent(path, flag, path)
    return path
