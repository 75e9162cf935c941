"""Backup and restore (docs/operations.md): `manage.py backup` dumps the PostgreSQL database
and archives the uploaded files with a manifest of SHA-256 sums; `manage.py restore` checks
the manifest, restores into an empty scratch database and media directory and finds every
table's row count as it was. PostgreSQL only; the embedded SQLite is refused clearly."""

from __future__ import annotations

import hashlib
import io
import json
import os
import stat

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from psycopg2 import sql

from households.services import documents
from publicity.services import complaints
from resettlement.audit import audit_head_publish, audit_record
from resettlement.backup import DUMP, MANIFEST, MEDIA, Database, write_manifest

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00"
    b"\x00\x00IEND\xaeB`\x82"
)

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="backup and restore run on PostgreSQL (CI)"
)
on_sqlite = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="the refusal is for the embedded SQLite database"
)


@pytest.fixture
def media(settings, tmp_path):
    root = tmp_path / "private_media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": root},
        },
    }
    return root


def _admin_connection():
    live = Database.from_settings(connection.settings_dict)
    admin = live.connect(name="postgres")
    admin.autocommit = True
    return live, admin


def _url(server: Database, name: str) -> str:
    where = f"{server.host or 'localhost'}:{server.port or 5432}"
    return f"postgres://{server.user}:{server.password}@{where}/{name}"


@pytest.fixture
def scratch_database():
    """`<test database>_restore`, dropped before and after the test."""
    live, admin = _admin_connection()
    name = f"{live.name}_restore"
    drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
    with admin.cursor() as cursor:
        cursor.execute(drop)
    yield name, _url(live, name)
    with admin.cursor() as cursor:
        cursor.execute(drop)
    admin.close()


def _counts(database_name: str, tables: list[str]) -> dict[str, int]:
    live = Database.from_settings(connection.settings_dict)
    other = live.connect(name=database_name)
    try:
        with other.cursor() as cursor:
            counts = {}
            for table in tables:
                cursor.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table)))
                counts[table] = cursor.fetchone()[0]
            return counts
    finally:
        other.close()


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_backup_restores_into_a_scratch_database_with_the_same_rows_and_files(
    register, clerk, media, tmp_path, scratch_database
):
    household = register()
    register()
    document = documents.document_upload(
        actor=clerk,
        household=household,
        kind="hukou_book",
        upload=SimpleUploadedFile("户口簿.png", PNG, content_type="image/png"),
    )
    complaints.complaint_file(
        category="other",
        text="见附件。",
        attachment=SimpleUploadedFile("a.png", PNG, content_type="image/png"),
    )
    with transaction.atomic():
        audit_record(actor=clerk, action="access.grant", obj=None, payload={"user_id": 1})
    published_head = audit_head_publish()
    backup_dir = tmp_path / "backup"

    call_command("backup", to=str(backup_dir))

    manifest = json.loads((backup_dir / MANIFEST).read_text(encoding="utf-8"))
    assert set(manifest["files"]) == {DUMP, MEDIA}
    assert manifest["database"]["tables"]["households_household"] == 2
    # The published heads travel with the chain they pin.
    assert manifest["database"]["tables"]["resettlement_publishedhead"] == 1
    assert manifest["media"]["files"] == 2

    name, url = scratch_database
    restored_media = tmp_path / "restored_media"
    call_command(
        "restore", source=str(backup_dir), database_url=url, media_root=str(restored_media)
    )

    tables = [
        "households_household",
        "households_member",
        "households_document",
        "publicity_complaint",
        "resettlement_auditentry",
        "resettlement_publishedhead",
        "auth_user",
        "auth_group_permissions",
        "django_migrations",
    ]
    assert _counts(name, tables) == _counts(connection.settings_dict["NAME"], tables)
    restored = restored_media / document.file.name
    assert restored.read_bytes() == PNG
    # The restored row points at the restored file and records that file's hash.
    restored_db = Database.from_settings(connection.settings_dict).connect(name=name)
    try:
        with restored_db.cursor() as cursor:
            cursor.execute("SELECT file, sha256 FROM households_document")
            assert cursor.fetchall() == [(document.file.name, hashlib.sha256(PNG).hexdigest())]
            cursor.execute("SELECT sequence, hash FROM resettlement_publishedhead")
            assert cursor.fetchall() == [(published_head.sequence, published_head.hash)]
    finally:
        restored_db.close()


