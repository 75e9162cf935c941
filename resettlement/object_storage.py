"""Where files live: the local disk (embedded default) or an S3-compatible object store.

Uploads, generated PDFs and pending imports go through Django's ``default`` storage; backups
through the ``backups`` storage. With no setting both are folders on this machine
(PRIVATE_MEDIA_ROOT and BACKUP_ROOT). Past one machine every web replica and worker must see
the same files, so they go to a bucket (MinIO in docker-compose.yml, any S3 protocol server):

    STORAGE_URL=s3://ACCESS_KEY:SECRET_KEY@bucket?endpoint=http://minio:9000&region=us-east-1

or the same pieces as django-storages' own variables (AWS_STORAGE_BUCKET_NAME,
AWS_S3_ENDPOINT_URL, AWS_S3_REGION_NAME, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY). Keys left
out of the URL come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, as boto3 reads them.
Uploads go under ``media/`` in the bucket and backups under ``backups/``, or into another
bucket named by BACKUP_STORAGE_URL (recommended: its own retention and its own keys).

Nothing in a bucket is public: every object is written with the ``private`` ACL, and the
site never hands a bucket URL to a browser — a private file is streamed by the view that
checked the user's permission, with the same headers as from the disk
(resettlement.uploads.private_file_response). Should a URL ever be asked of the storage it is
signed and lives OBJECT_URL_SECONDS (5 minutes by default).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

S3_BACKEND = "storages.backends.s3.S3Storage"
FILE_SYSTEM_BACKEND = "django.core.files.storage.FileSystemStorage"
MEDIA_PREFIX = "media"
BACKUP_PREFIX = "backups"
DEFAULT_URL_SECONDS = 300


class StorageUrlError(ValueError):
    """STORAGE_URL (or BACKUP_STORAGE_URL) cannot be understood; the message says why."""


def s3_options_from_url(url: str, *, location: str, url_seconds: int) -> dict:
    """django-storages' S3Storage options for ``s3://[key:secret@]bucket[/prefix]?endpoint=…``.

    ``location`` is the key prefix inside the bucket unless the URL names its own."""
    parts = urlsplit(url)
    if parts.scheme != "s3":
        raise StorageUrlError(f"storage URL must start with s3:// (got {parts.scheme!r})")
    # A key or secret with an unencoded / ? # @ or : splits the URL elsewhere (an AWS secret
    # often holds a /): the bucket and prefix would be read from pieces of the secret, and a
    # message naming them would print it. Refuse without echoing any of it.
    if "@" in parts.path + parts.query + parts.fragment or ":" in parts.netloc.rpartition("@")[2]:
        raise StorageUrlError(
            "storage URL cannot be split into key, secret and bucket: percent-encode the key "
            "and secret (/ as %2F, + as %2B, @ as %40, : as %3A, ? as %3F, # as %23)"
        )
    if not parts.hostname:
        raise StorageUrlError("storage URL names no bucket: s3://bucket?endpoint=…")
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    unknown = set(query) - {"endpoint", "region", "addressing", "verify"}
    if unknown:
        raise StorageUrlError(f"storage URL has unknown parameters: {', '.join(sorted(unknown))}")
    options: dict = {"bucket_name": parts.hostname, "location": parts.path.strip("/") or location}
    if parts.username:
        options["access_key"] = unquote(parts.username)
        options["secret_key"] = unquote(parts.password or "")
    if "endpoint" in query:
        options["endpoint_url"] = query["endpoint"]
    if "region" in query:
        options["region_name"] = query["region"]
    if query.get("verify", "").lower() in {"0", "false", "no"}:
        options["verify"] = False
    # MinIO and most self-hosted servers answer on one host name: bucket in the path.
    options["addressing_style"] = query.get("addressing", "path")
    return {**options, **_private_object_options(url_seconds)}


def _private_object_options(url_seconds: int) -> dict:
    return {
        # Never public: each object carries the private ACL, and a URL (never given to a
        # browser by this site) is signed and short-lived.
        "default_acl": "private",
        "querystring_auth": True,
        "querystring_expire": url_seconds,
        "signature_version": "s3v4",
        # Like the disk: a second file with the same name gets a new name, never replaces
        # the first (a document, a PDF part, a backup are never overwritten).
        "file_overwrite": False,
        # An object read for a download is held in memory up to this size, then on the disk
        # (the default, 0, would hold any size in memory).
        "max_memory_size": 5 * 1024 * 1024,
    }


def s3_options_from_variables(environ: Mapping[str, str], *, location: str, url_seconds: int):
    """The same options from django-storages' own variable names, or None without a bucket."""
    bucket = environ.get("AWS_STORAGE_BUCKET_NAME", "").strip()
    if not bucket:
        return None
    options: dict = {"bucket_name": bucket, "location": location, "addressing_style": "path"}
    for variable, option in (
        ("AWS_S3_ENDPOINT_URL", "endpoint_url"),
        ("AWS_S3_REGION_NAME", "region_name"),
        ("AWS_S3_ADDRESSING_STYLE", "addressing_style"),
    ):
        if environ.get(variable):
            options[option] = environ[variable]
    return {**options, **_private_object_options(url_seconds)}


def storages_from_environment(
    environ: Mapping[str, str], *, base_dir: Path, debug: bool
) -> dict[str, dict]:
    """Django's STORAGES: ``default`` (uploads, PDFs), ``backups`` and ``staticfiles``."""
    seconds = environ.get("OBJECT_URL_SECONDS", str(DEFAULT_URL_SECONDS))
    try:
        url_seconds = int(seconds)
    except ValueError:
        raise StorageUrlError(
            f"OBJECT_URL_SECONDS must be a whole number of seconds (got {seconds!r})"
        ) from None
    if environ.get("STORAGE_URL"):
        media = s3_options_from_url(
            environ["STORAGE_URL"], location=MEDIA_PREFIX, url_seconds=url_seconds
        )
    else:
        media = s3_options_from_variables(environ, location=MEDIA_PREFIX, url_seconds=url_seconds)
    if environ.get("BACKUP_STORAGE_URL"):
        backups = s3_options_from_url(
            environ["BACKUP_STORAGE_URL"], location=BACKUP_PREFIX, url_seconds=url_seconds
        )
    elif media is not None:
        backups = {**media, "location": BACKUP_PREFIX}
    else:
        backups = None
    return {
        # Uploaded documents and generated PDFs live outside any URL space; they are only
        # ever streamed by a view that checks the user's permission (e.g.
        # households.views.documents.document_download).
        "default": {"BACKEND": S3_BACKEND, "OPTIONS": media}
        if media is not None
        else {
            "BACKEND": FILE_SYSTEM_BACKEND,
            "OPTIONS": {"location": environ.get("PRIVATE_MEDIA_ROOT", base_dir / "private_media")},
        },
        # `manage.py backup --to-storage` (resettlement.backup).
        "backups": {"BACKEND": S3_BACKEND, "OPTIONS": backups}
        if backups is not None
        else {
            "BACKEND": FILE_SYSTEM_BACKEND,
            "OPTIONS": {"location": environ.get("BACKUP_ROOT", base_dir / "backups")},
        },
        "staticfiles": {
            "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
            if debug
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        },
    }


def is_object_storage(alias_config: Mapping) -> bool:
    return alias_config.get("BACKEND") == S3_BACKEND
