"""The dashboard as an Excel workbook (openpyxl): one sheet per level (project, communities,
villager groups, working teams) with every stage's count and share, and the week's team
ranking. Numbers are numbers (not text), so leaders can sort and chart them in Excel; text
passes through `resettlement.spreadsheets.export_cell`."""

from __future__ import annotations

import io

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from oversight.selectors.dashboard import (
    STAGES,
    WEEK_EVENTS,
    Counts,
    IsoWeek,
    ProjectProgress,
    TeamRank,
)
from resettlement.spreadsheets import export_row

BOLD = Font(bold=True)


def _counts_header() -> list[str]:
    return [str(label) for _f, label in STAGES] + [_("货币化安置"), _("货币化安置率(%)")]


def _counts_cells(counts: Counts) -> list[int]:
    return [getattr(counts, f) for f, _label in STAGES] + [counts.monetised, counts.monetised_share]


def _sheet(workbook: Workbook, title: str, header: list[str], rows: list[list]) -> None:
    sheet = workbook.create_sheet(title)
    sheet.append(export_row(header))
    for cell in sheet[1]:
        cell.font = BOLD
    for row in rows:
        # Names of communities, groups and teams are typed by people: never a formula.
        sheet.append(export_row(row))
    sheet.freeze_panes = "A2"
    for index, text in enumerate(header, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(10, 2 * len(text) + 2)


def dashboard_workbook(progress: ProjectProgress, ranking: list[TeamRank], week: IsoWeek) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    project = progress.project
    _sheet(
        workbook,
        _("项目合计"),
        [_("项目编号"), _("项目名称"), *_counts_header()],
        [[project.code, project.name, *_counts_cells(progress.totals)]],
    )
    for title, kind_label, rows in (
        (_("村社区"), _("村/社区"), progress.communities),
        (_("村民小组"), _("村民小组"), progress.groups),
        (_("工作组"), _("工作组"), progress.teams),
    ):
        _sheet(
            workbook,
            title,
            [_("编号"), kind_label, *_counts_header()],
            [[row.code, row.name, *_counts_cells(row.counts)] for row in rows],
        )
    _sheet(
        workbook,
        _("周排名 %(w)s") % {"w": week},
        [
            _("名次"),
            _("编号"),
            _("工作组"),
            _("包户数"),
            *[str(label) for _f, label in WEEK_EVENTS],
            _("本周合计"),
            _("签协议率(%)"),
            _("交房率(%)"),
        ],
        [
            [
                r.rank,
                r.code,
                r.name,
                r.households,
                *[n for _f, _label, n in r.event_cells()],
                r.points,
                r.signed_share,
                r.handed_over_share,
            ]
            for r in ranking
        ],
    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
