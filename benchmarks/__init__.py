"""Benchmarks: measured side by side, never asserted in unit tests."""

from __future__ import annotations

from pathlib import Path

DOC = Path(__file__).resolve().parent.parent / "docs" / "PERFORMANCE.md"


def write_section(name: str, text: str, heading: str = "") -> None:
    """Replace the `name` section of docs/PERFORMANCE.md between its markers (or add it at the end)."""
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    current = DOC.read_text(encoding="utf-8") if DOC.exists() else "# Performance\n"
    block = f"{begin}\n{text}\n{end}"
    if begin in current and end in current:
        head, rest = current.split(begin, 1)
        current = head + block + rest.split(end, 1)[1]
    else:
        current = current.rstrip("\n") + "\n\n" + (f"{heading}\n\n" if heading else "") + block + "\n"
    DOC.write_text(current, encoding="utf-8")


def load_note() -> str:
    """The machine's load now, to print beside figures (they mean little on a busy machine)."""
    import os

    one, five, fifteen = os.getloadavg()
    return f"load average {one:.1f} / {five:.1f} / {fifteen:.1f} (1, 5, 15 min) on {os.cpu_count()} cores"
