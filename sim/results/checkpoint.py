"""A checkpoint: a JSON Lines file of what a long computation has finished so far.

Its first line holds the settings it was written under (written whole: a temporary name,
then a rename); every later line is one finished step, appended, flushed and fsync'd as soon
as it is known, so a kill loses at most the step in progress and never an earlier line. A
last line cut short by a kill while it was written is dropped when the file is read again.
"""

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from sim.results.files import read_regular, write_atomic


class DamagedCheckpoint(ValueError):
    """A file that is no checkpoint: no settings line, or a bad line before its last."""


@dataclass
class Checkpoint:
    """The settings line and the steps of a checkpoint file, and appends to it.

    Example:
        >>> kept = Checkpoint.create(path, {"seed": 1})
        >>> kept.append({"values": {"noise": 0.3}, "loss": 0.21})
        >>> Checkpoint.read(path).entries
        [{'values': {'noise': 0.3}, 'loss': 0.21}]
    """

    path: Path
    settings: dict
    entries: list[dict] = field(default_factory=list)
    torn: bool = False  # a last line cut short was dropped when this was read
    whole: int = 0  # bytes of the whole lines, before a torn one

    @classmethod
    def create(cls, path: Path, settings: dict) -> "Checkpoint":
        """A new checkpoint holding only `settings`, replacing any file at `path`.

        Args:
            path: the file.
            settings: what the steps depend on (JSON); a resume compares them.

        Returns:
            The checkpoint, with no entries.
        """
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, json.dumps({"settings": settings}) + "\n")
        return cls(path, settings)

    @classmethod
    def read(cls, path: Path) -> "Checkpoint":
        """The checkpoint at `path`, to go on with.

        A last line cut short (no newline, or not JSON) is dropped (`torn` says so); the
        file is left as it is until the next append, which cuts it off first.

        Raises:
            OSError: the file cannot be read.
            DamagedCheckpoint: not a regular file of UTF-8 text, no settings line, or a line
                other than the last that is not a JSON object.
        """
        path = Path(path)
        try:
            text = read_regular(path, limit=None)
        except ValueError:
            raise DamagedCheckpoint(f"{path} is not a text file") from None
        lines = text.split("\n")  # the part after the last newline: "" or a torn line
        whole, rest = lines[:-1], lines[-1]
        torn = bool(rest)
        entries = []
        for n, line in enumerate(whole):
            try:
                entry = json.loads(line)
            except ValueError:
                entry = None
            if not isinstance(entry, dict):
                if n == len(whole) - 1 and not rest and n > 0:  # the last line, not JSON
                    whole, torn = whole[:-1], True
                    break
                raise DamagedCheckpoint(f"{path}: line {n + 1} is not a JSON object")
            entries.append(entry)
        if not entries or not isinstance(entries[0].get("settings"), dict):
            raise DamagedCheckpoint(f"{path} has no settings line")
        size = sum(len(line.encode()) + 1 for line in whole)
        return cls(path, entries[0]["settings"], entries[1:], torn, size)

    def append(self, entry: dict) -> None:
        """Add `entry` as the file's last line; it is on disk when this returns."""
        line = json.dumps(entry) + "\n"
        if self.torn:  # the torn line goes first, or this one would continue it
            os.truncate(self.path, self.whole)
            self.torn = False
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(line)
            fh.flush()
            os.fsync(fh.fileno())
        self.entries.append(entry)
