"""Files past one machine (docs/scaling.md): with STORAGE_URL set, uploads, generated PDFs and
backups go to an S3-compatible bucket — here a real S3-protocol server started by the tests
(moto's standalone server, tests/object_storage.py) — and come back only through the
site's own views, with the same headers as from the disk; the bucket answers no one without
the keys."""

from __future__ import annotations

import io
import json
import urllib.error
import urllib.request

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from PIL import Image
from psycopg2 import sql

from publicity.models import RenderJob
from resettlement.backup import DUMP, MANIFEST, MEDIA, Database
from resettlement.object_storage import StorageUrlError, storages_from_environment
from tests.pdf import pdf_pages, squeezed


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (230, 225, 210)).save(buffer, format="PNG")
    return buffer.getvalue()


def bucket_keys(client, bucket: str) -> list[str]:
    listing = client.list_objects_v2(Bucket=bucket)
    return sorted(item["Key"] for item in listing.get("Contents", []))


def upload_document(client, household) -> None:
    upload = io.BytesIO(png_bytes())
    upload.name = "户口簿.png"
    response = client.post(
        reverse("staff:document-upload", args=[household.pk]),
        {"kind": "hukou_book", "file": upload},
    )
    assert response.status_code == 302


def test_an_uploaded_document_lands_in_the_bucket_and_downloads_privately_through_the_site(
    object_storage, client, clerk, outsider, register
):
    s3, bucket = object_storage
    household = register()
    client.force_login(clerk)
    upload_document(client, household)

    document = household.documents.get()
    assert bucket_keys(s3, bucket) == [f"media/{document.file.name}"]
    stored = s3.get_object(Bucket=bucket, Key=f"media/{document.file.name}")["Body"].read()
    assert stored == png_bytes()

    download = client.get(reverse("staff:document-download", args=[document.pk]))
    assert download.status_code == 200
    assert download["Content-Disposition"] == (
        f'attachment; filename="{household.code}-hukou_book.png"'
    )
    assert download["Content-Type"] == "image/png"
    assert download["Cache-Control"] == "private, no-store"
    assert download["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in download["Content-Security-Policy"]
    assert b"".join(download.streaming_content) == png_bytes()

    client.force_login(outsider)
    assert client.get(reverse("staff:document-download", args=[document.pk])).status_code == 403


def test_the_bucket_refuses_anyone_without_the_keys(object_storage, s3_server, clerk, register):
    s3, bucket = object_storage
    household = register()
    from django.test import Client

    staff = Client()
    staff.force_login(clerk)
    upload_document(staff, household)
    key = f"media/{household.documents.get().file.name}"

    grants = s3.get_object_acl(Bucket=bucket, Key=key)["Grants"]
    assert [grant["Grantee"].get("URI") for grant in grants if "URI" in grant["Grantee"]] == []
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{s3_server}/{bucket}/{key}")  # noqa: S310
    assert refused.value.code == 403


def test_a_roster_pdf_is_written_to_the_bucket_and_downloaded_through_the_site(
    object_storage, roster, clerk, client, django_capture_on_commit_callbacks
):
    s3, bucket = object_storage
    client.force_login(clerk)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("publicity_pdf:start", args=[roster.pk]))
    part = RenderJob.objects.get().parts.get(label="西山社区")
    assert part.file.name.endswith(".pdf")
    assert len([key for key in bucket_keys(s3, bucket) if key.endswith(".pdf")]) == 2
    assert f"media/{part.file.name}" in bucket_keys(s3, bucket)

    response = client.get(reverse("publicity_pdf:part-download", args=[part.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Cache-Control"] == "private, no-store"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    pdf = b"".join(response.streaming_content)
    assert "欧阳**" in squeezed(pdf_pages(pdf)[0])


on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="backup and restore run on PostgreSQL (CI)"
)


@pytest.fixture
def scratch_database():
    live = Database.from_settings(connection.settings_dict)
    admin = live.connect(name="postgres")
    admin.autocommit = True
    name = f"{live.name}_s3_restore"
    drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
    with admin.cursor() as cursor:
        cursor.execute(drop)
    where = f"{live.host or 'localhost'}:{live.port or 5432}"
    yield f"postgres://{live.user}:{live.password}@{where}/{name}"
    with admin.cursor() as cursor:
        cursor.execute(drop)
    admin.close()


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_backup_goes_to_the_bucket_and_restores_into_an_empty_one(
    object_storage, s3_server, clerk, register, settings, scratch_database
):
    s3, bucket = object_storage
    household = register()
    from django.test import Client

    staff = Client()
    staff.force_login(clerk)
    upload_document(staff, household)
    document_name = household.documents.get().file.name

    output = io.StringIO()
    call_command("backup", to_storage="nightly", stdout=output)
    assert "backups:nightly" in output.getvalue()
    keys = bucket_keys(s3, bucket)
    for name in (DUMP, MEDIA, MANIFEST):
        assert f"backups/nightly/{name}" in keys
    manifest = json.loads(
        s3.get_object(Bucket=bucket, Key=f"backups/nightly/{MANIFEST}")["Body"].read()
    )
    assert manifest["media"]["files"] == 1
    assert manifest["database"]["tables"]["households_document"] == 1

    # The same name twice is refused: a backup is never overwritten.
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="nightly"):
        call_command("backup", to_storage="nightly", stdout=io.StringIO())

    # Rebuilding the site elsewhere: its uploads go to a new, empty bucket; the backup is
    # read from the old one's backups/.
    s3.create_bucket(Bucket=f"{bucket}-new")
    new = storages_from_environment(
        {
            "STORAGE_URL": f"s3://resettlement:resettlement-secret@{bucket}-new"
            f"?endpoint={s3_server}&region=us-east-1",
            "BACKUP_STORAGE_URL": f"s3://resettlement:resettlement-secret@{bucket}/backups"
            f"?endpoint={s3_server}&region=us-east-1",
        },
        base_dir=settings.BASE_DIR,
        debug=True,
    )
    settings.STORAGES = new
    call_command(
        "restore", from_storage="nightly", database_url=scratch_database, stdout=io.StringIO()
    )
    restored = s3.get_object(Bucket=f"{bucket}-new", Key=f"media/{document_name}")
    assert restored["Body"].read() == png_bytes()
    with default_storage.open(document_name, "rb") as handle:
        assert handle.read() == png_bytes()

    # A bucket that holds files already is not restored into.
    with pytest.raises(CommandError, match="已有文件"):
        call_command(
            "restore", from_storage="nightly", database_url=scratch_database, stdout=io.StringIO()
        )


def test_without_storage_settings_files_stay_on_this_machines_disk(tmp_path):
    storages = storages_from_environment(
        {"PRIVATE_MEDIA_ROOT": str(tmp_path)}, base_dir=tmp_path, debug=False
    )
    assert storages["default"] == {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path)},
    }
    assert storages["backups"]["BACKEND"] == "django.core.files.storage.FileSystemStorage"


