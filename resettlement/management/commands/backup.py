"""Back up the PostgreSQL database and the uploaded files into a new directory.

    python manage.py backup --to /backups/2026-11-21

Writes database.dump (pg_dump, custom format), media.tar and manifest.json (SHA-256 of both
and every table's row count), readable by the owner only (directory 0700, files 0600). See
docs/operations.md.
"""

from __future__ import annotations

import os
import pwd
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage, default_storage
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from resettlement.backup import (
    PRIVATE_DIRECTORY_MODE,
    PRIVATE_FILE_MODE,
    BackupError,
    Database,
    backup,
)


def _owner_name() -> str:
    """Who owns the backup's files: this process's user."""
    try:
        return pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:  # a container user without a passwd entry
        return str(os.geteuid())


def media_root() -> Path:
    """The private media root: where the default (file system) storage keeps uploads."""
    if not isinstance(default_storage, FileSystemStorage):
        raise CommandError(_("上传文件不在本机文件系统中,无法打包备份。"))
    return Path(default_storage.location)


class Command(BaseCommand):
    help = "Back up the database (pg_dump) and the private media files into a new directory."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--to", required=True, help="A new or empty directory.")

    def handle(self, *args, to: str, **options) -> None:
        try:
            database = Database.from_settings(settings.DATABASES["default"])
            manifest = backup(database=database, media_root=media_root(), to=Path(to))
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
