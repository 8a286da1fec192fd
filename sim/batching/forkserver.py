"""Imported by the forkserver a process pool starts its workers from (and only there).

A worker that cannot start because the batch stopped while it was being started (Ctrl-C:
the batch shut its pool down and exited, so the queue the worker was to read is gone)
exits without a traceback: the batch has said in one line that it was interrupted. Any
other failure to start is printed as before."""

import sys

GONE = (FileNotFoundError, EOFError, ConnectionError, KeyboardInterrupt)


def _quiet(kind, value, tb, _default=sys.excepthook) -> None:
    if not issubclass(kind, GONE):
        _default(kind, value, tb)


sys.excepthook = _quiet
