"""A household's statement on staff pages, under /staff/settlement/: the statement with its
approval chain and payments (read only: a GET never recomputes it), its PDF, and the
household's settlement inputs page — what the statement is computed from, and the forms that
change it: the move-out and promised return dates (clerks), rewards and deductions with their
reasons (finance), the outcome (finance or a leader) — and the button that computes (or
recomputes) the draft statement (finance).

Each form posts to one view that calls one service (`settlement.services.statements`). A
refusal is put on the field it names and the page is shown again with what was typed; a
missing permission is a 403. Once the statement is in the approval chain the services refuse
every change: the page says so, and who may send it back.
"""

from __future__ import annotations

import io
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from households.access import projects_q, require_project
from households.models import Household, HouseholdStatus
from households.stages import stage_of
from lottery.selectors.sign_off import binding_allocations
from resettlement.errors import RuleViolation
from resettlement.money import money_figure
from settlement.forms.approvals import ApproveForm, SendBackForm
from settlement.forms.corrections import CorrectionForm
from settlement.forms.payments import PaymentForm
from settlement.forms.statements import AdjustmentForm, OutcomeForm, TransitionForm
from settlement.models import (
    Adjustment,
    LineSide,
    Outcome,
    PaymentDirection,
    Statement,
    Transition,
)
from settlement.pdf.statement import statement_pdf as render_statement_pdf
from settlement.selectors import approvals, payments, statements, subsidy_runs
from settlement.selectors import corrections as settlement_corrections
from settlement.selectors.handover import head_name
from settlement.services import approvals as settlement_approvals
from settlement.services import corrections as correction_services
from settlement.services import payments as settlement_payments
from settlement.services import statements as settlement_statements
from settlement.views._common import _household, _role_label, refuse_on_form, view_statements
from settlement.views._household_cards import bank_account_context, overdue_context


def _statement(request: HttpRequest, pk: int) -> Statement:
    try:
        statement = statements.statement_detail(pk)
    except Statement.DoesNotExist as exc:
        raise Http404(_("没有这份结算单。")) from exc
    require_project(request.user, statement.project_id)
    return statement


@require_safe
@login_required
@view_statements
def statement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The statement as stored (a GET never recomputes it). A draft whose inputs changed
    since it was computed says so, with a button for finance that recomputes it
    (`statement_compute`, audited)."""
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
    chain = settlement_approvals.statement_chain(statement)
    taken = {a.position: a for a in approvals.current_approvals(statement)}
    step = settlement_approvals.next_step(statement)
    refusal = settlement_approvals.approval_refusal(user, statement, step) if step else None
    may_send_back = step is not None and (
        settlement_approvals.send_back_refusal(user, statement, step) is None
    )
    paid = payments.paid_so_far(statement)
    outstanding = payments.outstanding(statement, paid)
    direction = settlement_payments.direction_of(statement)
    may_pay = settlement_payments.payment_refusal(user, statement, paid) is None
    blockers = (
        settlement_payments.payout_blockers(statement)
        if may_pay and direction == PaymentDirection.PAY
        else []
    )
    lines = list(statement.lines.all())
    return {
        "statement": statement,
        "household": statement.household,
        "stage": stage_of(statement.household),
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
        "send_backs": approvals.send_back_history(statement),
        "paid": paid,
        "outstanding": outstanding,
        "may_pay": may_pay,
        "blockers": blockers,
        "payment_form": PaymentForm(initial={"amount": outstanding}) if may_pay else None,
        "payments": list(statement.payments.all()),
        "pdf_url": reverse("settlement:statement-pdf", args=[statement.pk]),
        "current": statements.statement_is_current(statement, today=timezone.localdate()),
    }


@require_safe
@login_required
@view_statements
def statement_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The statement as PDF, for the household to sign, as stored (a draft whose inputs
    changed is recomputed from its page first, by finance)."""
    statement = get_object_or_404(
        Statement.objects.select_related("household").filter(projects_q(request.user)), pk=pk
    )
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


