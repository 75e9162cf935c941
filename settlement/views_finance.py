"""Finance pages, under /staff/settlement/: a project's villager groups and where their money
stands, a group's households, a household's statement with its approval chain and payments,
and the leaders' page for the chain itself. Whoever may take the step a statement waits for
may instead send it back to draft with a written reason; the page shows every send-back with
the approvals it superseded. (A household's inputs and the button that starts its statement
are on its own page: `settlement.views_inputs`.)

Each form posts to one view that calls one service (`settlement.services_money`); a refusal
is shown as a message on the page it came from, never an error page. The payment form
carries an idempotency key made when it was rendered, so submitting it twice pays once.
"""

from __future__ import annotations

import io
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from households.access import projects_q, require_project, visible_projects
from households.models import VillagerGroup
from resettlement.errors import NotAllowed, RuleViolation, apply_errors
from resettlement.reauth import recent_authentication_required
from resettlement.roles import ROLE_BY_CODE
from settlement import selectors_money, services, services_money
from settlement.forms_finance import ApproveForm, PaymentForm, SendBackForm, StepFormSet
from settlement.models import LineSide, PaymentDirection, Statement, StatementStatus
from settlement.statement_pdf import statement_pdf as render_statement_pdf

view_statements = permission_required("settlement.view_statement", raise_exception=True)


def _role_label(code: str) -> str:
    role = ROLE_BY_CODE.get(code)
    return str(role.label) if role else code


@require_safe
@login_required
@view_statements
def finance_home(request: HttpRequest) -> HttpResponse:
    projects = list(visible_projects(request.user).order_by("-created_at", "-id"))
    if len(projects) == 1:
        return redirect("settlement:project-groups", code=projects[0].code)
    return render(request, "settlement/finance_home.html", {"projects": projects})


@require_safe
@login_required
@view_statements
def project_groups(request: HttpRequest, code: str) -> HttpResponse:
    project = get_object_or_404(visible_projects(request.user), code=code)
    summary = selectors_money.project_settlement(project)
    chain = services_money.approval_chain(project)
    return render(
        request,
        "settlement/finance_project.html",
        {
            "project": project,
            "projects": visible_projects(request.user).order_by("code"),
            "summary": summary,
            "chain": [(step, _role_label(step.role)) for step in chain],
            "chain_locked": services_money.chain_locked(project),
        },
    )


@require_safe
@login_required
@view_statements
def group_detail(request: HttpRequest, pk: int) -> HttpResponse:
    group = get_object_or_404(
        VillagerGroup.objects.select_related("project", "community").filter(
            projects_q(request.user)
        ),
        pk=pk,
    )
    summary = selectors_money.group_settlement(group)
    return render(
        request,
        "settlement/finance_group.html",
        {"group": group, "project": group.project, "summary": summary},
    )


def _statement(request: HttpRequest, pk: int) -> Statement:
    try:
        statement = selectors_money.statement_detail(pk)
    except Statement.DoesNotExist as exc:
        raise Http404(_("没有这份结算单。")) from exc
    require_project(request.user, statement.project_id)
    return statement


@require_safe
@login_required
@view_statements
def statement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    statement = _statement(request, pk)
    if statement.status == StatementStatus.DRAFT:
        # A draft is shown as the inputs are now; it is read again only when that changed it
        # (a recomputation counts a new version).
        refreshed = services.statement_refresh(statement.household)
        if refreshed is not None and refreshed.version != statement.version:
            statement = _statement(request, pk)
    return render(
        request,
        "settlement/finance_statement.html",
        _statement_context(request, statement),
    )


def _statement_context(
    request: HttpRequest, statement: Statement, *, send_back_form: SendBackForm | None = None
) -> dict[str, Any]:
    user = request.user
    chain = services_money.approval_chain(statement.project)
    taken = {a.position: a for a in selectors_money.current_approvals(statement)}
    step = services_money.next_step(statement)
    refusal = services_money.approval_refusal(user, statement, step) if step else None
    may_send_back = step is not None and (
        services_money.send_back_refusal(user, statement, step) is None
    )
    paid = selectors_money.paid_so_far(statement)
    outstanding = selectors_money.outstanding(statement, paid)
    direction = services_money.direction_of(statement)
    may_pay = services_money.payment_refusal(user, statement, paid) is None
    blockers = (
        services_money.payout_blockers(statement)
        if may_pay and direction == PaymentDirection.PAY
        else []
    )
    lines = list(statement.lines.all())
    return {
        "statement": statement,
        "household": statement.household,
        "project": statement.project,
        "income_lines": [line for line in lines if line.side == LineSide.INCOME],
        "expenditure_lines": [line for line in lines if line.side == LineSide.EXPENDITURE],
        "abs_net": abs(statement.net),
        "direction": direction,
        "steps": [
            {"step": s, "role": _role_label(s.role), "approval": taken.get(s.position)}
            for s in chain
        ],
        "next_step": step,
        "next_step_role": _role_label(step.role) if step else "",
        "may_approve": step is not None and refusal is None,
        "approve_refusal": refusal.message if refusal is not None and step is not None else "",
        "approve_form": ApproveForm(initial={"expected_position": step.position if step else None}),
        "may_send_back": may_send_back,
        "send_back_form": send_back_form or SendBackForm(),
        "send_backs": selectors_money.send_back_history(statement),
        "paid": paid,
        "outstanding": outstanding,
        "may_pay": may_pay,
        "blockers": blockers,
        "payment_form": PaymentForm(initial={"amount": outstanding}) if may_pay else None,
        "payments": list(statement.payments.all()),
        "pdf_url": reverse("settlement:statement-pdf", args=[statement.pk]),
    }


