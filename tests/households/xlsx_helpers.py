"""Build roster files the way a clerk would: openpyxl workbooks (and csv) in memory."""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
from collections.abc import Iterable, Sequence
from typing import Any

import openpyxl

from households.resources import COLUMN_BY_KEY, HEADERS
from tests.factories import id_number

_codes = itertools.count(1)


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


def as_cells(row: dict[str, Any], headers: Sequence[str] = HEADERS) -> list[Any]:
    by_header = {COLUMN_BY_KEY[key].header: value for key, value in row.items()}
    return [by_header.get(header) for header in headers]


def roster_xlsx(
    rows: Iterable[dict[str, Any]], headers: Sequence[str] = HEADERS, *, raw_rows=()
) -> bytes:
    """An xlsx with `headers` on row 1 and one row per member; `raw_rows` are appended as is."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(list(headers))
    for row in rows:
        sheet.append(as_cells(row, headers))
    for cells in raw_rows:
        sheet.append(list(cells))
    stream = io.BytesIO()
    book.save(stream)
    return stream.getvalue()


def roster_csv(
    rows: Iterable[dict[str, Any]], headers: Sequence[str] = HEADERS, encoding: str = "utf-8-sig"
) -> bytes:
    stream = io.StringIO()
    writer = csv.writer(stream)
    writer.writerow(headers)
    for row in rows:
        writer.writerow(["" if v is None else v for v in as_cells(row, headers)])
    return stream.getvalue().encode(encoding)


def read_xlsx(data: bytes) -> list[list[Any]]:
    """Every row of the first sheet, header included (as a person opening it would see)."""
    book = openpyxl.load_workbook(io.BytesIO(data))
    return [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]