@pytest.fixture
def permissive_umask():
    """A umask that takes nothing away: whatever the backup makes private, it made so."""
    previous = os.umask(0)
    yield
    os.umask(previous)


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_backup_is_readable_by_its_owner_only_whatever_the_umask(
    register, clerk, media, tmp_path, permissive_umask
):
    household = register()
    documents.document_upload(
        actor=clerk,
        household=household,
        kind="hukou_book",
        upload=SimpleUploadedFile("户口簿.png", PNG, content_type="image/png"),
    )
    fresh = tmp_path / "nightly" / "2026-11-21"
    empty = tmp_path / "by-hand"
    empty.mkdir(mode=0o777)
    for target in (fresh, empty):
        output = io.StringIO()
        call_command("backup", to=str(target), stdout=output)

        assert _mode(target) == 0o700
        assert sorted(path.name for path in target.iterdir()) == sorted([DUMP, MEDIA, MANIFEST])
        assert {path.name: _mode(path) for path in target.iterdir()} == dict.fromkeys(
            [DUMP, MEDIA, MANIFEST], 0o600
        )
        assert "目录权限 0700、文件权限 0600" in output.getvalue()


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_restore_never_writes_into_a_database_that_has_tables(
    register, media, tmp_path, scratch_database
):
    register()
    call_command("backup", to=str(tmp_path / "backup"))
    name, url = scratch_database
    call_command(
        "restore",
        source=str(tmp_path / "backup"),
        database_url=url,
        media_root=str(tmp_path / "m1"),
    )
    with pytest.raises(CommandError, match="不是空的"):
        call_command(
            "restore",
            source=str(tmp_path / "backup"),
            database_url=url,
            media_root=str(tmp_path / "m2"),
        )
    live = Database.from_settings(connection.settings_dict)
    own = _url(live, live.name)
    with pytest.raises(CommandError, match="正在使用的数据库"):
        call_command(
            "restore",
            source=str(tmp_path / "backup"),
            database_url=own,
            media_root=str(tmp_path / "m3"),
        )


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_backup_never_overwrites_an_earlier_one(media, tmp_path):
    (tmp_path / "backup").mkdir()
    (tmp_path / "backup" / "database.dump").write_bytes(b"yesterday")
    with pytest.raises(CommandError, match="已存在且不是空目录"):
        call_command("backup", to=str(tmp_path / "backup"))
    assert (tmp_path / "backup" / "database.dump").read_bytes() == b"yesterday"


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_backup_whose_upload_breaks_off_leaves_nothing_under_its_name(register, tmp_path):
    from django.core.files.storage import FileSystemStorage

    from resettlement.backup import backup_to_storage

    class StorageThatFailsOnTheManifest(FileSystemStorage):
        def save(self, name, content, max_length=None):
            if name.endswith(MANIFEST):
                raise OSError("the connection to the storage broke off")
            return super().save(name, content, max_length=max_length)

    register()
    backups = StorageThatFailsOnTheManifest(location=tmp_path / "backups")
    live = Database.from_settings(connection.settings_dict)
    arguments = {
        "database": live,
        "media": FileSystemStorage(location=tmp_path / "media"),
        "name": "nightly",
    }
    with pytest.raises(OSError, match="broke off"):
        backup_to_storage(storage=backups, **arguments)
    assert backups.listdir("nightly") == ([], [])

    # The name is free again: the next night's run writes the whole backup under it.
    manifest = backup_to_storage(
        storage=FileSystemStorage(location=tmp_path / "backups"), **arguments
    )
    assert sorted(os.listdir(tmp_path / "backups" / "nightly")) == sorted([DUMP, MANIFEST, MEDIA])
    assert manifest["database"]["tables"]["households_household"] == 1


@on_sqlite
def test_the_embedded_sqlite_database_is_refused_clearly(db, media, tmp_path):
    with pytest.raises(CommandError, match="只支持 PostgreSQL"):
        call_command("backup", to=str(tmp_path / "backup"))
    assert not (tmp_path / "backup").exists()


NEVER_CREATED = "never_created_restore"


def _restore_into_a_database_never_created(backup_dir, target) -> None:
    call_command(
        "restore",
        source=str(backup_dir),
        database_url=f"postgres://postgres@127.0.0.1:5432/{NEVER_CREATED}",
        media_root=str(target),
    )


def _assert_the_database_was_never_created() -> None:
    """A refused restore created no database (on PostgreSQL, where it would create one)."""
    if connection.vendor != "postgresql":
        return
    _live, admin = _admin_connection()
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [NEVER_CREATED])
        assert cursor.fetchone() is None
    admin.close()


def test_a_damaged_backup_is_refused_before_anything_is_restored(db, tmp_path):
    backup_dir = tmp_path / "backup"
    backup_dir.mkdir()
    (backup_dir / DUMP).write_bytes(b"PGDMP" + b"\x00" * 100)
    (backup_dir / MEDIA).write_bytes(b"\x00" * 1024)
    write_manifest(backup_dir, database={"tables": {}}, media={"files": 0})
    (backup_dir / DUMP).write_bytes(b"PGDMP" + b"\x01" * 100)  # same size, other bytes

    target = tmp_path / "restored_media"
    with pytest.raises(CommandError, match="database.dump 的 SHA-256 与清单不符"):
        _restore_into_a_database_never_created(backup_dir, target)
    assert not target.exists()
    (backup_dir / MEDIA).unlink()
    with pytest.raises(CommandError, match="缺少文件 media.tar"):
        _restore_into_a_database_never_created(backup_dir, target)
    _assert_the_database_was_never_created()


def test_a_media_archive_with_an_entry_outside_the_media_root_is_refused_before_any_write(
    db, tmp_path
):
    import tarfile

    backup_dir = tmp_path / "backup"
    backup_dir.mkdir()
    (backup_dir / DUMP).write_bytes(b"PGDMP" + b"\x00" * 100)
    with tarfile.open(backup_dir / MEDIA, "w") as archive:
        escape = tarfile.TarInfo("media/../escaped.txt")
        escape.size = 4
        archive.addfile(escape, io.BytesIO(b"evil"))
    write_manifest(backup_dir, database={"tables": {}}, media={"files": 1})

    target = tmp_path / "restored_media"
    with pytest.raises(CommandError, match="媒体归档中有不允许的条目:media/../escaped.txt"):
        _restore_into_a_database_never_created(backup_dir, target)
    assert not target.exists()
    assert not (tmp_path / "escaped.txt").exists()
    _assert_the_database_was_never_created()


def test_a_database_url_that_is_not_postgresql_is_refused(db, tmp_path):
    with pytest.raises(CommandError, match="只支持 PostgreSQL"):
        call_command(
            "restore",
            source=str(tmp_path),
            database_url=f"sqlite:///{tmp_path / 'x.sqlite3'}",
            media_root=str(tmp_path / "m"),
        )
