"""Backup and restore of the PostgreSQL database and the uploaded files (docs/operations.md).

A backup is a directory of three files:

- ``database.dump``: ``pg_dump --format=custom`` of the database;
- ``media.tar``: every file of the default storage (uploaded documents, photos, generated
  PDFs), on the disk or in a bucket (resettlement.object_storage);
- ``manifest.json``: the SHA-256 and size of both, and the row count of every table as the
  dump holds it.

A backup holds ID numbers, password hashes and live sessions: its directory is made 0700 and
its files 0600 (owner only) whatever the process's umask — files are created under umask
077, pg_dump's too, and their modes set again once written.

The row counts and the dump come from one snapshot (``pg_export_snapshot`` shared with
``pg_dump --snapshot``), so they agree even while people keep working. The files are archived
after the dump: a file the dump refers to was written before it, so it is in the archive.

A restore checks the manifest before touching anything, restores into an empty database (made
if missing) and an empty media directory or bucket, never the database this site is running
on, and then compares every table's row count with the manifest.

Backups themselves may go to the ``backups`` storage (a bucket past one machine): the backup
is made in a private temporary directory and its three files are uploaded under a name;
a restore from the storage downloads them into one and checks them there.

PostgreSQL only: the embedded SQLite database is a single file, copied while the site is
stopped.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import dj_database_url
import psycopg2
from django.core.files.storage import FileSystemStorage, Storage
from django.utils import timezone
from django.utils.translation import gettext as _
from psycopg2 import sql

FORMAT = "resettlement-backup/1"
MANIFEST = "manifest.json"
DUMP = "database.dump"
MEDIA = "media.tar"
MEDIA_ARCNAME = "media"
CHUNK = 1024 * 1024
# Owner only: a backup holds ID numbers, password hashes and live sessions.
PRIVATE_DIRECTORY_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why, for the operator."""


@dataclass(frozen=True)
class Database:
    """Where a PostgreSQL database is, as libpq's environment variables name it."""

    name: str
    host: str = ""
    port: str = ""
    user: str = ""
    password: str = ""

    @classmethod
    def from_settings(cls, settings_dict: dict) -> Database:
        if "postgresql" not in settings_dict.get("ENGINE", ""):
            raise BackupError(
                _(
                    "备份和恢复只支持 PostgreSQL(DATABASE_URL)。嵌入式 SQLite 数据库是一个文件,"
                    "请停止服务后直接复制 db.sqlite3 和 private_media 目录。"
                )
            )
        return cls(
            name=settings_dict["NAME"],
            host=settings_dict.get("HOST") or "",
            port=str(settings_dict.get("PORT") or ""),
            user=settings_dict.get("USER") or "",
            password=settings_dict.get("PASSWORD") or "",
        )

    @classmethod
    def from_url(cls, url: str) -> Database:
        try:
            parsed = dj_database_url.parse(url)
        except ValueError as exc:
            raise BackupError(_("无法识别的数据库地址:%(e)s") % {"e": exc}) from None
        if not parsed.get("NAME"):
            raise BackupError(_("数据库地址中没有数据库名。"))
        return cls.from_settings(parsed)

    def same_as(self, other: Database) -> bool:
        return (self.name, self.host or "localhost", self.port or "5432") == (
            other.name,
            other.host or "localhost",
            other.port or "5432",
        )

    def environ(self) -> dict[str, str]:
        """The environment for pg_dump and pg_restore: the password never on a command line."""
        env = {**os.environ, "PGDATABASE": self.name}
        for key, value in (
            ("PGHOST", self.host),
            ("PGPORT", self.port),
            ("PGUSER", self.user),
            ("PGPASSWORD", self.password),
        ):
            if value:
                env[key] = value
        return env

    def connect(self, *, name: str | None = None):
        kwargs = {"dbname": name or self.name}
        for key, value in (
            ("host", self.host),
            ("port", self.port),
            ("user", self.user),
            ("password", self.password),
        ):
            if value:
                kwargs[key] = value
        return psycopg2.connect(**kwargs)


# --- Files and the manifest ---------------------------------------------------------------


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _entry(path: Path) -> dict:
    return {"sha256": _sha256(path), "bytes": path.stat().st_size}


def write_manifest(directory: Path, **content) -> dict:
    """Record the SHA-256 and size of the dump and the media archive beside `content`."""
    manifest = {
        "format": FORMAT,
        **content,
        "files": {name: _entry(directory / name) for name in (DUMP, MEDIA)},
    }
    (directory / MANIFEST).write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True), encoding="utf-8"
    )
    return manifest


