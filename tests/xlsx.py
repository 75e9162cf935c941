"""Spreadsheets as a clerk makes them and as a person opening an export sees them: openpyxl
workbooks (and csv) in memory, for the roster (households) and apartment (allocation)
imports and exports.

Rows are dicts keyed by the resource's column keys (`households.resources`,
`allocation.resources`); `as_cells` puts them under the file's headers.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import openpyxl

from allocation import resources as apartment_columns
from households import resources as roster_columns
from resettlement.imports.files import read_roster
from tests.households.factories import id_number

_codes = itertools.count(1)


def as_cells(
    row: dict[str, Any],
    headers: Sequence[str] = roster_columns.HEADERS,
    columns: Mapping[str, Any] = roster_columns.COLUMN_BY_KEY,
) -> list[Any]:
    """The row's values in the order of `headers` (a roster row unless `columns` says)."""
    by_header = {columns[key].header: value for key, value in row.items()}
    return [by_header.get(header) for header in headers]


def workbook(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """An xlsx with `headers` on row 1 and then `rows`, cell by cell."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(list(headers))
    for cells in rows:
        sheet.append(list(cells))
    stream = io.BytesIO()
    book.save(stream)
    return stream.getvalue()


def read_xlsx(data: bytes) -> list[list[Any]]:
    """Every row of the first sheet, header included (as a person opening it would see)."""
    book = openpyxl.load_workbook(io.BytesIO(data))
    return [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]


# -- the household roster -------------------------------------------------------------------


def member_row(**overrides: Any) -> dict[str, Any]:
    """One member's row, keyed by column key; defaults to a qualified head of household."""
    birth = overrides.pop("birth", dt.date(1970, 3, 15))
    sex = overrides.pop("sex_code", "M")
    row = {
        "code": "H001",
        "community": "NGH",
        "group": "NGH-1",
        "address": "南宫河村1组3号",
        "phone": "13812345678",
        "agreement_number": "YH-2012-0001",
        "demolished_area": "180.50",
        "name": "张三",
        "id_number": id_number(birth, sex),
        "sex": "男" if sex == "M" else "女",
        "birth_date": birth.isoformat(),
        "relation": "户主",
        "hukou_nature": "农业",
        "hukou_moved_in": None,
        "hukou_moved_out": None,
        "marital_status": "已婚",
        "special_status": "无",
        "one_child_certificate": "否",
        "housing_welfare": "未享受",
    }
    row.update(overrides)
    return row


def household_rows(code: str | None = None, **household: Any) -> list[dict[str, Any]]:
    """A household of three: head, spouse and a child, all qualified."""
    code = code or f"H{next(_codes):04d}"
    common = {"code": code, **household}
    return [
        member_row(name="王建国", **common),
        member_row(
            name="李秀英",
            relation="配偶",
            birth=dt.date(1972, 5, 1),
            sex_code="F",
            **common,
        ),
        member_row(
            name="王小明",
            relation="子女",
            birth=dt.date(1998, 9, 9),
            marital_status="未婚",
            **common,
        ),
    ]


def roster_xlsx(
    rows: Iterable[dict[str, Any]], headers: Sequence[str] = roster_columns.HEADERS, *, raw_rows=()
) -> bytes:
    """An xlsx with `headers` on row 1 and one row per member; `raw_rows` are appended as is."""
    return workbook(headers, [*(as_cells(row, headers) for row in rows), *raw_rows])


def roster_csv(
    rows: Iterable[dict[str, Any]],
    headers: Sequence[str] = roster_columns.HEADERS,
    encoding: str = "utf-8-sig",
) -> bytes:
    stream = io.StringIO()
    writer = csv.writer(stream)
    writer.writerow(headers)
    for row in rows:
        writer.writerow(["" if v is None else v for v in as_cells(row, headers)])
    return stream.getvalue().encode(encoding)


# -- apartments -----------------------------------------------------------------------------


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


def apartments_xlsx(
    rows: Iterable[dict[str, Any]], headers: Sequence[str] = apartment_columns.HEADERS
) -> bytes:
    return workbook(
        headers, [as_cells(row, headers, apartment_columns.COLUMN_BY_KEY) for row in rows]
    )


def dataset_of(rows: Iterable[dict[str, Any]], headers: Sequence[str] = apartment_columns.HEADERS):
    return read_roster(apartments_xlsx(rows, headers), "xlsx")
