"""Back up the PostgreSQL database and the uploaded files into a new directory, or into the
``backups`` storage (a bucket past one machine, resettlement.object_storage).

    python manage.py backup --to /backups/2026-11-21
    python manage.py backup --to-storage 2026-11-21

Writes database.dump (pg_dump, custom format), media.tar and manifest.json (SHA-256 of both
and every table's row count), readable by the owner only (directory 0700, files 0600). See
docs/operations.md.
"""

from __future__ import annotations

import os
import pwd
from pathlib import Path

from django.conf import settings
from django.core.files.storage import default_storage, storages
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from resettlement.backup import (
    PRIVATE_DIRECTORY_MODE,
    PRIVATE_FILE_MODE,
    BackupError,
    Database,
    backup,
    backup_to_storage,
)


def _owner_name() -> str:
    """Who owns the backup's files: this process's user."""
    try:
        return pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:  # a container user without a passwd entry
        return str(os.geteuid())


class Command(BaseCommand):
    help = (
        "Back up the database (pg_dump) and the uploaded files into a new directory, "
        "or into the backups storage."
    )

    def add_arguments(self, parser) -> None:
        where = parser.add_mutually_exclusive_group(required=True)
        where.add_argument("--to", help="A new or empty directory.")
        where.add_argument(
            "--to-storage",
            nargs="?",
            const="",
            metavar="NAME",
            help="Into the backups storage (BACKUP_STORAGE_URL, or backups/ beside the "
            "uploads), under a new NAME (default: the date and time).",
        )

    def handle(self, *args, to: str | None, to_storage: str | None, **options) -> None:
        try:
            database = Database.from_settings(settings.DATABASES["default"])
            if to is not None:
                manifest = backup(database=database, media=default_storage, to=Path(to))
            else:
                to = to_storage or timezone.now().strftime("%Y-%m-%dT%H%M%SZ")
                manifest = backup_to_storage(
                    database=database,
                    media=default_storage,
                    storage=storages["backups"],
                    name=to,
                )
                to = f"backups:{to}"
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        tables = manifest["database"]["tables"]
        self.stdout.write(
            _("备份完成:%(d)s。数据库 %(db)s:%(t)d 张表,%(r)d 行;上传文件 %(f)d 个。")
            % {
                "d": to,
                "db": database.name,
                "t": len(tables),
                "r": sum(tables.values()),
                "f": manifest["media"]["files"],
            }
        )
        self.stdout.write(
            _(
                "备份含身份证号、密码哈希和登录会话:目录权限 %(dm)s、文件权限 %(fm)s,"
                "只有用户 %(owner)s 可以读取。请加密保存并复制到异地。"
            )
            % {
                "dm": f"{PRIVATE_DIRECTORY_MODE:04o}",
                "fm": f"{PRIVATE_FILE_MODE:04o}",
                "owner": _owner_name(),
            }
        )
