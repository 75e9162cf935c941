"""Restore a backup made by `manage.py backup` into an empty (or new) database and an empty
media directory, after checking every file against the manifest.

    python manage.py restore --from /backups/2026-11-21 \
        --database-url postgres://user:pass@host:5432/resettlement_restore \
        --media-root /data/private_media_restore
    python manage.py restore --from-storage 2026-11-21 --database-url … --media-root …

Without --media-root the files go to this site's default storage (its media folder or
bucket), which must be empty: restore with the environment of the site being rebuilt.

The database this site runs on is refused: restore beside it, check, then switch over
(docs/operations.md).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage, default_storage, storages
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from resettlement.backup import BackupError, Database, backup_from_storage, restore


class Command(BaseCommand):
    help = "Restore a backup directory into an empty PostgreSQL database and media directory."

    def add_arguments(self, parser) -> None:
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--from", dest="source", help="The backup directory.")
        source.add_argument(
            "--from-storage", metavar="NAME", help="A backup in the backups storage, by name."
        )
        parser.add_argument(
            "--database-url",
            required=True,
            help="postgres://… of the database to restore into; made if missing, must be empty.",
        )
        parser.add_argument(
            "--media-root",
            help="Where to unpack the uploaded files (must be empty). "
            "Default: this site's default storage (PRIVATE_MEDIA_ROOT or its bucket).",
        )

    def handle(
        self,
        *args,
        source: str | None,
        from_storage: str | None,
        database_url: str,
        media_root: str | None,
        **options,
    ):
        try:
            target = Database.from_url(database_url)
            try:
                current = Database.from_settings(settings.DATABASES["default"])
            except BackupError:
                current = None  # this site runs on SQLite: it cannot be the target
            media = FileSystemStorage(location=media_root) if media_root else default_storage
            if source is not None:
                report = restore(source=Path(source), target=target, current=current, media=media)
            else:
                with tempfile.TemporaryDirectory(prefix="resettlement-restore-") as scratch:
                    local = Path(scratch) / "backup"
                    backup_from_storage(storage=storages["backups"], name=from_storage, into=local)
                    report = restore(source=local, target=target, current=current, media=media)
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
