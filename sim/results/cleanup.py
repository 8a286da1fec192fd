"""Pruning old result folders: keep the newest few of each scenario, never touch anything else.

A result folder is a directory under `results/` holding `manifest.json` (a finished run,
batch, score or compare) or `batch.json` (a batch, maybe unfinished). Folders are grouped by
their parent (`results/nato-2024/`, `results/compare/`, ...) and ordered by when they were
written. Nothing outside `results/` is ever removed, symbolic links are never followed, and
unfinished or locked batches are kept unless asked for.
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
    """Every result folder under `root`, without following links; and the links skipped."""
    found, skipped = [], []
    for here, dirs, _ in os.walk(root, followlinks=False):
        base = Path(here)
        for name in list(dirs):
            if (base / name).is_symlink():
                skipped.append((base / name, "a symbolic link (never followed)"))
                dirs.remove(name)
        if base != root and any((base / m).is_file() for m in MARKERS):
            found.append(_folder(base))
            dirs.clear()  # a result folder's own subfolders (plots/, chunks/) are part of it
    return found, skipped


def _folder(path: Path) -> Folder:
    marker = next(path / m for m in MARKERS if (path / m).is_file())
    size = sum(p.lstat().st_size for p in path.rglob("*") if p.is_file() or p.is_symlink())
    locked = any(p.name.endswith(".lock") or p.name == "lock" for p in path.iterdir())
    return Folder(path, marker.stat().st_mtime, size, (path / "manifest.json").is_file(), locked)


def prune(root: Path, keep: int, dry_run: bool = False, unfinished: bool = False) -> Pruning:
    """Remove all but the `keep` newest result folders of each group under `root`.

    Args:
        root: the results folder (`results/`); nothing outside it is touched.
        keep: how many of the newest folders of each group to keep (0 removes all).
        dry_run: only say what would be removed.
        unfinished: also remove unfinished batches (by default they are kept, to resume).

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
        for rank, f in enumerate(group):
            if rank < keep:
                out.kept.append(f)
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
