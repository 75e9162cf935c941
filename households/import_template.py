"""The roster template clerks download: the header row, and a sheet explaining each column.

Built from `households.resources.COLUMNS`, so the template, the import and the export
always agree on the columns.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Collection, Sequence

import openpyxl
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from households.resources import COLUMNS
from resettlement.imports.base import Column
from resettlement.spreadsheets import export_row

ROSTER_SHEET = "安置户名册"
HELP_SHEET = "填表说明"
FILE_NAME = "安置户名册导入模板.xlsx"
# Columns Excel must keep as typed: an 18-digit ID becomes 3.3E+17, a leading 0 vanishes.
_TEXT_COLUMNS = {"code", "community", "group", "phone", "agreement_number", "id_number"}
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_REQUIRED_FILL = PatternFill("solid", fgColor="FCE4D6")


def allowed_values(column: Column) -> list[str]:
    """The values a column's drop-down offers, in the current language (the import takes either)."""
    if column.choices is not None:
        return [str(choice.label) for choice in column.choices]
    if column.key == "one_child_certificate":
        return [_("是"), _("否")]
    return []


def _listed(values: list[str]) -> str:
    return pgettext("list separator", "、").join(values)


def template_workbook(
    *,
    sheet_title: str,
    columns: Sequence[Column],
    text_keys: Collection[str],
    allowed: Callable[[Column], list[str]],
    guide_lines: Sequence[str],
    guide_widths: Sequence[int],
) -> bytes:
    """An import template as xlsx bytes: the header row (required columns orange, text
    columns formatted as text, a drop-down where `allowed` gives values) and a sheet with
    `guide_lines` and each column's help."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = sheet_title
    sheet.append(export_row([column.header for column in columns]))
    sheet.freeze_panes = "A2"
    rows = settings.IMPORT_MAX_ROWS + 1
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        cell = sheet.cell(row=1, column=index)
        cell.font = Font(bold=True)
        cell.fill = _REQUIRED_FILL if column.required else _HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center")
        dimension = sheet.column_dimensions[letter]
        dimension.width = column.width
        if column.key in text_keys:
            dimension.number_format = "@"
        values = allowed(column)
        if values:
            # Excel's drop-down list; codes are accepted too, so a warning, not a stop.
            check = DataValidation(
                type="list",
                formula1='"{}"'.format(",".join(values)),
                allow_blank=True,
                errorStyle="warning",
                showErrorMessage=True,
                error=_("请从下拉列表中选择。"),
            )
            check.add(f"{letter}2:{letter}{rows}")
            sheet.add_data_validation(check)

    guide = book.create_sheet(HELP_SHEET)
    guide.append(export_row([_("填表说明")]))
    guide["A1"].font = Font(bold=True, size=14)
    for line in guide_lines:
        guide.append(export_row([line]))
    guide.append([])
    guide.append(export_row([_("列名"), _("是否必填"), _("说明"), _("可填写的值")]))
    header_row = guide.max_row
    for cell in guide[header_row]:
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
    for column in columns:
        guide.append(
            export_row(
                [
                    column.header,
                    _("必填") if column.required else _("选填"),
                    str(column.help),
                    _listed(allowed(column)),
                ]
            )
        )
    for letter, width in zip("ABCD", guide_widths, strict=True):
        guide.column_dimensions[letter].width = width
    for row in guide.iter_rows(min_row=header_row + 1):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")

    stream = io.BytesIO()
    book.save(stream)
    return stream.getvalue()


def limits_line() -> str:
    """The guide's line on a file's limits, the same for every import."""
    return _("5. 每份文件最多 %(rows)d 行、%(mb).0f MB;只接受 .xlsx 或 .csv 文件。") % {
        "rows": settings.IMPORT_MAX_ROWS,
        "mb": settings.IMPORT_MAX_BYTES / 1048576,
    }


def all_or_nothing_line() -> str:
    return _(
        "4. 导入时整份文件一起检查:只要有一行有错,整份文件都不导入,"
        "系统会列出每处错误的行号、列名和原因,改正后重新导入即可。"
    )


def roster_template() -> bytes:
    """The template as xlsx bytes."""
    return template_workbook(
        sheet_title=ROSTER_SHEET,
        columns=COLUMNS,
        text_keys=_TEXT_COLUMNS,
        allowed=allowed_values,
        guide_lines=(
            _("1. 第1行是表头,请勿修改、删除或调换列;从第2行起每行填写一名家庭成员。"),
            _("2. 同一户的每一行都要填写户的各列(户编号至被拆迁房屋面积),且内容完全相同。"),
            _("3. 橙色表头为必填列。日期写成 2013-06-30;身份证号等列已设为文本格式,请勿改成数字。"),
            all_or_nothing_line(),
            limits_line(),
        ),
        guide_widths=(18, 10, 60, 50),
    )
