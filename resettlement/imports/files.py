"""Reading an uploaded roster (xlsx or csv) into a table, refusing anything unsafe first.

Used by the admin import and the import commands (`manage.py import_households`,
`import_apartments`) before the rows reach the app's resource. A file is refused, with a
message for people, when it is too large, empty, not really the spreadsheet its name claims
(a text or PDF file renamed .xlsx), a zip bomb (checked from the zip directory before
anything is decompressed), or has more data rows than settings.IMPORT_MAX_ROWS, or data in
more than MAX_COLUMNS columns. XML inside the xlsx is parsed by openpyxl through defusedxml
(a project dependency), which refuses entity expansion ("billion laughs") and external entities.

Formula cells are read as their formula text ("=…"), never as the value Excel cached: the
import refuses them cell by cell (`resettlement.imports.base`), as it does a csv cell that
Excel would run as a formula.

The table keeps the sheet's row numbering: the header is row 1 and data row i (0-based) is
row i + 2 as Excel shows it. Blank rows inside the data are kept as empty rows for that
reason; blank rows after the last data row are dropped.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import filetype
import openpyxl
import tablib
from django.conf import settings
from django.utils.translation import gettext as _

from resettlement.errors import RuleViolation

XLSX = "xlsx"
CSV = "csv"
FORMATS = (XLSX, CSV)
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# A real roster's sheet XML is 10–30 times its compressed size; zip bombs are thousands.
DEFAULT_MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_ZIP_MEMBERS = 500
# The widest import has about twenty columns. openpyxl pads a row out to its last cell, so
# one cell far to the right (column XFD) would make a row 16,384 values: read no further
# than one column past the limit (cells beyond it are never read) and refuse a file using it.
MAX_COLUMNS = 100
# Rows past the last one Excel can hold are no spreadsheet's: refuse them rather than walk
# a billion empty rows up to a crafted cell reference.
EXCEL_MAX_ROWS = 1_048_576
_ZIP_SIGNATURE = b"PK\x03\x04"


class FileRejected(RuleViolation):
    """The uploaded file cannot be read as a roster; nothing was imported."""


def format_for_name(name: str) -> str:
    """The format a file name claims, or FileRejected for anything but .xlsx and .csv."""
    lowered = (name or "").lower()
    for kind in FORMATS:
        if lowered.endswith("." + kind):
            return kind
    raise FileRejected(
        "bad_type",
        _("只能导入 .xlsx 或 .csv 文件(旧版 .xls 请在 Excel 中另存为 .xlsx)。"),
    )


def check_size(size: int) -> None:
    """Refuse empty and oversized files before reading them."""
    if size == 0:
        raise FileRejected("empty_file", _("文件是空的,没有任何内容。"))
    limit = settings.IMPORT_MAX_BYTES
    if size > limit:
        raise FileRejected(
            "too_large",
            _("文件过大(%(s).1f MB),导入文件上限为 %(m).1f MB。")
            % {"s": size / 1048576, "m": limit / 1048576},
        )


def read_roster(data: bytes, kind: str) -> tablib.Dataset:
    """Parse `data` as `kind` ("xlsx" or "csv") into a Dataset with the header row as headers.

    Raises FileRejected when the file is unsafe or unreadable; the header's *content* is
    checked later by the resource, which knows the columns.
    """
    check_size(len(data))
    if kind == XLSX:
        rows = _xlsx_rows(data)
    elif kind == CSV:
        rows = _csv_rows(data)
    else:
        raise FileRejected("bad_type", _("只能导入 .xlsx 或 .csv 文件。"))
    return _dataset(rows)


def _xlsx_rows(data: bytes) -> Iterator[tuple[Any, ...]]:
    if not data.startswith(_ZIP_SIGNATURE):
        raise FileRejected(
            "not_xlsx",
            _(
                "文件内容不是 Excel(.xlsx)表格,可能是改了扩展名的其他文件。"
                "请用 Excel 另存为 .xlsx 后再导入。"
            ),
        )
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    # NotImplementedError: a damaged version field ("zip file version 10.0") or method.
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
        raise FileRejected("not_xlsx", _("文件已损坏或不是 Excel(.xlsx)表格,无法读取。")) from None
    names = {info.filename for info in members}
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        raise FileRejected(
            "not_xlsx",
            _("文件是压缩包,但不是 Excel(.xlsx)表格。请用 Excel 另存为 .xlsx 后再导入。"),
        )
    # Python's zipfile never inflates a member beyond its declared size, so the declared
    # sizes bound what parsing can cost: refuse before decompressing anything.
    uncompressed = sum(info.file_size for info in members)
    limit = getattr(settings, "IMPORT_MAX_UNCOMPRESSED_BYTES", DEFAULT_MAX_UNCOMPRESSED_BYTES)
    if len(members) > MAX_ZIP_MEMBERS or uncompressed > limit:
        raise FileRejected(
            "zip_bomb",
            _("文件解压后过大(%(s).0f MB,上限 %(m).0f MB),疑似恶意文件,已拒绝。")
            % {"s": uncompressed / 1048576, "m": limit / 1048576},
        )
    if not openpyxl.DEFUSEDXML:
        # defusedxml is a dependency; only OPENPYXL_DEFUSEDXML=False in the environment
        # turns it off. Refuse rather than parse untrusted XML unprotected.
        raise FileRejected(
            "unsafe_parser",
            _("服务器未启用安全的 XML 解析(defusedxml),暂不能导入 Excel 文件,请联系管理员。"),
        )
    try:
        # data_only=False: a formula cell reads as its formula, which the import refuses;
        # Excel's cached result may be stale, and files other programs write have none.
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
        sheet = book.worksheets[0]
        # Some programs write a wrong <dimension>; read-only mode would cut the sheet there.
        sheet.reset_dimensions()
        yield from sheet.iter_rows(max_col=MAX_COLUMNS + 1, values_only=True)
    except FileRejected:
        raise
    except Exception:  # defusedxml's refusals, broken XML, missing parts: all unreadable
        raise FileRejected(
            "unreadable",
            _(
                "无法读取该 Excel 文件:文件已损坏、加密或含有不安全的内容。"
                "请用 Excel 另存为 .xlsx 后再导入。"
            ),
        ) from None


def _csv_rows(data: bytes) -> Iterator[list[str]]:
    if filetype.guess(data) is not None or b"\x00" in data[:65536]:
        raise FileRejected("not_csv", _("文件内容不是 CSV 文本表格,可能是改了扩展名的其他文件。"))
    # Excel on a Chinese Windows saves "CSV" in GBK; elsewhere it is UTF-8 (with a BOM).
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes almost any byte string
        raise FileRejected("not_csv", _("无法识别 CSV 文件的文字编码,请另存为 UTF-8 编码。"))
    try:
        yield from csv.reader(io.StringIO(text, newline=""))
    except csv.Error:
        raise FileRejected("not_csv", _("CSV 文件格式有误,无法读取。")) from None


def is_blank(values: Iterable[Any]) -> bool:
    """No cell holds anything but whitespace: such rows and columns are not data."""
    return all(value is None or (isinstance(value, str) and not value.strip()) for value in values)


def _dataset(rows: Iterator[Any]) -> tablib.Dataset:
    """Build the Dataset, keeping Excel's row numbers and stopping at IMPORT_MAX_ROWS."""
    header = next(rows, None)
    if header is None or is_blank(header):
        raise FileRejected(
            "empty_file", _("文件中没有内容:第1行应为表头,从第2行起每行填写一名成员。")
        )
    header = _trimmed(header, 1)
    limit = settings.IMPORT_MAX_ROWS
    kept: list[list[Any]] = []
    pending_blank = 0
    for number, values in enumerate(rows, start=2):
        if number > EXCEL_MAX_ROWS:
            raise FileRejected(
                "too_many_rows",
                _("文件数据行过多(超过 %(m)d 行),请分成几个文件导入。") % {"m": limit},
            )
        values = _trimmed(values, number)
        if not values:
            pending_blank += 1
            continue
        if number - 1 > limit:
            raise FileRejected(
                "too_many_rows",
                _("文件数据行过多(超过 %(m)d 行),请分成几个文件导入。") % {"m": limit},
            )
        kept.extend([] for _blank in range(pending_blank))
        pending_blank = 0
        kept.append(values)
    if not kept:
        raise FileRejected("no_rows", _("文件只有表头,没有成员数据:从第2行起每行填写一名成员。"))
    width = max([len(header)] + [len(values) for values in kept])
    headers = [_header_text(value) for value in header] + [""] * (width - len(header))
    # Columns with neither a header nor any data are Excel's leftovers, not columns.
    used = [
        i
        for i in range(width)
        if headers[i] or any(i < len(v) and not is_blank([v[i]]) for v in kept)
    ]
    dataset = tablib.Dataset(headers=[headers[i] for i in used])
    for values in kept:
        padded = values + [None] * (width - len(values))
        dataset.append([padded[i] for i in used])
    return dataset


def _trimmed(values: Sequence[Any], number: int) -> list[Any]:
    """The row without its trailing blank cells; FileRejected when it is too wide."""
    if values.count(None) == len(values):  # the common blank row, cheaply (C speed)
        return []
    values = list(values)
    while values and is_blank(values[-1:]):
        values.pop()
    if len(values) > MAX_COLUMNS:
        raise FileRejected(
            "too_many_columns",
            _("第 %(row)d 行有数据的列过多(超过 %(m)d 列),请使用导入模板,只保留模板中的列。")
            % {"row": number, "m": MAX_COLUMNS},
        )
    return values


def _header_text(value: Any) -> str:
    if value is None:
        return ""
    # "姓 名", "姓名\n" and a full-width space all mean 姓名.
    return "".join(str(value).split())
