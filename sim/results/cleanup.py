"""Pruning old result folders: keep the newest few of each scenario, never touch anything else.

A result folder is a directory under `results/` holding `manifest.json` (a finished run,
batch or score) or `batch.json` (a batch, maybe unfinished), or a comparison's folder with
its batches nested in it (`compare/<stamp>/`, its batches and `sets/`): one unit, kept or
removed whole, never a batch out of it. Units are grouped by their parent (`results/nato-2024/`,
`results/compare/`, ...) and ordered by when they were written. Nothing outside
`results/` is ever removed, symbolic links are never followed, and unfinished or locked
batches (or comparisons holding one) are kept unless asked for. Only finished folders count
towards the newest few kept: an unfinished one is kept besides them.
"""

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

MARKERS = ("manifest.json", "batch.json")


@dataclass(frozen=True)
class Folder:
    """One result folder: where it is, when it was written, its size, and its state."""

    path: Path
    written: float  # seconds since the epoch, of its manifest (or batch.json)
    size: int  # bytes
    finished: bool
    locked: bool


@dataclass
class Pruning:
    """What `prune` removed (or, on a dry run, would remove) and what it kept."""

    removed: list[Folder] = field(default_factory=list)
    kept: list[Folder] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)  # (path, why)

    @property
    def freed(self) -> int:
        return sum(f.size for f in self.removed)


def result_folders(root: Path) -> tuple[list[Folder], list[tuple[Path, str]]]:
    """Every result folder under `root`, each one unit, without following links; and the
    links skipped."""
    found, skipped = [], []
    for here, dirs, _ in os.walk(root, followlinks=False):
        base = Path(here)
        for name in list(dirs):
            if (base / name).is_symlink():
                skipped.append((base / name, "a symbolic link (never followed)"))
                dirs.remove(name)
        depth = len(base.relative_to(root).parts)
        if depth == 0 or not (_marked(base) or (depth == 2 and _comparison(base))):
            continue  # results/ itself, a group (results/nato-2024/), or a folder of the user's
        dirs.clear()  # all that is nested (plots/, chunks/, a comparison's batches) is its own
        if (unit := _folder(base)) is not None:
            found.append(unit)
    return found, skipped


def _comparison(path: Path) -> bool:
    """A comparison's folder: under results/compare/, or holding a finished one's table.
    Only such a folder is taken whole with the batches in it; any other folder is looked
    into for result folders, so that nothing of the user's beside a batch goes with it."""
    return path.parent.name == "compare" or (path / "compare.csv").is_file()


def _marked(path: Path) -> bool:
    return any((path / m).is_file() for m in MARKERS)


def _folder(path: Path) -> Folder | None:
    """The unit at `path` with every result folder nested in it, or None if it holds none."""
    size, marked, locked, own_files = 0, [], False, False
    for here, dirs, files in os.walk(path, followlinks=False):
        base = Path(here)
        links = [d for d in dirs if (base / d).is_symlink()]  # removed, never followed
        names = files + links
        size += sum((base / n).lstat().st_size for n in names)
        locked |= any(n.endswith(".lock") or n == "lock" for n in names)
        own_files |= base == path and bool(files)
        if _marked(base):
            marked.append(base)
    if not marked:
        return None  # no batch in it (a sensitivity or crossval folder): not clean's to remove
    written = max(next(p / m for m in MARKERS if (p / m).is_file()).stat().st_mtime for p in marked)
    # a comparison is finished once all its batches are and its own tables are written
    finished = all((p / "manifest.json").is_file() for p in marked) and (_marked(path) or own_files)
    return Folder(path, written, size, finished, locked)


def prune(root: Path, keep: int, dry_run: bool = False, unfinished: bool = False) -> Pruning:
    """Remove all but the `keep` newest finished result folders of each group under `root`;
    a comparison (or any folder with batches nested in it) counts as one and goes whole.
    Unfinished and locked folders are not counted: they are kept besides the `keep`
    (unfinished ones unless `unfinished`).

    Args:
        root: the results folder (`results/`); nothing outside it is touched.
        keep: how many of the newest finished folders of each group to keep (0 removes
            all finished ones).
        dry_run: only say what would be removed.
        unfinished: also remove unfinished batches, however new (by default they are
            kept, to resume, besides the `keep` finished ones), and comparisons holding one.

    Returns:
        A Pruning: the folders removed (or that would be), kept and skipped.
    """
    root = Path(root)
    out = Pruning()
    if not root.is_dir():
        return out
    real_root = root.resolve()
    folders, out.skipped = result_folders(root)
    groups: dict[Path, list[Folder]] = {}
    for f in folders:
        groups.setdefault(f.path.parent, []).append(f)
    for group in groups.values():
        group.sort(key=lambda f: (f.written, f.path.name), reverse=True)
        rank = 0  # finished folders newer than this one: only they count towards `keep`
        for f in group:
            if f.finished and not f.locked and rank < keep:
                out.kept.append(f)
                rank += 1
            elif f.locked:
                out.skipped.append((f.path, "locked: a batch may be running in it"))
            elif not f.finished and not unfinished:
                out.skipped.append((f.path, "an unfinished batch (resume it, or --unfinished)"))
            elif not f.path.resolve().is_relative_to(real_root) or f.path.resolve() == real_root:
                out.skipped.append((f.path, f"outside {root}/"))
            else:
                out.removed.append(f)
    if not dry_run:
        for f in out.removed:
            shutil.rmtree(f.path)
    return out


def human(size: int) -> str:
    """Bytes as `12.3 MB`."""
    value = float(size)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")
