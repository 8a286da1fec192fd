"""A batch's results folder: its plan, a lock, finished chunks, resume, and the merge.

A chunk is one `.npz` file (a zip whose members carry CRCs) and a `.done` marker written
after it, holding the file's size and sha256. On resume a chunk counts as done only when
its marker belongs to this batch and its file matches the marker; anything else (missing,
empty, truncated, altered) is computed again, with a one-line notice. After the merge the
chunks are removed: the folder's tables and `results.npz` hold everything they held.
"""

import contextlib
import hashlib
import json
import os
import re
import sys
from pathlib import Path

from sim.batching.plan import Chunk, Plan
from sim.batching.points import point_file, point_texts
from sim.batching.worker import ChunkResult
from sim.errors import Problem, ScenarioError
from sim.results.command import command_line
from sim.results.files import read_regular, write_atomic, write_json
from sim.results.lock import LOCK, writer
from sim.results.results import Results

SYNC_EACH = 8  # up to this many points, each point's file is flushed to disk on its own
# The names of the files a batch writes under chunks/ (a chunk, its marker, its tables).
CHUNK_FILE = re.compile(r"r\d+\.(npz|done|[a-z]+\.gz)(\.tmp)?")


class BatchFolderError(ScenarioError):
    """An output folder that holds a different batch, or that another batch is writing."""


def recorded_format(info: dict) -> str:
    """The table format a batch.json says its batch writes ("csv" before it said)."""
    return info.get("format", "csv")


def recorded_command(out: Path) -> str | None:
    """The command batch.json in `out` says began the batch; None if it says none."""
    try:
        return json.loads(read_regular(out / "batch.json")).get("command")
    except (OSError, ValueError, AttributeError):
        return None


def recorded_batch(out: Path) -> tuple[str | None, str | None]:
    """The key and table format batch.json in `out` records; (None, None) if it is missing
    or unreadable."""
    try:
        info = json.loads(read_regular(out / "batch.json"))
        return info.get("key"), recorded_format(info)
    except (OSError, ValueError, AttributeError):
        return None, None


def prepare_folder(out: Path, plan: Plan, force: bool = False, format: str = "csv") -> None:
    """Create `out` for this plan, or check that it already belongs to this very batch
    (written in the same table `format`, which batch.json records).

    With `force` (the user's `--force`) a folder that holds other files or another batch
    is written into: the other batch's state (its manifest, plan, points and chunks) is
    set aside first, so that nothing of it is taken for this batch's."""
    recorded = out / "batch.json"
    if recorded.exists():
        key, was = recorded_batch(out)
        if key == plan.key and was == format:
            check_outputs(out, format)  # this very batch: it goes on, if it can write
            return
        if key == plan.key and not force:
            msg = f"holds this batch with {was} tables; go on with --format {was}, or choose another --out"
            raise BatchFolderError([Problem(str(out), None, "", msg)])
        if not force:
            msg = "holds a different batch (scenario, sweep, runs, seed or chunk differ); choose another --out"
            raise BatchFolderError([Problem(str(out), None, "", msg)])
    elif out.exists() and any(p.name != LOCK for p in out.iterdir()) and not force:
        raise BatchFolderError(
            [Problem(str(out), None, "", "is not empty and holds no batch; choose another --out")]
        )
    check_outputs(out, format)
    if force:
        _set_aside(out)
    (out / "chunks").mkdir(parents=True, exist_ok=True)
    # Each point's resolved scenario (the first whole, the others as differences from it),
    # so the folder can be read (and any replication replayed) exactly, even after the
    # scenario file changes or from another directory.
    (out / "points").mkdir(exist_ok=True)
    each = len(plan.points) <= SYNC_EACH  # else one flush to disk for all (a sweep of 1,000
    # points spent 2 s in fsync, one per file)
    for point, text in zip(plan.points, point_texts(plan.points), strict=True):
        write_atomic(point_file(out, point.index), text, sync=each)
    if not each:
        os.sync()
    # The command that began the batch: its manifest names it, however it is resumed.
    write_json(recorded, {**plan.describe(), "format": format, "command": command_line()})


# What a batch writes at the top of its folder (the tables besides), files and folders.
OUTPUT_FILES = ("batch.json", "manifest.json", "summary.json", "report.md", "results.npz",
                "trajectories.npz")  # fmt: skip
OUTPUT_FOLDERS = ("chunks", "points", "plots")


def _a_folder(path: Path) -> bool:
    """A folder at `path`, which no rename replaces (a file, FIFO or link is replaced)."""
    return path.is_dir() and not path.is_symlink()


def check_outputs(out: Path, format: str = "csv") -> None:
    """Before any work: every path the batch will write in `out` can take what goes there
    (no folder where a file goes, no file where a folder goes), so that a batch never fails
    after its work, at its merge. Raises BatchFolderError naming the first that cannot."""
    from sim.results.tables import TABLES

    suffix = ".csv.gz" if format == "csv" else ".parquet"
    files = [*OUTPUT_FILES, *(t + suffix for t in TABLES)]
    for name in files + [f + ".tmp" for f in files]:
        if _a_folder(out / name):
            msg = f"holds a folder named {name} where a batch writes a file; remove it or choose another --out"
            raise BatchFolderError([Problem(str(out), None, "", msg)])
    for name in OUTPUT_FOLDERS:
        if (out / name).exists() and not (out / name).is_dir():
            msg = f"holds a file named {name} where a batch keeps its {name}/ folder; remove it or choose another --out"
            raise BatchFolderError([Problem(str(out), None, "", msg)])
    if (out / "chunks").is_dir():
        with os.scandir(out / "chunks") as entries:
            for entry in entries:
                if CHUNK_FILE.fullmatch(entry.name) and entry.is_dir(follow_symlinks=False):
                    msg = f"holds a folder chunks/{entry.name} where a batch writes a chunk file; remove it or choose another --out"
                    raise BatchFolderError([Problem(str(out), None, "", msg)])


