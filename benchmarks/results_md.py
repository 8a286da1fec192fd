"""benchmarks/RESULTS.md: each benchmark owns one `## ` section of it."""

from pathlib import Path

PATH = Path(__file__).resolve().parent / "RESULTS.md"


def replace_section(heading: str, lines: list[str]) -> Path:
    """Put `lines` (starting with a blank line, then `heading`) at the end of RESULTS.md in
    place of this benchmark's earlier section, keeping every other section."""
    old = PATH.read_text() if PATH.exists() else "# Benchmarks\n"
    if heading in old:
        head, rest = old.split(heading, 1)
        tail = rest[rest.index("\n## ") :] if "\n## " in rest else ""
        old = head.rstrip("\n") + "\n" + tail
    PATH.write_text(old.rstrip("\n") + "\n" + "\n".join(lines))
    return PATH
