"""The listings file (房源表, xlsx or csv): a developer's listed homes for a project's tickets,
all or nothing. The file is read safely by the import framework
(`resettlement.imports.files.read_roster`), its columns checked by `dataset_problems`; every
row is then checked (the developer exists by its credit code, the values as
`developers.listing_problems` checks one listing, no name twice) before anything is written:
one wrong row and nothing is written, every problem named by row (as Excel numbers it: the
header is row 1), column and what is wrong. A valid file is written in one transaction,
listing by listing through `developers.listing_save` (audited)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from households.access import require_project_access
from households.models import Project
from resettlement.imports.base import (
    ImportProblem,
    ImportRejected,
    dataset_problems,
    formula_message,
    is_formula,
)
from resettlement.imports.files import format_for_name, read_roster
from resettlement.roles import require_permission
from tickets.models import Developer
from tickets.services.developers import listing_problems, listing_save


@dataclass(frozen=True)
class ListingColumn:
    key: str
    header: str  # fixed Chinese header: the file format does not change with the language
    required: bool


COLUMNS = (
    ListingColumn("credit_code", "开发企业统一社会信用代码", True),
    ListingColumn("name", "楼盘/房源", True),
    ListingColumn("address", "地址", False),
    ListingColumn("area", "面积(㎡)", True),
    ListingColumn("ticket_price", "房票价(元/㎡)", True),
    ListingColumn("cash_price", "现金价(元/㎡)", True),
    ListingColumn("available", "可售套数", True),
)
HEADERS = tuple(c.header for c in COLUMNS)
HEADER_OF = {c.key: c.header for c in COLUMNS}


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def listings_import(*, actor, project: Project, data: bytes, name: str) -> int:
    """Import the listings file `data` (named `name`) into `project`; the number of listings
    written. Raises ImportRejected (with every problem) and writes nothing when any row is
    wrong."""
    require_permission(actor, "tickets.add_listing")
    require_project_access(actor, project)
    dataset = read_roster(data, format_for_name(name))
    problems = dataset_problems(
        dataset,
        headers=HEADERS,
        bad_header_hint=_("表头应为房源表的各列(%(parts)s)。"),
        no_rows_message=_("文件中没有房源。"),
    )
    if problems:
        raise ImportRejected(problems)
    developers = {d.credit_code: d for d in Developer.objects.all()}
    rows = []
    seen: dict[tuple[str, str], int] = {}
    for index, raw in enumerate(dataset.dict):
        number = index + 2
        values = {c.key: _text(raw.get(c.header)) for c in COLUMNS}
        row_problems = []
        for column in COLUMNS:
            value = values[column.key]
            if is_formula(raw.get(column.header)):
                row_problems.append(
                    ImportProblem(number, column.header, formula_message(raw.get(column.header)))
                )
            elif column.required and not value:
                row_problems.append(ImportProblem(number, column.header, _("不能为空。")))
        if row_problems:
            problems += row_problems
            continue
        developer = developers.get(values["credit_code"].upper())
        if developer is None:
            problems.append(
                ImportProblem(
                    number,
                    HEADER_OF["credit_code"],
                    _("没有统一社会信用代码为“%(c)s”的开发企业,请先登记。")
                    % {"c": values["credit_code"]},
                )
            )
        clean, errors = listing_problems(
            name=values["name"],
            area=values["area"],
            ticket_price=values["ticket_price"],
            cash_price=values["cash_price"],
            available=values["available"],
        )
        for error in errors:
            problems.append(ImportProblem(number, HEADER_OF[error["field"]], error["message"]))
        key = (values["credit_code"].upper(), values["name"])
        if key in seen:
            problems.append(
                ImportProblem(
                    number,
                    HEADER_OF["name"],
                    _("与第 %(r)d 行重复。") % {"r": seen[key]},
                )
            )
        seen.setdefault(key, number)
        if developer is not None and not errors:
            rows.append((developer, values))
    if problems:
        raise ImportRejected(problems)
    with transaction.atomic():
        for developer, values in rows:
            listing_save(
                actor=actor,
                developer=developer,
                project=project,
                name=values["name"],
                address=values["address"],
                area=values["area"],
                ticket_price=values["ticket_price"],
                cash_price=values["cash_price"],
                available=values["available"],
            )
    return len(rows)
