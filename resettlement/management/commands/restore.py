"""Restore a backup made by `manage.py backup` into an empty (or new) database and an empty
media directory, after checking every file against the manifest.

    python manage.py restore --from /backups/2026-11-21 \
        --database-url postgres://user:pass@host:5432/resettlement_restore \
        --media-root /data/private_media_restore

The database this site runs on is refused: restore beside it, check, then switch over
(docs/operations.md).
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from resettlement.backup import BackupError, Database, restore
from resettlement.management.commands.backup import media_root as configured_media_root


class Command(BaseCommand):
    help = "Restore a backup directory into an empty PostgreSQL database and media directory."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--from", dest="source", required=True, help="The backup directory.")
        parser.add_argument(
            "--database-url",
            required=True,
            help="postgres://… of the database to restore into; made if missing, must be empty.",
        )
        parser.add_argument(
            "--media-root",
            help="Where to unpack the uploaded files (must be empty). "
            "Default: this site's PRIVATE_MEDIA_ROOT.",
        )

    def handle(self, *args, source: str, database_url: str, media_root: str | None, **options):
        try:
            target = Database.from_url(database_url)
            try:
                current = Database.from_settings(settings.DATABASES["default"])
            except BackupError:
                current = None  # this site runs on SQLite: it cannot be the target
            report = restore(
                source=Path(source),
                target=target,
                current=current,
                media_root=Path(media_root) if media_root else configured_media_root(),
            )
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            _(
                "恢复完成:数据库 %(db)s%(new)s,%(t)d 张表共 %(r)d 行,与备份清单一致;"
                "上传文件 %(f)d 个。"
            )
            % {
                "db": report.database,
                "new": _("(新建)") if report.created_database else "",
                "t": report.tables,
                "r": report.rows,
                "f": report.media_files,
            }
        )
