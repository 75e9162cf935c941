"""Uploading and deleting a household's documents (scans of ID cards, hukou books,
agreements), judged by their bytes."""

from __future__ import annotations

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from households.models import (
    Document,
    DocumentKind,
    Household,
    Member,
)
from households.services._common import _save_with_reason
from resettlement.errors import RuleViolation
from resettlement.roles import require_permission
from resettlement.uploads import UploadRefused, upload_check

ALLOWED_DOCUMENT_TYPES = {"application/pdf", "image/jpeg", "image/png"}


def _upload_refusal(code: str, upload: UploadedFile) -> str:
    if code == "too_large":
        return _("文件过大(%(s).1f MB),上限为 %(m).0f MB。") % {
            "s": upload.size / 1048576,
            "m": settings.DOCUMENT_MAX_BYTES / 1048576,
        }
    if code == "empty_file":
        return _("文件是空的。")
    return _("只接受 PDF、JPG、PNG 文件;“%(n)s”的内容不是这几种格式。") % {"n": upload.name}


@transaction.atomic
def document_upload(
    *,
    actor,
    household: Household,
    kind: str,
    upload: UploadedFile,
    member: Member | None = None,
) -> Document:
    """Store an uploaded document under a server-made name after checking size and content.

    Only PDF, JPEG and PNG are accepted, judged by the file's bytes, not its name.
    """
    require_permission(actor, "households.add_document")
    if kind not in DocumentKind.values:
        raise RuleViolation("bad_kind", _("未知的材料类型。"))
    if member is not None and member.household_id != household.pk:
        raise RuleViolation("bad_member", _("该成员不属于此户。"))
    try:
        checked = upload_check(
            upload, allowed_types=ALLOWED_DOCUMENT_TYPES, max_bytes=settings.DOCUMENT_MAX_BYTES
        )
    except UploadRefused as refused:
        raise RuleViolation(refused.code, _upload_refusal(refused.code, upload)) from None
    document = Document(
        household=household,
        member=member,
        kind=kind,
        original_name=(upload.name or "")[-200:],
        content_type=checked.content_type,
        size=upload.size,
        sha256=checked.sha256,
        uploaded_by=actor,
    )
    document.file.save("upload", upload, save=False)
    try:
        _save_with_reason(document, _("上传材料"), actor)
    except IntegrityError:
        document.file.delete(save=False)
        raise
    return document


@transaction.atomic
def document_delete(*, actor, document: Document) -> None:
    require_permission(actor, "households.delete_document")
    document._change_reason = _("删除材料")
    document._history_user = actor
    name = document.file.name
    storage = document.file.storage
    document.delete()
    transaction.on_commit(lambda: storage.delete(name))