class FolderLock:
    """`out/.lock`, created exclusively: two batches never write one folder at once.

    A lock left by a process that no longer runs is taken over."""

    def __init__(self, out: Path):
        self.path = Path(out) / LOCK

    def __enter__(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for _ in range(2):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                if (pid := writer(self.path.parent)) is not None:
                    msg = f"another batch (process {pid}) is writing this folder; wait for it or choose another --out"
                    raise BatchFolderError(
                        [Problem(str(self.path.parent), None, "", msg)]
                    ) from None
                try:
                    self.path.unlink(missing_ok=True)  # stale: its process is gone
                except OSError:
                    msg = f"holds a {LOCK} that is not a lock file (a folder?); remove it or choose another --out"
                    raise BatchFolderError(
                        [Problem(str(self.path.parent), None, "", msg)]
                    ) from None
                continue
            with os.fdopen(fd, "w") as fh:
                fh.write(str(os.getpid()))
            return self
        raise BatchFolderError([Problem(str(self.path.parent), None, "", "cannot lock the folder")])

    def __exit__(self, *exc):
        self.path.unlink(missing_ok=True)


def chunk_file(out: Path, chunk: Chunk) -> Path:
    """A chunk's .npz file (its `Results.to_bytes`)."""
    return out / "chunks" / f"{chunk.name}.npz"


def _marker(out: Path, chunk: Chunk) -> Path:
    return out / "chunks" / f"{chunk.name}.done"


def done_chunks(out: Path, plan: Plan, notice=None) -> set[str]:
    """Names of the chunks whose file is whole and belongs to this batch.

    A damaged or foreign piece is reported through `notice` (one line) and not counted."""
    done = set()
    notice = notice or (lambda line: print(line, file=sys.stderr))
    for chunk in plan.chunks:
        marker, data = _marker(out, chunk), chunk_file(out, chunk)
        if not marker.exists() and not data.exists():
            continue
        try:
            info = json.loads(read_regular(marker, 4096))
            whole = (
                info.get("key") == plan.key
                and data.stat().st_size == info["bytes"]
                and _sha256(data) == info["sha256"]
            )
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            whole = False
        if whole:
            done.add(chunk.name)
        else:
            notice(
                f"{out}: chunk {chunk.name} is damaged, incomplete or from another batch; computing it again"
            )
    return done


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def write_chunk(out: Path, plan: Plan, result: ChunkResult) -> None:
    """Write a chunk's file atomically, then its marker (size and sha256 of the file)."""
    data = result.results.to_bytes()
    write_atomic(chunk_file(out, result.chunk), data)
    marker = {"key": plan.key, "runs": result.chunk.stop - result.chunk.start,
              "errors": result.errors, "seconds": round(result.seconds, 4),
              "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}  # fmt: skip
    write_atomic(_marker(out, result.chunk), json.dumps(marker))


def read_chunk(out: Path, chunk: Chunk) -> Results:
    """A finished chunk's results."""
    return Results.from_bytes(chunk_file(out, chunk))


def chunk_errors(out: Path, chunk: Chunk) -> int:
    return int(json.loads(read_regular(_marker(out, chunk), 4096)).get("errors", 0))


def remove_chunks(out: Path) -> None:
    """Drop the chunk files once the merged results are written (resume needs them no more).

    Only the files a batch writes there go, so that a `chunks/` folder the user had in a
    folder given with `--force` keeps whatever else it holds."""
    folder = out / "chunks"
    if folder.is_symlink() or not folder.is_dir():
        return
    for path in folder.iterdir():
        if CHUNK_FILE.fullmatch(path.name) and not path.is_symlink() and path.is_file():
            path.unlink(missing_ok=True)
    with contextlib.suppress(OSError):  # something of the user's is left in it
        folder.rmdir()


# A batch's own outputs that a single run does not write, so would leave describing the
# batch that was there: removed when a run is forced into a batch's folder.
BATCH_ONLY = ("summary.json", "report.md")
BATCH_FIGURES = ("fan.png", "outcomes.png", "appointment_dates.png", "modal_stances.png",
                 "score_fan.png")  # fmt: skip


def clear_for_run(out: Path) -> None:
    """Before a run forced into a folder: set aside any batch there (its manifest, plan,
    points and chunks, as for a forced batch) and the batch outputs a run does not
    replace (its summary, report and figures), so that nothing in the folder
    describes a batch that is gone. The user's other files stay."""
    _set_aside(out)
    with contextlib.suppress(OSError):  # emptied by _set_aside; anything of the user's stays
        (out / "points").rmdir()
    for name in BATCH_ONLY:
        path = out / name
        if path.is_file() and not path.is_symlink():
            path.unlink()
    plots = out / "plots"
    if plots.is_dir() and not plots.is_symlink():
        for path in [*(plots / n for n in BATCH_FIGURES), *plots.glob("sweep_*.png")]:
            if path.is_file() and not path.is_symlink():
                path.unlink()


def _set_aside(out: Path) -> None:
    """Before a forced batch: remove what says another batch or run is complete here
    (manifest.json first), that batch's plan and its chunk files; the tables, figures
    and report are replaced when this batch finishes."""
    (out / "manifest.json").unlink(missing_ok=True)
    (out / "batch.json").unlink(missing_ok=True)
    remove_chunks(out)
    points = out / "points"
    if points.is_dir() and not points.is_symlink():
        for path in points.glob("p[0-9][0-9][0-9][0-9].json"):
            if path.is_file() and not path.is_symlink():
                path.unlink(missing_ok=True)
