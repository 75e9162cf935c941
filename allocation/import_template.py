"""The apartment file template staff download: the header row and a sheet
explaining each column. Built from `allocation.resources.COLUMNS`, so the template, the import
and the export always agree on the columns."""

from __future__ import annotations

from django.utils.translation import gettext as _

from allocation.models import Orientation
from allocation.resources import COLUMNS
from households.import_template import all_or_nothing_line, limits_line, template_workbook
from resettlement.imports.base import Column
from resettlement.imports.files import XLSX_CONTENT_TYPE  # noqa: F401 - for the views

APARTMENT_SHEET = "安置房源"
FILE_NAME = "安置房源导入模板.xlsx"
# Codes Excel must keep as typed: "01" stays "01", "1-1-501" is not a date.
_TEXT_KEYS = {"estate", "building", "stair", "code", "apartment_type"}


def _orientations(column: Column) -> list[str]:
    return [str(label) for label in Orientation.labels] if column.choices is not None else []


def apartment_template() -> bytes:
    """The template as xlsx bytes."""
    return template_workbook(
        sheet_title=APARTMENT_SHEET,
        columns=COLUMNS,
        text_keys=_TEXT_KEYS,
        allowed=_orientations,
        guide_lines=(
            _("1. 第1行是表头,请勿修改、删除或调换列;从第2行起每行填写一套房。"),
            _("2. 导入前请先建立安置小区(含楼层档次规则)和户型;楼栋和单元没有的会自动建立。"),
            _("3. 档次(A/B/C)由小区的楼层档次规则按楼层自动确定,不用填写。"),
            all_or_nothing_line(),
            limits_line(),
        ),
        guide_widths=(16, 10, 60, 40),
    )
