"""A PDF read back as text, as a person reading the printout would (pdftotext)."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path


def pdf_pages(pdf: bytes) -> list[str]:
    """Each page's text as pdftotext lays it out (a table row on one line)."""
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory, "roster.pdf")
        path.write_bytes(pdf)
        out = subprocess.run(  # noqa: S603
            ["pdftotext", "-layout", str(path), "-"],  # noqa: S607
            capture_output=True,
            check=True,
        )
    return out.stdout.decode().split("\f")[:-1]


def squeezed(text: str) -> str:
    """Text without whitespace: pdftotext spaces CJK text and table cells unpredictably."""
    return "".join(text.split())


def row_lines(page: str) -> set[str]:
    """The page's lines, whitespace removed: a table row reads as its cells run together."""
    return {squeezed(line) for line in page.splitlines() if line.strip()}
