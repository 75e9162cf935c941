"""Import apartments (xlsx or csv) into a project.

    python manage.py import_apartments rooms.xlsx --project NGH2013 --user leader_chen [--dry-run]

The same resource and rules as the admin and staff import (allocation.resources): every row is
checked first, and if any row is wrong nothing is imported and every problem is listed (row as
Excel numbers it, column, message); the command then exits with status 1.
"""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from allocation.resources import apartments_import
from households.import_files import check_size, format_for_name, read_roster
from households.models import Project
from resettlement.errors import RuleViolation


class Command(BaseCommand):
    help = "导入安置房源(.xlsx 或 .csv,每行一套房);有任何错误则全部不导入。"

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="房源文件(.xlsx 或 .csv)")
        parser.add_argument("--project", required=True, help="项目编号")
        parser.add_argument("--user", required=True, help="以哪位工作人员的身份导入(用户名)")
        parser.add_argument("--dry-run", action="store_true", help="只检查,不保存(试运行)")

    def handle(self, *args, file: str, project: str, user: str, dry_run: bool, **options) -> None:
        try:
            target = Project.objects.get(code=project)
        except Project.DoesNotExist:
            raise CommandError(_("项目 %(p)s 不存在。") % {"p": project}) from None
        try:
            actor = get_user_model().objects.get(username=user)
        except get_user_model().DoesNotExist:
            raise CommandError(_("用户 %(u)s 不存在。") % {"u": user}) from None
        path = Path(file)
        if not path.is_file():
            raise CommandError(_("找不到文件 %(f)s。") % {"f": file})
        try:
            kind = format_for_name(path.name)
            check_size(path.stat().st_size)  # before reading an oversized file into memory
            dataset = read_roster(path.read_bytes(), kind)
            report = apartments_import(
                actor=actor, project=target, dataset=dataset, dry_run=dry_run
            )
        except RuleViolation as exc:
            raise CommandError(exc.message) from None
        if not report.ok:
            for problem in report.problems:
                self.stderr.write(str(problem))
            raise CommandError(
                _("共发现 %(n)d 处错误,没有导入任何数据。请改正后重新导入。")
                % {"n": len(report.problems)}
            )
        values = {"a": report.apartments, "b": report.buildings, "s": report.stairs}
        if dry_run:
            message = _(
                "试运行:文件无误,可导入 %(a)d 套房(新建 %(b)d 栋楼、%(s)d 个单元);"
                "本次未保存任何数据。"
            )
        else:
            message = _("导入成功:%(a)d 套房(新建 %(b)d 栋楼、%(s)d 个单元)。")
        self.stdout.write(self.style.SUCCESS(message % values))
