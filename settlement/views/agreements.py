"""Issuing, downloading and signing a household's agreement (from its handover page)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from households.models import Household
from resettlement.errors import RuleViolation
from resettlement.uploads import private_file_response
from settlement.forms.agreements import AgreementSignForm
from settlement.models import Agreement
from settlement.selectors import handover
from settlement.services import agreements
from settlement.views._common import _household, form_errors_as_messages, refuse_as_message
from settlement.views.handover import _detail_url

agreement_view = permission_required("settlement.view_agreement", raise_exception=True)


def _agreement_pdf(agreement: Agreement, pdf: bytes) -> FileResponse:
    return private_file_response(
        pdf, filename=f"{agreement.number}.pdf", content_type="application/pdf", as_attachment=True
    )


def _issued(request: HttpRequest, pk: int) -> tuple[Household, Agreement]:
    """The household (one the user may see) and its issued agreement; 404 before one is."""
    household = _household(request, pk)
    agreement = handover.agreement_of(household)
    if agreement is None:
        raise Http404
    return household, agreement


# -- agreements -----------------------------------------------------------------------------


@login_required
@agreement_view
@require_POST
def agreement_issue(request: HttpRequest, pk: int) -> HttpResponse:
    """Issue (or re-issue) the agreement, then back to the household's page, which now shows
    the issued agreement (number, hash) and its download for the clerk to print. (Answering
    the POST with the PDF itself left the page as it was: "not issued yet", button and all.)"""
    household = _household(request, pk)
    try:
        agreement, _pdf = agreements.agreement_issue(actor=request.user, household=household)
    except RuleViolation as exc:
        refuse_as_message(request, exc)
    else:
        messages.success(
            request,
            _("已出具安置协议 %(n)s,请下载打印后交安置户签字。") % {"n": agreement.number},
        )
    return redirect(f"{_detail_url(household)}#agreement")


@login_required
@agreement_view
def agreement_download(request: HttpRequest, pk: int) -> HttpResponse:
    """The issued text again, exactly the bytes whose hash is recorded."""
    agreement = _issued(request, pk)[1]
    pdf = agreements.agreement_pdf_bytes(agreement)
    if pdf is None:
        raise Http404
    return _agreement_pdf(agreement, pdf)


@login_required
@agreement_view
@require_POST
def agreement_sign(request: HttpRequest, pk: int) -> HttpResponse:
    household, agreement = _issued(request, pk)
    form = AgreementSignForm(request.POST)
    if not form.is_valid():
        form_errors_as_messages(request, form)
        return redirect(_detail_url(household))
    try:
        agreements.agreement_sign(
            actor=request.user,
            agreement=agreement,
            signed_on=form.cleaned_data["signed_on"],
            signer_name=form.cleaned_data["signer_name"],
        )
    except RuleViolation as exc:
        refuse_as_message(request, exc)
    else:
        messages.success(request, _("已登记协议 %(n)s 的签订。") % {"n": agreement.number})
    return redirect(_detail_url(household))
