"""The bank batch file a run or a developers' settlement produces, and the bank's result file
read back all or nothing."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import openpyxl
import pytest

from resettlement.imports.base import ImportRejected
from settlement.bank import BatchRow, batch_csv, batch_xlsx, read_result

ROWS = [
    BatchRow(
        "SR1-0001",
        "王建国",
        "中国农业银行安庆分行",
        "6228480402564890018",
        Decimal("1500.00"),
        "2026年第4季度临时安置补助费",
    ),
    BatchRow(
        "SR1-0002",
        '=HYPERLINK("x")',
        "中国银行",
        "6217850100000000001",
        Decimal("12345.60"),
        "临时安置补助费",
    ),
]
EXPECTED = {row.reference: row.amount for row in ROWS}


def _csv(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode("utf-8")


HEADER = "参考号,金额(元),结果,失败原因,银行流水号"


def test_the_csv_batch_keeps_long_account_numbers_and_two_decimals():
    text = batch_csv(ROWS).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["序号", "参考号", "户名", "开户银行", "账号", "金额(元)", "用途"]
    assert rows[1][4] == "6228480402564890018"
    assert rows[2][5] == "12345.60"


def test_a_holder_name_that_looks_like_a_formula_is_written_as_text():
    text = batch_csv(ROWS).decode("utf-8-sig")
    assert "'=HYPERLINK" in text


def test_the_xlsx_batch_has_the_rows_and_a_summary_with_count_and_total():
    book = openpyxl.load_workbook(io.BytesIO(batch_xlsx(ROWS, title="第1期")))
    detail, summary = book["代发明细"], book["汇总"]
    assert detail.cell(row=2, column=5).value == "6228480402564890018"
    assert float(detail.cell(row=3, column=6).value) == pytest.approx(12345.60)
    assert detail.cell(row=3, column=6).number_format == "#,##0.00"
    assert summary.cell(row=2, column=2).value == 2
    assert float(summary.cell(row=3, column=2).value) == pytest.approx(13845.60)


def test_a_result_file_gives_paid_and_failed_rows():
    rows = read_result(
        _csv(
            HEADER, "SR1-0001,1500.00,成功,,B202612060001", 'SR1-0002,"12,345.60",失败,账户已销户,'
        ),
        name="回盘.csv",
        expected=EXPECTED,
    )
    assert [(r.reference, r.paid, r.reason) for r in rows] == [
        ("SR1-0001", True, ""),
        ("SR1-0002", False, "账户已销户"),
    ]


def test_a_result_file_with_any_wrong_row_is_refused_whole_naming_each_row():
    with pytest.raises(ImportRejected) as refused:
        read_result(
            _csv(
                HEADER,
                "SR1-0001,1500.01,成功,,B1",
                "SR9-0009,10.00,成功,,B2",
                "SR1-0002,12345.60,失败,,",
            ),
            name="回盘.csv",
            expected=EXPECTED,
        )
    message = str(refused.value)
    assert "第 2 行“金额(元)”列" in message
    assert "第 3 行“参考号”列" in message and "SR9-0009" in message
    assert "第 4 行“失败原因”列" in message


def test_a_reference_twice_in_one_result_file_is_refused():
    with pytest.raises(ImportRejected, match="与第 2 行重复"):
        read_result(
            _csv(HEADER, "SR1-0001,1500.00,成功,,B1", "SR1-0001,1500.00,成功,,B2"),
            name="回盘.csv",
            expected=EXPECTED,
        )


def test_a_result_file_with_wrong_columns_is_refused():
    with pytest.raises(ImportRejected, match="缺少列"):
        read_result(_csv("参考号,金额", "SR1-0001,1500.00"), name="回盘.csv", expected=EXPECTED)


def test_a_result_xlsx_is_read_like_the_csv():
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER.split(","))
    sheet.append(["SR1-0002", 12345.6, "成功", None, 20261206001])
    buffer = io.BytesIO()
    book.save(buffer)
    [row] = read_result(buffer.getvalue(), name="回盘.xlsx", expected=EXPECTED)
    assert row.paid and row.amount == Decimal("12345.60") and row.bank_serial == "20261206001"