@require_safe
@login_required
@view_statements
def statement_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The statement as PDF, for the household to sign; a draft is refreshed first."""
    statement = get_object_or_404(
        Statement.objects.select_related("household").filter(projects_q(request.user)), pk=pk
    )
    if statement.status == StatementStatus.DRAFT:
        services.statement_refresh(statement.household)
    # A file-like object, not an iterator: only then does FileResponse send the file name
    # (Content-Disposition) and the length.
    response = FileResponse(
        io.BytesIO(render_statement_pdf(statement)),
        as_attachment=False,
        filename=f"statement-{statement.household.code}.pdf",
        content_type="application/pdf",
    )
    # Never sniffed into something else, never cached (personal money matters).
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
@login_required
@view_statements
@recent_authentication_required("settlement:statement-detail")
def statement_approve(request: HttpRequest, pk: int) -> HttpResponse:
    statement = get_object_or_404(Statement.objects.filter(projects_q(request.user)), pk=pk)
    form = ApproveForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, errors[0])
        return redirect("settlement:statement-detail", pk=pk)
    try:
        approval = services_money.statement_approve(
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
    statement = get_object_or_404(Statement.objects.filter(projects_q(request.user)), pk=pk)
    form = SendBackForm(request.POST)
    if form.is_valid():
        try:
            send_back = services_money.statement_send_back(
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


@require_POST
@login_required
@view_statements
@recent_authentication_required("settlement:statement-detail")
def payment_record(request: HttpRequest, pk: int) -> HttpResponse:
    statement = get_object_or_404(Statement.objects.filter(projects_q(request.user)), pk=pk)
    form = PaymentForm(request.POST)
    if not form.is_valid():
        problems = [
            f"{form.fields[name].label or name}:{' '.join(errors)}"
            for name, errors in form.errors.items()
        ]
        messages.error(request, _("未登记:%(p)s") % {"p": ";".join(problems)})
        return redirect("settlement:statement-detail", pk=pk)
    data = form.cleaned_data
    try:
        payment, created = services_money.payment_record(
            actor=request.user,
            statement=statement,
            amount=data["amount"],
            idempotency_key=data["idempotency_key"],
            reference=data["reference"],
        )
    except RuleViolation as exc:
        messages.error(request, exc.message)
        return redirect("settlement:statement-detail", pk=pk)
    if created:
        statement.refresh_from_db()
        message = _("已登记%(d)s %(a)s 元。") % {
            "d": payment.get_direction_display(),
            "a": payment.amount,
        }
        if statement.status == StatementStatus.SETTLED:
            message += " " + _("该户已结清。")
        messages.success(request, message)
    else:
        messages.info(
            request,
            _("这笔%(d)s %(a)s 元已于 %(t)s 登记过(重复提交),没有重复登记。")
            % {
                "d": payment.get_direction_display(),
                "a": payment.amount,
                "t": payment.recorded_at.strftime("%Y-%m-%d %H:%M"),
            },
        )
    return redirect("settlement:statement-detail", pk=pk)


@login_required
@permission_required("settlement.change_approvalstep", raise_exception=True)
def chain_edit(request: HttpRequest, code: str) -> HttpResponse:
    project = get_object_or_404(visible_projects(request.user), code=code)
    chain = services_money.approval_chain(project)
    locked = services_money.chain_locked(project)
    initial = [
        {"position": s.position, "code": s.code, "label": s.label, "role": s.role} for s in chain
    ]
    formset = StepFormSet(request.POST or None, initial=initial, prefix="steps")
    if request.method == "POST" and formset.is_valid():
        try:
            services_money.approval_chain_set(
                actor=request.user, project=project, steps=formset.steps()
            )
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
