"""The notarial record of a session as a PDF download, for staff who may see sessions."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.http import content_disposition_header
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from households.access import projects_q
from lottery.models import LotterySession
from lottery.pdf.notarial_record import notarial_record_pdf


@login_required
@permission_required("lottery.view_lotterysession", raise_exception=True)
@require_GET
@never_cache
def record_pdf(request: HttpRequest, code: str) -> HttpResponse:
    session = get_object_or_404(LotterySession.objects.filter(projects_q(request.user)), code=code)
    response = HttpResponse(notarial_record_pdf(session), content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(
        True, f"notarial-record-{session.code}.pdf"
    )
    return response
