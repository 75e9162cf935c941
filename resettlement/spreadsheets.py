"""Cells of every spreadsheet the system writes (xlsx and csv): `export_cell`.

Excel and LibreOffice run a text cell beginning with "=", "+", "-" or "@" as a formula, and
a cell beginning with a tab or a carriage return can smuggle one in ("CSV injection"): a
community named =HYPERLINK("http://…","点此") becomes a live link in whoever opens the
export. Every exported cell goes through `export_cell`, which puts an apostrophe before
such text, as OWASP advises — the cell then shows the text as written. Numbers, dates and
other values pass unchanged. An import takes the apostrophe back off (`imported_cell`), so
an exported roster imports as it was.

django-import-export's IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT is not used: it only strips
a leading "=" (losing data) and ignores the other triggers.
"""

from __future__ import annotations

from typing import Any

# What a spreadsheet may read as the start of a formula.
FORMULA_TRIGGERS = ("=", "+", "-", "@")
CONTROL_STARTS = ("\t", "\r", "\n")


def export_cell(value: Any) -> Any:
    """`value` as a spreadsheet cell that can never be a formula."""
    if not isinstance(value, str):
        return value
    if value.startswith(CONTROL_STARTS) or value.lstrip().startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def export_row(values: list[Any]) -> list[Any]:
    return [export_cell(value) for value in values]


def imported_cell(text: str) -> str:
    """Take back the apostrophe `export_cell` put before a cell (and only such a one)."""
    if text.startswith("'") and export_cell(text[1:]) == text:
        return text[1:]
    return text