def _page(request: HttpRequest, household: Household, **bound: forms.Form) -> HttpResponse:
    """The page, with the forms in `bound` (posted, with their errors) instead of fresh ones."""
    transition = Transition.objects.filter(household=household).first()
    # The draft as stored, and whether its inputs changed since (a lottery signed, a month
    # passed): the compute button recomputes it; a GET never does.
    statement = Statement.objects.filter(household=household).first()
    corrections = settlement_corrections.household_corrections(household)
    initial_transition = (
        {"moved_out_on": transition.moved_out_on, "promised_by": transition.promised_by}
        if transition
        else {}
    )
    context: dict[str, Any] = {
        "household": household,
        "stage": stage_of(household),
        "project": household.project,
        "head": head_name(household),
        "approved": household.status == HouseholdStatus.APPROVED,
        "apartments": [a.apartment for a in binding_allocations(household)],
        "transition": transition,
        "adjustments": list(
            Adjustment.objects.filter(household=household)
            .select_related("created_by")
            .order_by("created_at", "pk")
        ),
        "statement": statement,
        "current": statement is None
        or statements.statement_is_current(statement, today=timezone.localdate()),
        "frozen": statement is not None and statement.status in settlement_statements.FROZEN,
        "may_choose_outcome": settlement_statements.may_choose_outcome(request.user),
        "transition_form": TransitionForm(initial=initial_transition),
        "adjustment_form": AdjustmentForm(),
        "outcome_form": OutcomeForm(
            initial={"outcome": statement.outcome if statement else Outcome.APARTMENT}
        ),
        "compute_form": forms.Form(),
        "corrections": corrections,
        "open_correction": next((c for c in corrections if c.closed_at is None), None),
        "may_open_correction": (
            request.user.has_perm("settlement.open_correction")
            and correction_services.correction_open_refusal(household, statement) is None
        ),
        "correction_form": CorrectionForm(),
        "subsidy_lines": list(subsidy_runs.household_lines(household.pk)),
    }
    context.update(bank_account_context(request.user, household, context["head"], **bound))
    context.update(overdue_context(request.user, household, **bound))
    context.update(bound)
    return render(request, "settlement/finance_household.html", context)


@require_safe
@login_required
@view_statements
def household_settlement(request: HttpRequest, pk: int) -> HttpResponse:
    return _page(request, _household(request, pk))


@require_POST
@login_required
@view_statements
def transition_record(request: HttpRequest, pk: int) -> HttpResponse:
    household = _household(request, pk)
    form = TransitionForm(request.POST)
    if form.is_valid():
        try:
            settlement_statements.transition_record(
                actor=request.user,
                household=household,
                moved_out_on=form.cleaned_data["moved_out_on"],
                promised_by=form.cleaned_data["promised_by"],
            )
        except RuleViolation as exc:
            refuse_on_form(form, exc)
        else:
            messages.success(request, _("已保存搬迁腾房日期和承诺回迁日期。"))
            return redirect("settlement:household-settlement", pk=household.pk)
    return _page(request, household, transition_form=form)


@require_POST
@login_required
@view_statements
def adjustment_add(request: HttpRequest, pk: int) -> HttpResponse:
    household = _household(request, pk)
    form = AdjustmentForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            adjustment = settlement_statements.adjustment_add(
                actor=request.user,
                household=household,
                kind=data["kind"],
                amount=data["amount"],
                reason=data["reason"],
            )
        except RuleViolation as exc:
            refuse_on_form(form, exc)
        else:
            messages.success(
                request,
                _("已添加%(kind)s %(amount)s 元。")
                % {
                    "kind": adjustment.get_kind_display(),
                    "amount": money_figure(adjustment.amount),
                },
            )
            return redirect("settlement:household-settlement", pk=household.pk)
    return _page(request, household, adjustment_form=form)


@require_POST
@login_required
@view_statements
def outcome_choose(request: HttpRequest, pk: int) -> HttpResponse:
    household = _household(request, pk)
    form = OutcomeForm(request.POST)
    if form.is_valid():
        try:
            statement = settlement_statements.outcome_choose(
                actor=request.user, household=household, outcome=form.cleaned_data["outcome"]
            )
        except RuleViolation as exc:
            refuse_on_form(form, exc)
        else:
            messages.success(
                request,
                _("安置方式为“%(o)s”,结算单已按此计算。") % {"o": statement.get_outcome_display()},
            )
            return redirect("settlement:household-settlement", pk=household.pk)
    return _page(request, household, outcome_form=form)


@require_POST
@login_required
@view_statements
def statement_compute(request: HttpRequest, pk: int) -> HttpResponse:
    household = _household(request, pk)
    form = forms.Form(request.POST)
    try:
        statement = settlement_statements.statement_compute(actor=request.user, household=household)
    except RuleViolation as exc:
        refuse_on_form(form, exc)
        return _page(request, household, compute_form=form)
    messages.success(request, _("结算单已计算(第%(n)s次计算)。") % {"n": statement.version})
    return redirect("settlement:statement-detail", pk=statement.pk)


@require_POST
@login_required
@view_statements
def correction_open(request: HttpRequest, pk: int) -> HttpResponse:
    """A leader opens a correction of the household's settled statement, with a reason."""
    household = _household(request, pk)
    form = CorrectionForm(request.POST)
    if form.is_valid():
        try:
            correction_services.correction_open(
                actor=request.user, household=household, reason=form.cleaned_data["reason"]
            )
        except RuleViolation as exc:
            refuse_on_form(form, exc)
        else:
            messages.success(
                request,
                _(
                    "已开启结算后更正:该户信息现在可以修改,差额将形成新版本结算单,重新审批和收付款。"
                ),
            )
            return redirect("settlement:household-settlement", pk=household.pk)
    return _page(request, household, correction_form=form)
