"""Import apartments (xlsx or csv) into a project.

    python manage.py import_apartments rooms.xlsx --project NGH2013 --user leader_chen [--dry-run]

The same resource and rules as the admin and staff import (allocation.resources): every row is
checked first, and if any row is wrong nothing is imported and every problem is listed (row as
Excel numbers it, column, message); the command then exits with status 1.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from allocation.resources import ApartmentImportReport, apartments_import
from resettlement.imports.command import FileImportCommand


class Command(FileImportCommand):
    help = "导入安置房源(.xlsx 或 .csv,每行一套房);有任何错误则全部不导入。"
    file_help = "房源文件(.xlsx 或 .csv)"
    user_help = "以哪位工作人员的身份导入(用户名)"

    def run_import(self, *, actor, project, dataset, dry_run, file_name) -> ApartmentImportReport:
        return apartments_import(actor=actor, project=project, dataset=dataset, dry_run=dry_run)

    def summary(self, report: ApartmentImportReport, dry_run: bool) -> str:
        if dry_run:
            message = _(
                "试运行:文件无误,可导入 %(a)d 套房(新建 %(b)d 栋楼、%(s)d 个单元);"
                "本次未保存任何数据。"
            )
        else:
            message = _("导入成功:%(a)d 套房(新建 %(b)d 栋楼、%(s)d 个单元)。")
        return message % {"a": report.apartments, "b": report.buildings, "s": report.stairs}
