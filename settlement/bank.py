"""Bank batch files for payments made on households' and developers' behalf (代发), and the
bank's result files read back. The layouts are fixed (docs/settlement.md, "Bank files"):
the headers are Chinese whatever the reader's language, because the bank's system reads them.

Batch file (代发文件), xlsx or CSV (UTF-8 with a BOM, so Excel opens it in Chinese), one row
per payment: 序号, 参考号, 户名, 开户银行, 账号, 金额(元), 用途. The reference is the system's
own, unique in the batch; the bank echoes it in its result file. Amounts have two decimals;
account numbers are text (Excel would turn 19 digits into 6.22E+18).

Result file (银行回盘文件), xlsx or CSV: 参考号, 金额(元), 结果 (成功 or 失败), 失败原因,
银行流水号. It is read all or nothing: every row is checked against the batch it answers
(`expected`: reference → amount) and any problem refuses the whole file, naming the row,
column and problem (`resettlement.imports.base.ImportProblem`). A batch row the file does
not mention stays waiting for its result.

This module only writes and reads files; the services that own runs and settlements decide
what a paid or failed row means.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import openpyxl
from django.utils.translation import gettext as _
from openpyxl.styles import Font

from resettlement.imports.base import (
    ImportProblem,
    ImportRejected,
    dataset_problems,
    formula_message,
    is_formula,
)
from resettlement.imports.files import format_for_name, read_roster
from resettlement.spreadsheets import export_row, imported_cell

BATCH_HEADERS = ("序号", "参考号", "户名", "开户银行", "账号", "金额(元)", "用途")
RESULT_HEADERS = ("参考号", "金额(元)", "结果", "失败原因", "银行流水号")
PAID_WORDS = ("成功", "success", "S")
FAILED_WORDS = ("失败", "failed", "F")
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MONEY_FORMAT = "#,##0.00"


@dataclass(frozen=True)
class BatchRow:
    """One payment of a batch: `reference` is unique in the batch and comes back in the
    bank's result file."""

    reference: str
    holder: str
    bank: str
    account: str
    amount: Decimal
    purpose: str


@dataclass(frozen=True)
class ResultRow:
    """One row of the bank's result file, checked against its batch."""

    row: int  # as Excel numbers it (header = 1)
    reference: str
    amount: Decimal
    paid: bool
    reason: str
    bank_serial: str


def _cells(number: int, row: BatchRow) -> list:
    return [number, row.reference, row.holder, row.bank, row.account, row.amount, row.purpose]


def batch_csv(rows: Sequence[BatchRow]) -> bytes:
    """The batch as CSV text (UTF-8 with a BOM), amounts with two decimals."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(BATCH_HEADERS)
    for number, row in enumerate(rows, start=1):
        cells = _cells(number, row)
        cells[5] = f"{row.amount:.2f}"
        writer.writerow(export_row(cells))
    return buffer.getvalue().encode("utf-8-sig")


def batch_xlsx(rows: Sequence[BatchRow], *, title: str) -> bytes:
    """The batch as an xlsx workbook: sheet "代发明细" with the rows (amounts as numbers
    formatted #,##0.00, account numbers as text) and sheet "汇总" with the count and total."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "代发明细"
    sheet.append(list(BATCH_HEADERS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for number, row in enumerate(rows, start=1):
        sheet.append(export_row(_cells(number, row)))
        sheet.cell(row=number + 1, column=5).number_format = "@"
        sheet.cell(row=number + 1, column=6).number_format = MONEY_FORMAT
    for letter, width in zip("ABCDEFG", (6, 22, 14, 24, 24, 14, 36), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"
    summary = book.create_sheet("汇总")
    summary.append(export_row(["批次", title]))
    summary.append(["笔数", len(rows)])
    summary.append(["总金额(元)", sum((r.amount for r in rows), Decimal("0.00"))])
    summary.cell(row=3, column=2).number_format = MONEY_FORMAT
    summary.column_dimensions["A"].width = 12
    summary.column_dimensions["B"].width = 40
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return imported_cell(str(value).strip())


def _amount(value) -> Decimal | None:
    text = _text(value).replace(",", "")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        return None
    if not amount.is_finite() or amount <= 0 or amount != amount.quantize(Decimal("0.01")):
        return None
    return amount


def read_result(data: bytes, *, name: str, expected: Mapping[str, Decimal]) -> list[ResultRow]:
    """The rows of the bank's result file `data` (file name `name`, .xlsx or .csv) answering
    the batch whose rows are `expected` (reference → amount). All or nothing: ImportRejected
    (a RuleViolation) listing every problem, by row and column, when any row is wrong."""
    dataset = read_roster(data, format_for_name(name))
    problems = dataset_problems(
        dataset,
        headers=RESULT_HEADERS,
        bad_header_hint=_("银行回盘文件的表头应为:%(h)s(%%(parts)s)。")
        % {"h": "、".join(RESULT_HEADERS)},
        no_rows_message=_("银行回盘文件中没有数据行。"),
    )
    if problems:
        raise ImportRejected(problems)
    rows: list[ResultRow] = []
    seen: dict[str, int] = {}
    for index, values in enumerate(dataset.dict):
        number = index + 2
        if all(value in (None, "") for value in values.values()):
            continue
        bad = [
            ImportProblem(number, header, formula_message(values[header]))
            for header in RESULT_HEADERS
            if is_formula(values[header])
        ]
        if bad:
            problems.extend(bad)
            continue
        reference = _text(values["参考号"])
        amount = _amount(values["金额(元)"])
        outcome = _text(values["结果"])
        reason = _text(values["失败原因"])
        serial = _text(values["银行流水号"])
        if not reference:
            problems.append(ImportProblem(number, "参考号", _("参考号不能为空。")))
        elif reference not in expected:
            problems.append(
                ImportProblem(
                    number,
                    "参考号",
                    _("参考号“%(r)s”不属于本批次,请核对是否选错了回盘文件。") % {"r": reference},
                )
            )
        elif reference in seen:
            problems.append(
                ImportProblem(
                    number,
                    "参考号",
                    _("参考号“%(r)s”与第 %(n)d 行重复。") % {"r": reference, "n": seen[reference]},
                )
            )
        else:
            seen[reference] = number
            if amount is not None and amount != expected[reference]:
                problems.append(
                    ImportProblem(
                        number,
                        "金额(元)",
                        _("金额 %(a)s 与代发文件中的 %(e)s 不一致。")
                        % {"a": f"{amount:,.2f}", "e": f"{expected[reference]:,.2f}"},
                    )
                )
        if amount is None:
            problems.append(
                ImportProblem(number, "金额(元)", _("金额应为大于 0、最多两位小数的数字。"))
            )
        if outcome in PAID_WORDS:
            paid = True
        elif outcome in FAILED_WORDS:
            paid = False
            if not reason:
                problems.append(
                    ImportProblem(number, "失败原因", _("结果为“失败”时必须写明失败原因。"))
                )
        else:
            paid = False
            problems.append(ImportProblem(number, "结果", _("结果只能填写“成功”或“失败”。")))
        if paid and not serial:
            problems.append(
                ImportProblem(number, "银行流水号", _("结果为“成功”时必须有银行流水号。"))
            )
        rows.append(ResultRow(number, reference, amount or Decimal("0"), paid, reason, serial))
    if problems:
        raise ImportRejected(problems)
    if not rows:
        raise ImportRejected([ImportProblem(None, "", _("银行回盘文件中没有数据行。"))])
    return rows
