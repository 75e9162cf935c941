"""Files people give us and files we give back.

On the way in a file is judged by its size and its bytes, never by its name or the type the
browser declared (a PNG named setup.exe is a PNG; text named photo.jpg is refused). On the
way out it is served so that no browser caches it, sniffs it into something else or runs it.
The caller words the refusal: a defect photo and a household document say it differently.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Collection
from dataclasses import dataclass
from typing import BinaryIO

import filetype
from django.core.files.uploadedfile import UploadedFile
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404

# Enough of the head of a file for every signature `filetype` knows.
SNIFF_BYTES = 8192
# The served file may show itself (an image) and nothing else; sandbox stops any script.
PRIVATE_FILE_CSP = "default-src 'none'; img-src 'self'; sandbox"


def sniff_type(upload: UploadedFile) -> str | None:
    """The MIME type the file's first bytes show (None if unknown); the file is rewound."""
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    upload.seek(0)
    kind = filetype.guess(head)
    return kind.mime if kind else None


@dataclass(frozen=True)
class CheckedUpload:
    content_type: str
    sha256: str


class UploadRefused(Exception):
    """The upload is `empty_file`, `too_large` or `bad_type` (its bytes are none allowed)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def upload_check(
    upload: UploadedFile, *, allowed_types: Collection[str], max_bytes: int
) -> CheckedUpload:
    """The upload's sniffed type and SHA-256, or UploadRefused; the file is left rewound."""
    if upload.size == 0:
        raise UploadRefused("empty_file")
    if upload.size > max_bytes:
        raise UploadRefused("too_large")
    content_type = sniff_type(upload)
    if content_type not in allowed_types:
        raise UploadRefused("bad_type")
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return CheckedUpload(content_type=content_type, sha256=digest.hexdigest())


def private_file_response(
    content: bytes | BinaryIO, *, filename: str, content_type: str, as_attachment: bool
) -> FileResponse:
    """A stored or generated file for staff: never sniffed, cached, or able to run anything."""
    response = FileResponse(
        io.BytesIO(content) if isinstance(content, bytes) else content,
        as_attachment=as_attachment,
        filename=filename,
        content_type=content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = PRIVATE_FILE_CSP
    return response


def stored_file_response(
    stored: FieldFile, *, filename: str, content_type: str, as_attachment: bool
) -> FileResponse:
    """A file from private storage, served as private_file_response serves it; not found
    (404) when the record names no file or the storage no longer has it, never a 500."""
    if not stored:
        raise Http404
    try:
        handle = stored.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return private_file_response(
        handle, filename=filename, content_type=content_type, as_attachment=as_attachment
    )
