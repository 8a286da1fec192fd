"""The coalition-sim command this process runs, for the files that record what made them."""

import shlex

# The arguments of the coalition-sim command this process runs (set by the CLI's `main`);
# None when the package is used from Python, whose script is no coalition-sim command.
_command: list[str] | None = None


def record_command(argv: list[str] | None) -> None:
    """Remember the coalition-sim arguments this process runs, for the manifests it writes."""
    global _command
    _command = None if argv is None else list(argv)


def command_line() -> str | None:
    """The coalition-sim command this process runs, quoted as a shell would need it, or
    None when the package is called from Python."""
    return None if _command is None else shlex.join(["coalition-sim", *_command])
