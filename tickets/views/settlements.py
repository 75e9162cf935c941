"""Staff pages of developers' settlement (开发企业结算), under /staff/tickets/: per project, what
each developer has waiting and the batches; a batch's page with its purchases, its approvals
and the next step's form; the bank file of an approved batch. POST views call one service."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from households.access import projects_q, visible_projects
from resettlement.errors import NotAllowed, RuleViolation
from resettlement.personal_data import FULL_BANK_ACCOUNT
from resettlement.reauth import recent_authentication_required
from settlement.views._common import bank_file_download
from tickets.models import Developer, DeveloperSettlement, DeveloperSettlementStatus
from tickets.selectors import settlements as selectors
from tickets.services import settlements as services

view_settlements = permission_required("tickets.view_developersettlement", raise_exception=True)


def _refused(request: HttpRequest, exc: RuleViolation) -> None:
    if isinstance(exc, NotAllowed):
        raise PermissionDenied(exc.message) from exc
    messages.error(request, exc.message)


def _settlement(request: HttpRequest, pk: int) -> DeveloperSettlement:
    return get_object_or_404(
        selectors.settlement_with_history(
            DeveloperSettlement.objects.filter(projects_q(request.user))
        ),
        pk=pk,
    )


@require_safe
@login_required
@view_settlements
def project_settlements(request: HttpRequest, code: str) -> HttpResponse:
    project = get_object_or_404(visible_projects(request.user), code=code)
    return render(
        request,
        "tickets/settlements.html",
        {
            "project": project,
            "unsettled": selectors.unsettled_by_developer(project),
            "settlements": selectors.project_settlements(project),
        },
    )


@require_POST
@login_required
@view_settlements
@recent_authentication_required("tickets:project-settlements")
def settlement_open(request: HttpRequest, code: str) -> HttpResponse:
    project = get_object_or_404(visible_projects(request.user), code=code)
    developer = get_object_or_404(Developer, pk=request.POST.get("developer") or 0)
    try:
        settlement = services.developer_settlement_open(
            actor=request.user, project=project, developer=developer
        )
    except RuleViolation as exc:
        _refused(request, exc)
        return redirect("tickets:project-settlements", code=code)
    messages.success(request, _("已发起开发企业结算 %(n)s。") % {"n": settlement.number})
    return redirect("tickets:settlement-detail", pk=settlement.pk)


@require_safe
@login_required
@view_settlements
def settlement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    settlement = _settlement(request, pk)
    return render(
        request,
        "tickets/settlement.html",
        {
            "settlement": settlement,
            "project": settlement.project,
            "next_step": services.settlement_next_step(settlement),
            "approvals": list(settlement.approvals.all()),
            "purchases": list(settlement.purchases.all()),
            "bank_files": [
                (_("银行代发文件(Excel)"), reverse("tickets:settlement-bank", args=[pk, "xlsx"])),
                (_("银行代发文件(CSV)"), reverse("tickets:settlement-bank", args=[pk, "csv"])),
            ]
            if request.user.has_perms(("tickets.record_ticket_use", FULL_BANK_ACCOUNT))
            else [],
        },
    )


@require_safe
@login_required
@permission_required(("tickets.record_ticket_use", FULL_BANK_ACCOUNT), raise_exception=True)
def settlement_bank_file(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    """The bank batch file of an approved settlement (finance, who sees bank account numbers
    in full: it carries the developer's). Reading it changes nothing."""
    settlement = _settlement(request, pk)
    if settlement.status != DeveloperSettlementStatus.APPROVED:
        raise Http404(_("开发企业结算尚未审批完成。"))
    return bank_file_download(
        selectors.bank_rows(settlement),
        kind=kind,
        title=settlement.number,
        filename=settlement.number,
    )


@require_POST
@login_required
@view_settlements
@recent_authentication_required("tickets:settlement-detail")
def settlement_approve(request: HttpRequest, pk: int) -> HttpResponse:
    settlement = _settlement(request, pk)
    try:
        position = int(request.POST.get("expected_position", ""))
    except ValueError:
        position = 0
    try:
        services.developer_settlement_approve(
            actor=request.user,
            settlement=settlement,
            expected_position=position,
            comment=request.POST.get("comment", ""),
        )
    except RuleViolation as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("已审批。"))
    return redirect("tickets:settlement-detail", pk=pk)
