"""Build apartment files the way a clerk would: openpyxl workbooks in memory."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any

import openpyxl

from allocation.resources import COLUMN_BY_KEY, HEADERS
from resettlement.imports.files import read_roster


def apartment_row(**overrides: Any) -> dict[str, Any]:
    """One apartment's row by column key: estate E1, building 1 (12 floors), floor 5, T90."""
    row = {
        "estate": "E1",
        "building": "1",
        "sequence": 1,
        "floors": 12,
        "stair": "1",
        "code": "1-1-501",
        "floor": 5,
        "area": 91.2,
        "apartment_type": "T90",
        "orientation": "南北通透",
    }
    row.update(overrides)
    return row


def as_cells(row: dict[str, Any], headers: Sequence[str] = HEADERS) -> list[Any]:
    by_header = {COLUMN_BY_KEY[key].header: value for key, value in row.items()}
    return [by_header.get(header) for header in headers]


def apartments_xlsx(rows: Iterable[dict[str, Any]], headers: Sequence[str] = HEADERS) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(list(headers))
    for row in rows:
        sheet.append(as_cells(row, headers))
    stream = io.BytesIO()
    book.save(stream)
    return stream.getvalue()


def dataset_of(rows: Iterable[dict[str, Any]], headers: Sequence[str] = HEADERS):
    return read_roster(apartments_xlsx(rows, headers), "xlsx")


def read_xlsx(data: bytes) -> list[list[Any]]:
    book = openpyxl.load_workbook(io.BytesIO(data))
    return [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]
