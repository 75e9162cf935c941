"""The apartment import under attack: the same hostile files, formula cells, wrong types and
random cells as the roster's (tests/households/test_import_fuzz.py) never crash it and never
save part of a file."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from contextlib import contextmanager

import openpyxl
import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allocation.models import Apartment, Building, Stair
from allocation.resources import COLUMN_BY_KEY, HEADERS, apartments_import
from resettlement.imports.files import FileRejected, read_roster
from tests import hostile_files
from tests.xlsx import apartment_row, apartments_xlsx

FUZZ = settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def nothing_saved(project) -> bool:
    return not (
        Apartment.objects.filter(building__estate__project=project).exists()
        or Building.objects.filter(estate__project=project).exists()
        or Stair.objects.filter(building__estate__project=project).exists()
    )


@contextmanager
def rolled_back() -> Iterator[None]:
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def refusal(data: bytes, kind: str, *, actor, project) -> list[str]:
    """The file's refusal, or every problem by row and column; nothing saved."""
    try:
        report = apartments_import(actor=actor, project=project, dataset=read_roster(data, kind))
    except FileRejected as refused:
        assert refused.code and refused.message
        messages = [refused.message]
    else:
        assert not report.ok, "a hostile file was imported"
        messages = [str(problem) for problem in report.problems]
    assert messages and all(messages)
    assert nothing_saved(project)
    return messages


@FUZZ
@given(data=st.binary(max_size=4096), kind=st.sampled_from(["xlsx", "csv"]))
def test_random_bytes_are_refused_with_a_message(estate, types, leader, project, data, kind):
    refusal(data, kind, actor=leader, project=project)


@pytest.mark.parametrize(
    "hostile,code",
    [
        (lambda x: x[: len(x) // 2], "not_xlsx"),
        (
            lambda x: hostile_files.with_part(
                x, hostile_files.SHEET, hostile_files.billion_laughs("worksheet")
            ),
            "unreadable",
        ),
        (
            lambda x: hostile_files.with_shared_strings(x, hostile_files.billion_laughs("sst")),
            "unreadable",
        ),
        (
            lambda x: hostile_files.with_part(
                x, hostile_files.SHEET, hostile_files.external_entity()
            ),
            "unreadable",
        ),
        (hostile_files.understated_sheet, "unreadable"),
        (lambda x: hostile_files.many_members(x, 1000), "zip_bomb"),
    ],
    ids=["truncated", "xml-bomb", "shared-strings-bomb", "xxe", "lying-zip", "many-members"],
)
def test_a_hostile_workbook_is_refused_as_a_file(estate, types, leader, project, hostile, code):
    data = hostile(apartments_xlsx([apartment_row()]))

    with pytest.raises(FileRejected) as refused:
        read_roster(data, "xlsx")

    assert refused.value.code == code  # each says what is wrong with the file
    assert refused.value.message
    assert nothing_saved(project)


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
@pytest.mark.parametrize("formula", ["=cmd|' /C calc'!A0", '=HYPERLINK("http://x.example","房")'])
def test_a_formula_cell_is_refused_on_its_row_and_column(
    estate, types, leader, project, kind, formula
):
    rows = [apartment_row(code="1-1-101", floor=1), apartment_row(orientation=formula)]
    if kind == "xlsx":
        data = apartments_xlsx(rows)
    else:
        book = openpyxl.load_workbook(io.BytesIO(apartments_xlsx(rows)))
        stream = io.StringIO()
        csv.writer(stream).writerows(book.active.iter_rows(values_only=True))
        data = stream.getvalue().encode()

    messages = refusal(data, kind, actor=leader, project=project)

    assert any(m.startswith("第 3 行“朝向”列:单元格是公式") for m in messages), messages


WRONG = [
    ("floor", "五楼"),
    ("floor", 5.5),
    ("floor", -1),
    ("floor", 10**30),
    ("floors", True),
    ("area", "NaN"),
    ("area", "1e400"),
    ("area", dt.date(2020, 1, 1)),
    ("sequence", "一"),
    ("code", "房" * 500),
    ("apartment_type", 90),
]


@pytest.mark.parametrize("key,value", WRONG, ids=[f"{k}={v!r:.20}" for k, v in WRONG])
def test_a_cell_of_the_wrong_type_is_refused_on_its_row(estate, types, leader, project, key, value):
    rows = [apartment_row(code="1-1-101", floor=1), apartment_row(**{key: value})]

    messages = refusal(apartments_xlsx(rows), "xlsx", actor=leader, project=project)

    assert all(message.startswith("第 ") for message in messages), messages
    column = f"第 3 行“{COLUMN_BY_KEY[key].header}”列"
    assert any(message.startswith(column) for message in messages), messages  # the cell itself


CELL = st.one_of(
    st.none(),
    st.text(
        alphabet=st.characters(blacklist_categories=["Cs", "Cc"]) | st.sampled_from("=+-@'"),
        max_size=20,
    ),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.dates(min_value=dt.date(1900, 3, 1)),
    st.sampled_from(["E1", "1", "T90", "T60", "南北通透", "1-1-501", "12", "5", "91.2"]),
)


@FUZZ
@given(cells=st.lists(st.lists(CELL, min_size=len(HEADERS), max_size=len(HEADERS)), max_size=4))
def test_random_cells_under_a_valid_header_never_crash_or_half_save(
    estate, types, leader, project, cells
):
    book = openpyxl.Workbook()
    book.active.append(list(HEADERS))
    for row in cells:
        book.active.append(row)
    stream = io.BytesIO()
    book.save(stream)

    with rolled_back():
        try:
            report = apartments_import(
                actor=leader, project=project, dataset=read_roster(stream.getvalue(), "xlsx")
            )
        except FileRejected as refused:
            assert refused.code in {"no_rows", "empty_file"}
            assert nothing_saved(project)
            return
        if report.ok:
            saved = Apartment.objects.filter(building__estate__project=project).count()
            assert saved == report.apartments
            return
        assert nothing_saved(project)
        for problem in report.problems:
            assert problem.row is None or 1 <= problem.row <= len(cells) + 1
            assert str(problem)