def verify(directory: Path) -> dict:
    """The backup's manifest, once every file it lists is there with its size and SHA-256."""
    try:
        manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackupError(
            _("%(d)s 中没有 manifest.json,不是完整的备份。") % {"d": directory}
        ) from None
    except (OSError, ValueError) as exc:
        raise BackupError(_("manifest.json 无法读取:%(e)s") % {"e": exc}) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(_("manifest.json 不是本系统的备份清单(应为 %(f)s)。") % {"f": FORMAT})
    files = manifest.get("files") or {}
    problems = []
    for name in (DUMP, MEDIA):
        expected = files.get(name)
        path = directory / name
        if not isinstance(expected, dict):
            problems.append(_("清单中没有 %(n)s。") % {"n": name})
        elif not path.is_file():
            problems.append(_("缺少文件 %(n)s。") % {"n": name})
        elif path.stat().st_size != expected.get("bytes"):
            problems.append(
                _("%(n)s 的大小是 %(a)d 字节,清单记录为 %(b)s 字节。")
                % {"n": name, "a": path.stat().st_size, "b": expected.get("bytes")}
            )
        elif _sha256(path) != expected.get("sha256"):
            problems.append(_("%(n)s 的 SHA-256 与清单不符,文件已损坏或被改动。") % {"n": name})
    if problems:
        raise BackupError(" ".join(problems))
    return manifest


# --- Backup -------------------------------------------------------------------------------


def _row_counts(cursor) -> dict[str, int]:
    cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
    counts = {}
    for (table,) in cursor.fetchall():
        cursor.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table)))
        counts[table] = cursor.fetchone()[0]
    return counts


def _run(command: list[str], *, env: dict[str, str], what: str) -> None:
    try:
        subprocess.run(command, env=env, check=True, capture_output=True, text=True)  # noqa: S603
    except FileNotFoundError:
        raise BackupError(
            _("找不到 %(p)s:请安装 PostgreSQL 客户端(postgresql-client)。") % {"p": command[0]}
        ) from None
    except subprocess.CalledProcessError as exc:
        raise BackupError(
            _("%(what)s失败:%(e)s") % {"what": what, "e": (exc.stderr or "").strip()[-2000:]}
        ) from None


def _storage_walk(storage: Storage, folder: str = "") -> Iterator[tuple[str, bool]]:
    """Every (name, is_file) of the storage, folders before what they hold, sorted."""
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:  # a media root not made yet: nothing uploaded
        return
    entries = [(name, False) for name in folders] + [(name, True) for name in files]
    for name, is_file in sorted(entries):
        path = f"{folder}/{name}" if folder else name
        yield path, is_file
        if not is_file:
            yield from _storage_walk(storage, path)


def _archive_media(media: Storage, target: Path) -> dict:
    """Archive every file of `media` (a folder on the disk or a bucket) into `target`."""
    if isinstance(media, FileSystemStorage):
        return _archive_media_root(Path(media.location), target)
    files = size = 0
    with tarfile.open(target, "w") as archive:
        archive.addfile(_directory_member(MEDIA_ARCNAME))
        for name, is_file in _storage_walk(media):
            if not is_file:
                archive.addfile(_directory_member(f"{MEDIA_ARCNAME}/{name}"))
                continue
            member = tarfile.TarInfo(f"{MEDIA_ARCNAME}/{name}")
            member.size = media.size(name)
            member.mode = 0o644
            member.mtime = int(media.get_modified_time(name).timestamp())
            with media.open(name, "rb") as handle:
                archive.addfile(member, handle)
            files += 1
            size += member.size
    return {"files": files, "bytes": size}


def _archive_media_root(media_root: Path, target: Path) -> dict:
    files = size = 0
    with tarfile.open(target, "w") as archive:
        archive.addfile(_directory_member(MEDIA_ARCNAME))
        if media_root.is_dir():
            for path in sorted(media_root.rglob("*")):
                if path.is_symlink() or not (path.is_file() or path.is_dir()):
                    continue  # only what the site wrote: files and their folders
                arcname = f"{MEDIA_ARCNAME}/{path.relative_to(media_root).as_posix()}"
                archive.add(path, arcname=arcname, recursive=False)
                if path.is_file():
                    files += 1
                    size += path.stat().st_size
    return {"files": files, "bytes": size}


def _directory_member(name: str) -> tarfile.TarInfo:
    member = tarfile.TarInfo(name)
    member.type = tarfile.DIRTYPE
    member.mode = 0o755
    return member


