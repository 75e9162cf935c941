"""Uploading a household's documents and downloading them (never from a public URL)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from households.access import projects_q
from households.forms import DocumentUploadForm
from households.models import (
    Document,
    Household,
    Member,
)
from households.services import documents
from resettlement.errors import RuleViolation
from resettlement.personal_data import FULL_PERSONAL_DATA
from resettlement.uploads import stored_file_response


@login_required
@require_POST
def document_upload(request: HttpRequest, pk: int) -> HttpResponse:
    household = get_object_or_404(Household.objects.filter(projects_q(request.user)), pk=pk)
    form = DocumentUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("请选择要上传的文件。"))
        return redirect("staff:household-detail", pk=pk)
    member = None
    if form.cleaned_data.get("member"):
        member = get_object_or_404(Member, pk=form.cleaned_data["member"], household=household)
    try:
        documents.document_upload(
            actor=request.user,
            household=household,
            kind=form.cleaned_data["kind"],
            upload=form.cleaned_data["file"],
            member=member,
        )
    except RuleViolation as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("材料已上传。"))
    return redirect("staff:household-detail", pk=pk)


@login_required
@permission_required("households.view_document", raise_exception=True)
@permission_required(FULL_PERSONAL_DATA, raise_exception=True)
def document_download(request: HttpRequest, pk: int) -> FileResponse:
    """Stream a document as an attachment: never inline, never from a public URL. A scan of
    an ID card or a hukou book shows every number in full, so only the roles that see
    personal data in full may open one (the others see the checklist: present or missing)."""
    document = get_object_or_404(
        Document.objects.filter(projects_q(request.user, "household__project")), pk=pk
    )
    return stored_file_response(
        document.file,
        filename=f"{document.household.code}-{document.kind}{document.extension}",
        content_type=document.content_type,
        as_attachment=True,
    )
