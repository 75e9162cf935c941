"""The household's settlement inputs page, under /staff/settlement/households/<pk>/: what its
statement is computed from, and the forms that change it — the move-out and promised return
dates (clerks), rewards and deductions with their reasons (finance), the outcome (finance or
a leader) — and the button that computes (or recomputes) the draft statement (finance).

Each form posts to one view that calls one service (`settlement.services`). A refusal is put
on the field it names and the page is shown again with what was typed; a missing permission
is a 403. Once the statement is in the approval chain the services refuse every change: the
page says so, and who may send it back.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from households.access import projects_q
from households.models import Household, HouseholdStatus
from resettlement.errors import NotAllowed, RuleViolation, apply_errors
from settlement import services
from settlement.forms_finance import AdjustmentForm, OutcomeForm, TransitionForm
from settlement.models import Adjustment, Outcome, Transition
from settlement.selectors_handover import head_name

view_statements = permission_required("settlement.view_statement", raise_exception=True)


def _household(request: HttpRequest, pk: int) -> Household:
    """The household, if its project is visible to the user (404 otherwise, as for none)."""
    return get_object_or_404(
        Household.objects.select_related("project", "community", "group").filter(
            projects_q(request.user)
        ),
        pk=pk,
    )


def _page(request: HttpRequest, household: Household, **bound: forms.Form) -> HttpResponse:
    """The page, with the forms in `bound` (posted, with their errors) instead of fresh ones."""
    transition = Transition.objects.filter(household=household).first()
    # A draft is shown as the inputs are now, as on the statement's own page (a lottery
    # signed or a month passed since it was last computed).
    statement = services.statement_refresh(household)
    initial_transition = (
        {"moved_out_on": transition.moved_out_on, "promised_by": transition.promised_by}
        if transition
        else {}
    )
    context: dict[str, Any] = {
        "household": household,
        "project": household.project,
        "head": head_name(household),
        "approved": household.status == HouseholdStatus.APPROVED,
        "apartments": [a.apartment for a in services.binding_allocations(household)],
        "transition": transition,
        "adjustments": list(
            Adjustment.objects.filter(household=household)
            .select_related("created_by")
            .order_by("created_at", "pk")
        ),
        "statement": statement,
        "frozen": statement is not None and statement.status in services.FROZEN,
        "may_choose_outcome": services.may_choose_outcome(request.user),
        "transition_form": TransitionForm(initial=initial_transition),
        "adjustment_form": AdjustmentForm(),
        "outcome_form": OutcomeForm(
            initial={"outcome": statement.outcome if statement else Outcome.APARTMENT}
        ),
        "compute_form": forms.Form(),
    }
    context.update(bound)
    return render(request, "settlement/finance_household.html", context)


def _refused(form: forms.Form, exc: RuleViolation) -> None:
    if isinstance(exc, NotAllowed):
        raise PermissionDenied(exc.message) from exc
    apply_errors(form, exc.details, exc.message)


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
            services.transition_record(
                actor=request.user,
                household=household,
                moved_out_on=form.cleaned_data["moved_out_on"],
                promised_by=form.cleaned_data["promised_by"],
            )
        except RuleViolation as exc:
            _refused(form, exc)
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
            adjustment = services.adjustment_add(
                actor=request.user,
                household=household,
                kind=data["kind"],
                amount=data["amount"],
                reason=data["reason"],
            )
        except RuleViolation as exc:
            _refused(form, exc)
        else:
            messages.success(
                request,
                _("已添加%(kind)s %(amount)s 元。")
                % {"kind": adjustment.get_kind_display(), "amount": adjustment.amount},
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
            statement = services.outcome_choose(
                actor=request.user, household=household, outcome=form.cleaned_data["outcome"]
            )
        except RuleViolation as exc:
            _refused(form, exc)
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
        statement = services.statement_compute(actor=request.user, household=household)
    except RuleViolation as exc:
        _refused(form, exc)
        return _page(request, household, compute_form=form)
    messages.success(request, _("结算单已计算(第%(n)s次计算)。") % {"n": statement.version})
    return redirect("settlement:statement-detail", pk=statement.pk)