@contextmanager
def _owner_only() -> Iterator[None]:
    """Everything created meanwhile — by this process or a child such as pg_dump — is
    readable by its owner only, from the moment it exists. The umask is the process's: a
    management command's own."""
    previous = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(previous)


def backup(*, database: Database, media: Storage, to: Path) -> dict:
    """Write a backup into `to` (made if missing; it must be empty). Returns the manifest.

    The directory ends up 0700 and every file in it 0600, whatever the umask was."""
    if to.exists() and (not to.is_dir() or any(to.iterdir())):
        raise BackupError(_("备份目录 %(d)s 已存在且不是空目录;请指定新的目录。") % {"d": to})
    with _owner_only():
        to.mkdir(parents=True, exist_ok=True)
        to.chmod(PRIVATE_DIRECTORY_MODE)  # also an empty directory that was there
        manifest = _backup_into(database=database, media=media, to=to)
        for path in to.iterdir():
            path.chmod(PRIVATE_FILE_MODE)
    return manifest


def _backup_into(*, database: Database, media: Storage, to: Path) -> dict:
    connection = database.connect()
    try:
        connection.set_session(isolation_level="REPEATABLE READ", readonly=True)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_export_snapshot(), current_setting('server_version')")
            snapshot, server_version = cursor.fetchone()
            counts = _row_counts(cursor)
            # The exporting transaction stays open until pg_dump has finished with its snapshot.
            _run(
                [
                    "pg_dump",
                    "--format=custom",
                    "--no-owner",
                    "--no-privileges",
                    f"--snapshot={snapshot}",
                    f"--file={to / DUMP}",
                ],
                env=database.environ(),
                what=_("导出数据库(pg_dump)"),
            )
        connection.rollback()
    finally:
        connection.close()
    archived = _archive_media(media, to / MEDIA)
    return write_manifest(
        to,
        created_at=timezone.now().isoformat(),
        database={"name": database.name, "server_version": server_version, "tables": counts},
        media=archived,
    )


BACKUP_FILES = (DUMP, MEDIA, MANIFEST)


def backup_to_storage(*, database: Database, media: Storage, storage: Storage, name: str) -> dict:
    """Write a backup as `<name>/` in `storage` (the ``backups`` storage: a bucket past one
    machine). The name must be new. The backup is made in a private temporary directory,
    uploaded file by file, and the directory removed. Returns the manifest."""
    _check_backup_name(name)
    if storage_has(storage, name):
        raise BackupError(_("备份 %(n)s 已存在;请指定新的名字。") % {"n": name})
    with tempfile.TemporaryDirectory(prefix="resettlement-backup-") as scratch:
        local = Path(scratch) / "backup"
        manifest = backup(database=database, media=media, to=local)
        # The manifest last: a backup whose upload broke off has none and is never restored;
        # what was uploaded of it is removed, so the name may be used again.
        uploaded: list[str] = []
        try:
            for file_name in BACKUP_FILES:
                with (local / file_name).open("rb") as handle:
                    saved = storage.save(f"{name}/{file_name}", handle)
                uploaded.append(saved)
                if saved != f"{name}/{file_name}":
                    raise BackupError(_("备份文件 %(n)s 写入存储失败。") % {"n": saved})
        except BaseException:
            for key in uploaded:
                with suppress(Exception):
                    storage.delete(key)
            raise
    return manifest


def backup_from_storage(*, storage: Storage, name: str, into: Path) -> None:
    """Download backup `<name>/` from `storage` into the directory `into` (made owner only)."""
    _check_backup_name(name)
    if not storage.exists(f"{name}/{MANIFEST}"):
        raise BackupError(_("存储中没有完整的备份 %(n)s(缺少 manifest.json)。") % {"n": name})
    with _owner_only():
        into.mkdir(parents=True, exist_ok=True)
        for file_name in BACKUP_FILES:
            key = f"{name}/{file_name}"
            if not storage.exists(key):
                raise BackupError(_("缺少文件 %(n)s。") % {"n": key})
            with storage.open(key, "rb") as source, (into / file_name).open("wb") as target:
                while chunk := source.read(CHUNK):
                    target.write(chunk)


def storage_has(storage: Storage, folder: str) -> bool:
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:
        return False
    return bool(folders or files)


def _check_backup_name(name: str) -> None:
    parts = PurePosixPath(name).parts
    if not name or name.startswith("/") or ".." in parts or len(parts) != 1:
        raise BackupError(_("备份名 %(n)s 不可用:只能是一个不含 / 的名字。") % {"n": name})


# --- Restore ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RestoreReport:
    database: str
    created_database: bool
    tables: int
    rows: int
    media_files: int


