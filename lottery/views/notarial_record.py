"""The notarial record of a session as a PDF download, for staff who may see sessions."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.http import content_disposition_header
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from households.access import projects_q
from lottery.models import LotterySession
from lottery.pdf.notarial_record import notarial_record_pdf
from resettlement.pdf import document_language


@login_required
@permission_required("lottery.view_lotterysession", raise_exception=True)
@require_GET
@never_cache
def record_pdf(request: HttpRequest, code: str) -> HttpResponse:
    """In Chinese, the notary's text; `?language=en` gives an English copy."""
    session = get_object_or_404(LotterySession.objects.filter(projects_q(request.user)), code=code)
    language = document_language(request.GET.get("language"))
    pdf = notarial_record_pdf(session, language=language)
    response = HttpResponse(pdf, content_type="application/pdf")
    suffix = "" if language == settings.LANGUAGE_CODE else f"-{language}"
    response["Content-Disposition"] = content_disposition_header(
        True, f"notarial-record-{session.code}{suffix}.pdf"
    )
    return response
