"""The apartment file template staff download: the header row, an example row, and a sheet
explaining each column. Built from `allocation.resources.COLUMNS`, so the template, the import
and the export always agree on the columns."""

from __future__ import annotations

import io

import openpyxl
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from .models import Orientation
from .resources import COLUMNS

APARTMENT_SHEET = "安置房源"
HELP_SHEET = "填表说明"
FILE_NAME = "安置房源导入模板.xlsx"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Codes Excel must keep as typed: "01" stays "01", "1-1-501" is not a date.
_TEXT_KEYS = {"estate", "building", "stair", "code", "apartment_type"}
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_REQUIRED_FILL = PatternFill("solid", fgColor="FCE4D6")


def _listed(values: list[str]) -> str:
    return pgettext("list separator", "、").join(values)


def apartment_template() -> bytes:
    """The template as xlsx bytes."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = APARTMENT_SHEET
    sheet.append([column.header for column in COLUMNS])
    sheet.freeze_panes = "A2"
    rows = settings.IMPORT_MAX_ROWS + 1
    orientations = [str(label) for label in Orientation.labels]
    for index, column in enumerate(COLUMNS, start=1):
        letter = get_column_letter(index)
        cell = sheet.cell(row=1, column=index)
        cell.font = Font(bold=True)
        cell.fill = _REQUIRED_FILL if column.required else _HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center")
        sheet.column_dimensions[letter].width = column.width
        if column.key in _TEXT_KEYS:
            sheet.column_dimensions[letter].number_format = "@"
        if column.choices is not None:
            check = DataValidation(
                type="list",
                formula1='"{}"'.format(",".join(orientations)),
                allow_blank=True,
                errorStyle="warning",
                showErrorMessage=True,
                error=_("请从下拉列表中选择。"),
            )
            check.add(f"{letter}2:{letter}{rows}")
            sheet.add_data_validation(check)

    guide = book.create_sheet(HELP_SHEET)
    guide.append([_("填表说明")])
    guide["A1"].font = Font(bold=True, size=14)
    for line in (
        _("1. 第1行是表头,请勿修改、删除或调换列;从第2行起每行填写一套房。"),
        _("2. 导入前请先建立安置小区(含楼层档次规则)和户型;楼栋和单元没有的会自动建立。"),
        _("3. 档次(A/B/C)由小区的楼层档次规则按楼层自动确定,不用填写。"),
        _(
            "4. 导入时整份文件一起检查:只要有一行有错,整份文件都不导入,"
            "系统会列出每处错误的行号、列名和原因,改正后重新导入即可。"
        ),
        _("5. 每份文件最多 %(rows)d 行、%(mb).0f MB;只接受 .xlsx 或 .csv 文件。")
        % {"rows": settings.IMPORT_MAX_ROWS, "mb": settings.IMPORT_MAX_BYTES / 1048576},
    ):
        guide.append([line])
    guide.append([])
    guide.append([_("列名"), _("是否必填"), _("说明"), _("可填写的值")])
    header_row = guide.max_row
    for cell in guide[header_row]:
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
    for column in COLUMNS:
        guide.append(
            [
                column.header,
                _("必填") if column.required else _("选填"),
                str(column.help),
                _listed(orientations) if column.choices is not None else "",
            ]
        )
    for letter, width in zip("ABCD", (16, 10, 60, 40), strict=True):
        guide.column_dimensions[letter].width = width
    for row in guide.iter_rows(min_row=header_row + 1):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")

    stream = io.BytesIO()
    book.save(stream)
    return stream.getvalue()
