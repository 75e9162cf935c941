"""A project's statements as an xlsx workbook for finance (结算汇总表).

One row per household statement (code, head, villager group, outcome, status, income,
expenditure, net, paid, outstanding), then one total row per villager group and the project's
total, under the same amount columns. Amounts are numbers signed like the statement's net
(positive paid to the household, negative collected), as `settlement.selectors.totals` computes
them; the totals come from the database independently of the rows. Every cell goes through
`resettlement.spreadsheets.export_cell`, so no name can become a formula.
"""

from __future__ import annotations

import io
from decimal import Decimal

import openpyxl
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from households.models import Project
from resettlement.money import XLSX_MONEY_FORMAT
from resettlement.spreadsheets import export_cell
from settlement.selectors import totals as settlement_totals

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MONEY_FORMAT = XLSX_MONEY_FORMAT
HEADER_ROW = 3
_BOLD = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_TOTAL_FILL = PatternFill("solid", fgColor="F2F2F2")
_WIDTHS = (12, 12, 16, 16, 10, 15, 15, 15, 15, 15)


def headers() -> list[str]:
    return [
        _("户编号"),
        _("户主"),
        _("村民小组"),
        _("安置方式"),
        _("状态"),
        _("收入合计(元)"),
        _("支出合计(元)"),
        _("净额(元)"),
        _("已收付(元)"),
        _("未收付(元)"),
    ]


def file_name(project: Project) -> str:
    return f"statements-{project.code}-{timezone.localdate().isoformat()}.xlsx"


def _group_label(group) -> str:
    # Group names repeat across villages ("第一组"): the community says which.
    return f"{group.community.name} {group.name}"


def _append(
    sheet: Worksheet,
    values: list[object],
    *,
    bold: bool = False,
    fill: PatternFill | None = None,
) -> None:
    sheet.append([export_cell(value) for value in values])
    row = sheet.max_row
    for column, value in enumerate(values, start=1):
        cell = sheet.cell(row=row, column=column)
        if isinstance(value, Decimal):
            cell.number_format = MONEY_FORMAT
        if bold:
            cell.font = _BOLD
        if fill is not None:
            cell.fill = fill


def _amounts(totals: settlement_totals.Totals) -> list[Decimal]:
    return [totals.income, totals.expenditure, totals.net, totals.paid, totals.outstanding]


def statements_workbook(project: Project) -> bytes:
    """The project's statements and their totals as xlsx bytes (four queries)."""
    statements = list(settlement_totals.statement_list(project))
    groups = settlement_totals.group_totals(project)
    total = settlement_totals.project_totals(project)

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = _("结算汇总")
    _append(
        sheet,
        [_("%(code)s %(name)s 结算汇总表") % {"code": project.code, "name": project.name}],
        bold=True,
    )
    _append(
        sheet,
        [
            _("导出时间 %(t)s。") % {"t": timezone.localtime().strftime("%Y-%m-%d %H:%M")}
            + _("净额、已收付、未收付:正数为付给安置户,负数为向安置户收取。")
            + _("未收付仅计已审批的结算单。")
        ],
    )
    _append(sheet, headers(), bold=True, fill=_HEADER_FILL)
    for statement in statements:
        household = statement.household
        _append(
            sheet,
            [
                household.code,
                statement.head_name or "",
                _group_label(household.group),
                statement.get_outcome_display(),
                statement.get_status_display(),
                statement.income_total,
                statement.expenditure_total,
                statement.net,
                statement.paid,
                statement.outstanding,
            ],
        )
    sheet.append([])
    _append(
        sheet,
        [_("合计"), _("结算单数"), _("村民小组")],
        bold=True,
        fill=_HEADER_FILL,
    )
    for entry in groups:
        _append(
            sheet,
            [
                _("小组合计"),
                entry.totals.statements,
                _group_label(entry.group),
                "",
                "",
                *_amounts(entry.totals),
            ],
            fill=_TOTAL_FILL,
        )
    _append(
        sheet,
        [_("项目合计"), total.statements, "", "", "", *_amounts(total)],
        bold=True,
        fill=_TOTAL_FILL,
    )
    for column, width in enumerate(_WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.freeze_panes = sheet.cell(row=HEADER_ROW + 1, column=1)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
