"""Files built to break an import: damaged workbooks, XML and zip bombs, oversized sheets.

Each takes a good xlsx (bytes) and returns a hostile variant, so the roster and apartment
import tests can throw the same things at both.
"""

from __future__ import annotations

import io
import zipfile

SHEET = "xl/worksheets/sheet1.xml"
SHARED_STRINGS = "xl/sharedStrings.xml"
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def parts(xlsx: bytes) -> dict[str, bytes]:
    archive = zipfile.ZipFile(io.BytesIO(xlsx))
    return {info.filename: archive.read(info.filename) for info in archive.infolist()}


def rezip(members: dict[str, bytes]) -> bytes:
    stream = io.BytesIO()
    with zipfile.ZipFile(stream, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return stream.getvalue()


def with_part(xlsx: bytes, name: str, content: bytes) -> bytes:
    """The workbook with one part replaced (or added)."""
    return rezip({**parts(xlsx), name: content})


def with_shared_strings(xlsx: bytes, table: bytes) -> bytes:
    """The workbook with a shared-string table `table`, registered so openpyxl reads it."""
    members = parts(xlsx)
    rels = "xl/_rels/workbook.xml.rels"
    members[rels] = members[rels].replace(
        b"</Relationships>",
        b'<Relationship Id="rIdStrings" Target="sharedStrings.xml" Type="http://schemas.'
        b'openxmlformats.org/officeDocument/2006/relationships/sharedStrings"/></Relationships>',
    )
    members["[Content_Types].xml"] = members["[Content_Types].xml"].replace(
        b"</Types>",
        b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.'
        b'openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
    )
    members[SHARED_STRINGS] = table
    return rezip(members)


def billion_laughs(root: str) -> bytes:
    """An XML document whose one entity expands to 10**9 "lol"s, inside element `root`."""
    entities = "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    )
    body = {
        "sst": "<si><t>&lol9;</t></si>",
        "worksheet": '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c>'
        "</row></sheetData>",
    }[root]
    return (
        f'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">{entities}]>'
        f'<{root} xmlns="{MAIN_NS}">{body}</{root}>'
    ).encode()


def external_entity() -> bytes:
    """A sheet that would pull a server file into a cell (XXE)."""
    return (
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY secret SYSTEM "file:///etc/passwd">]>'
        f'<worksheet xmlns="{MAIN_NS}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is>'
        "<t>&secret;</t></is></c></row></sheetData></worksheet>"
    ).encode()


def zip_bomb(xlsx: bytes, megabytes: int) -> bytes:
    """The workbook plus a member of `megabytes` of zeros (compressing ~1000:1)."""
    return with_part(xlsx, "xl/media/filler.bin", b"\0" * (megabytes * 1024 * 1024))


def understated_sheet(xlsx: bytes) -> bytes:
    """The sheet inflating to far more than the zip directory declares (a lying zip bomb):
    its declared size is patched to 100 bytes."""
    members = parts(xlsx)
    members[SHEET] = members[SHEET] + b"<!--" + b" " * (5 * 1024 * 1024) + b"-->"
    data = bytearray(rezip(members))
    position = 0
    while (position := data.find(b"PK\x01\x02", position)) != -1:
        name_length = int.from_bytes(data[position + 28 : position + 30], "little")
        if data[position + 46 : position + 46 + name_length] == SHEET.encode():
            data[position + 24 : position + 28] = (100).to_bytes(4, "little")
        position += 4
    return bytes(data)


def many_members(xlsx: bytes, count: int) -> bytes:
    return rezip({**parts(xlsx), **{f"xl/media/m{i}.bin": b"x" for i in range(count)}})


def sheet_of_rows(headers: list[str], row: list[str], count: int, *, first_row: int = 2) -> bytes:
    """Sheet XML with the header and `count` copies of `row` (inline strings), written
    directly: openpyxl would take minutes for a sheet this size."""

    def cells(number: int, values: list[str]) -> str:
        return "".join(
            f'<c r="{_column(i)}{number}" t="inlineStr"><is><t>{value}</t></is></c>'
            for i, value in enumerate(values)
            if value != ""
        )

    body = [f'<row r="1">{cells(1, headers)}</row>']
    body += [f'<row r="{n}">{cells(n, row)}</row>' for n in range(first_row, first_row + count)]
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN_NS}"><sheetData>'
        + "".join(body)
        + "</sheetData></worksheet>"
    ).encode()


def _column(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters
