"""The approval chain on a statement's page: taking the step, sending it back, and the
leaders' page for the chain itself (each posts to one service of `services.approvals`)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from households.access import visible_projects
from resettlement.errors import NotAllowed, RuleViolation, apply_errors
from resettlement.reauth import recent_authentication_required
from settlement.forms.approvals import ApproveForm, SendBackForm, StepFormSet
from settlement.models import StatementStatus
from settlement.services import approvals
from settlement.views._common import _visible_statement, view_statements
from settlement.views.statements import _statement, _statement_context


@require_POST
@login_required
@view_statements
@recent_authentication_required("settlement:statement-detail")
def statement_approve(request: HttpRequest, pk: int) -> HttpResponse:
    statement = _visible_statement(request, pk)
    form = ApproveForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, errors[0])
        return redirect("settlement:statement-detail", pk=pk)
    try:
        approval = approvals.statement_approve(
            actor=request.user,
            statement=statement,
            expected_position=form.cleaned_data["expected_position"],
            comment=form.cleaned_data["comment"],
        )
    except RuleViolation as exc:
        messages.error(request, exc.message)
    else:
        statement.refresh_from_db()
        if statement.status == StatementStatus.APPROVING:
            messages.success(request, _("已完成“%(step)s”。") % {"step": approval.label})
        else:
            messages.success(
                request,
                _("已完成“%(step)s”,结算单审批完毕(%(status)s)。")
                % {"step": approval.label, "status": statement.get_status_display()},
            )
    return redirect("settlement:statement-detail", pk=pk)


@require_POST
@login_required
@view_statements
def statement_send_back(request: HttpRequest, pk: int) -> HttpResponse:
    """Back to draft with a reason. A missing reason is shown on the reason field with the
    page, a statement no longer in the chain as a message; someone who may not take the step
    gets 403."""
    statement = _visible_statement(request, pk)
    form = SendBackForm(request.POST)
    if form.is_valid():
        try:
            send_back = approvals.statement_send_back(
                actor=request.user, statement=statement, reason=form.cleaned_data["reason"]
            )
        except NotAllowed as exc:  # not theirs to send back: wrong role, or took a step
            raise PermissionDenied(exc.message) from exc
        except RuleViolation as exc:
            if not exc.details:  # e.g. no longer in the chain: nothing to correct on the form
                messages.error(request, exc.message)
                return redirect("settlement:statement-detail", pk=pk)
            apply_errors(form, exc.details, exc.message)
        else:
            messages.success(
                request,
                _("结算单已在“%(step)s”退回,更正并重新计算后从第一步重新审批。")
                % {"step": send_back.label},
            )
            return redirect("settlement:statement-detail", pk=pk)
    return render(
        request,
        "settlement/finance_statement.html",
        _statement_context(request, _statement(request, pk), send_back_form=form),
    )


@login_required
@permission_required("settlement.change_approvalstep", raise_exception=True)
def chain_edit(request: HttpRequest, code: str) -> HttpResponse:
    project = get_object_or_404(visible_projects(request.user), code=code)
    chain = approvals.approval_chain(project)
    locked = approvals.chain_locked(project)
    initial = [
        {
            "position": s.position,
            "code": s.code,
            "label": s.label,
            "role": s.role,
            "applies_to": s.applies_to,
        }
        for s in chain
    ]
    formset = StepFormSet(request.POST or None, initial=initial, prefix="steps")
    if request.method == "POST" and formset.is_valid():
        try:
            approvals.approval_chain_set(actor=request.user, project=project, steps=formset.steps())
        except RuleViolation as exc:
            details = [d["message"] for d in exc.details or [] if isinstance(d, dict)]
            for message in details or [exc.message]:
                messages.error(request, message)
        else:
            messages.success(request, _("审批流程已保存。"))
            return redirect("settlement:project-groups", code=project.code)
    return render(
        request,
        "settlement/finance_chain.html",
        {"project": project, "formset": formset, "locked": locked},
    )
