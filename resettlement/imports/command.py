"""The command-line side of a file import, shared by `manage.py import_households` and
`manage.py import_apartments`: find the project, the acting user and the file, read it
through `resettlement.imports.files`, run the import, and list every problem (exit status 1)
or print the summary."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import tablib
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from resettlement.errors import RuleViolation
from resettlement.imports.files import check_size, format_for_name, read_roster
from resettlement.imports.projects import project_scope


class FileImportCommand(BaseCommand):
    """Subclasses set `file_help` and `user_help` and define `run_import` and `summary`."""

    file_help = ""
    user_help = ""

    def run_import(
        self, *, actor, project, dataset: tablib.Dataset, dry_run: bool, file_name: str
    ) -> Any:
        """Import and return a report with `ok` and `problems`."""
        raise NotImplementedError

    def summary(self, report: Any, dry_run: bool) -> str:
        raise NotImplementedError

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help=self.file_help)
        parser.add_argument("--project", required=True, help="项目编号")
        parser.add_argument("--user", required=True, help=self.user_help)
        parser.add_argument("--dry-run", action="store_true", help="只检查,不保存(试运行)")

    def handle(self, *args, file: str, project: str, user: str, dry_run: bool, **options) -> None:
        projects = project_scope().model.objects
        try:
            target = projects.get(code=project)
        except projects.model.DoesNotExist:
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
            report = self.run_import(
                actor=actor, project=target, dataset=dataset, dry_run=dry_run, file_name=path.name
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
        self.stdout.write(self.style.SUCCESS(self.summary(report, dry_run)))