def _prepare_database(target: Database) -> bool:
    """Make the target database if it is missing; refuse one that has any table. Returns
    whether it was made."""
    admin = target.connect(name="postgres")
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [target.name])
            exists = cursor.fetchone() is not None
            if not exists:
                cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(target.name)))
    finally:
        admin.close()
    if exists:
        connection = target.connect()
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
                tables = cursor.fetchone()[0]
        finally:
            connection.close()
        if tables:
            raise BackupError(
                _("数据库 %(n)s 不是空的(已有 %(t)d 张表);恢复只写入空数据库或新数据库。")
                % {"n": target.name, "t": tables}
            )
    return not exists


def _media_members(archive: tarfile.TarFile) -> list[tarfile.TarInfo]:
    """The archive's files and folders, renamed relative to the media root; BackupError for
    anything else (a link, a device, an absolute path, "..")."""
    members = []
    for member in archive.getmembers():
        if member.name == MEDIA_ARCNAME:
            continue
        parts = PurePosixPath(member.name).parts
        if (
            parts[0] != MEDIA_ARCNAME
            or not (member.isfile() or member.isdir())
            or member.name.startswith("/")
            or ".." in parts
        ):
            raise BackupError(_("媒体归档中有不允许的条目:%(n)s") % {"n": member.name})
        member.name = PurePosixPath(*parts[1:]).as_posix()
        members.append(member)
    return members


def _check_media_archive(archive_path: Path) -> None:
    """Refuse a media archive with an entry that may not be unpacked, before anything is
    written: a restore either writes everything or leaves the target untouched by it."""
    with tarfile.open(archive_path) as archive:
        _media_members(archive)


def _unpack_media(archive_path: Path, media: Storage) -> int:
    with tarfile.open(archive_path) as archive:
        members = _media_members(archive)
        files = sum(member.isfile() for member in members)
        if isinstance(media, FileSystemStorage):
            media_root = Path(media.location)
            media_root.mkdir(parents=True, exist_ok=True)
            # The "data" filter refuses absolute paths, "..", links out of the folder and
            # devices.
            archive.extractall(media_root, members=members, filter="data")
            return files
        for member in members:
            if not member.isfile():
                continue  # a bucket has no folders
            saved = media.save(member.name, archive.extractfile(member))
            if saved != member.name:
                raise BackupError(_("文件 %(n)s 已存在于目标存储中。") % {"n": member.name})
    return files


def restore(
    *, source: Path, target: Database, current: Database | None, media: Storage
) -> RestoreReport:
    """Restore the backup in `source` into `target` and `media` (both empty)."""
    manifest = verify(source)
    if current is not None and target.same_as(current):
        raise BackupError(_("不能恢复到本系统正在使用的数据库 %(n)s。") % {"n": target.name})
    if isinstance(media, FileSystemStorage):
        media_root = Path(media.location)
        if media_root.exists() and (not media_root.is_dir() or any(media_root.iterdir())):
            raise BackupError(_("媒体目录 %(d)s 不是空目录;恢复只写入空目录。") % {"d": media_root})
    elif storage_has(media, ""):
        raise BackupError(_("目标存储中已有文件;恢复只写入空的存储(新的存储桶或前缀)。"))
    _check_media_archive(source / MEDIA)
    created = _prepare_database(target)
    _run(
        [
            "pg_restore",
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            f"--dbname={target.name}",
            str(source / DUMP),
        ],
        env=target.environ(),
        what=_("恢复数据库(pg_restore)"),
    )
    media_files = _unpack_media(source / MEDIA, media)

    expected = manifest["database"]["tables"]
    connection = target.connect()
    try:
        with connection.cursor() as cursor:
            restored = _row_counts(cursor)
    finally:
        connection.close()
    mismatches = [
        _("表 %(t)s:备份时 %(a)s 行,恢复后 %(b)s 行。")
        % {"t": table, "a": expected.get(table, "—"), "b": restored.get(table, "—")}
        for table in sorted(set(expected) | set(restored))
        if expected.get(table) != restored.get(table)
    ]
    if mismatches:
        raise BackupError(_("恢复后的数据与备份清单不符:") + " ".join(mismatches))
    if media_files != manifest["media"]["files"]:
        raise BackupError(
            _("恢复了 %(a)d 个文件,备份清单记录为 %(b)d 个。")
            % {"a": media_files, "b": manifest["media"]["files"]}
        )
    return RestoreReport(
        database=target.name,
        created_database=created,
        tables=len(restored),
        rows=sum(restored.values()),
        media_files=media_files,
    )