def test_a_storage_url_makes_private_signed_never_overwritten_objects(tmp_path):
    storages = storages_from_environment(
        {"STORAGE_URL": "s3://key:s%2Fcret@files?endpoint=http://minio:9000&region=cn-north-1"},
        base_dir=tmp_path,
        debug=False,
    )
    media = storages["default"]["OPTIONS"]
    assert storages["default"]["BACKEND"] == "storages.backends.s3.S3Storage"
    assert media["bucket_name"] == "files" and media["location"] == "media"
    assert media["access_key"] == "key" and media["secret_key"] == "s/cret"  # noqa: S105
    assert media["endpoint_url"] == "http://minio:9000"
    assert media["default_acl"] == "private"
    assert media["querystring_auth"] is True and media["querystring_expire"] == 300
    assert media["file_overwrite"] is False
    assert storages["backups"]["OPTIONS"]["location"] == "backups"
    assert storages["backups"]["OPTIONS"]["bucket_name"] == "files"


def test_a_storage_url_that_is_not_s3_is_refused_clearly(tmp_path):
    with pytest.raises(StorageUrlError, match="s3://"):
        storages_from_environment(
            {"STORAGE_URL": "https://files.example/bucket"}, base_dir=tmp_path, debug=False
        )


@pytest.mark.parametrize(
    "url",
    [
        # An AWS-style secret with an unencoded "/": the rest would be read as the prefix.
        "s3://AKIAEXAMPLE:wJalr/XUtnFEMI@files?endpoint=http://minio:9000",
        # With "?": the rest would be read as parameters, and named in the message.
        "s3://AKIAEXAMPLE:wJalr?XUtnFEMI@files?endpoint=http://minio:9000",
        # With "#": the rest would be dropped as a fragment.
        "s3://AKIAEXAMPLE:wJalr#XUtnFEMI@files?endpoint=http://minio:9000",
    ],
)
def test_a_secret_that_is_not_percent_encoded_is_refused_without_printing_it(tmp_path, url):
    with pytest.raises(StorageUrlError, match="percent-encode") as refused:
        storages_from_environment({"STORAGE_URL": url}, base_dir=tmp_path, debug=False)
    assert "wJalr" not in str(refused.value) and "XUtnFEMI" not in str(refused.value)


def test_a_signed_url_lifetime_that_is_not_a_number_is_refused_clearly(tmp_path):
    with pytest.raises(StorageUrlError, match="OBJECT_URL_SECONDS .* '5m'"):
        storages_from_environment(
            {"STORAGE_URL": "s3://files?endpoint=http://minio:9000", "OBJECT_URL_SECONDS": "5m"},
            base_dir=tmp_path,
            debug=False,
        )
