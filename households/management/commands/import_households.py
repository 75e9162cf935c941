"""Import a roster of households with members (xlsx or csv) into a project.

    python manage.py import_households roster.xlsx --project NGH2013 --user clerk_li [--dry-run]

The same resource and rules as the admin import (households.resources): every row is
checked first, and if any row is wrong nothing is imported and every problem is listed
(row as Excel numbers it, column, message); the command then exits with status 1.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from households.resources import RosterImportReport, roster_import
from resettlement.imports.command import FileImportCommand


class Command(FileImportCommand):
    help = "导入安置户及成员名册(.xlsx 或 .csv,每行一名成员);有任何错误则全部不导入。"
    file_help = "名册文件(.xlsx 或 .csv)"
    user_help = "以哪位工作人员的身份导入(用户名);记为登记人、录入人并写入变更历史"

    def run_import(self, *, actor, project, dataset, dry_run, file_name) -> RosterImportReport:
        return roster_import(
            actor=actor, project=project, dataset=dataset, dry_run=dry_run, file_name=file_name
        )

    def summary(self, report: RosterImportReport, dry_run: bool) -> str:
        if dry_run:
            message = _("试运行:文件无误,可导入 %(h)d 户、%(m)d 名成员;本次未保存任何数据。")
        else:
            message = _("导入成功:%(h)d 户、%(m)d 名成员。")
        return message % {"h": report.households, "m": report.members}
