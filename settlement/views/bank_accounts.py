"""A household's bank account on its settlement page (/staff/settlement/households/<pk>/):
the account in use, a change waiting for a second person, the history, and the forms that
record a change (a clerk or finance) and confirm or reject it (finance, not the recorder).
The number is shown in full to finance only (`resettlement.personal_data`). Each form posts
to one view that calls one service (`settlement.services.bank_accounts`)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from households.access import projects_q
from resettlement.errors import RuleViolation
from settlement.forms.bank_accounts import BankAccountForm, BankAccountRejectForm
from settlement.models import BankAccount
from settlement.selectors.handover import head_name
from settlement.services import bank_accounts as bank_account_services
from settlement.views._common import _household, refuse_on_form, view_statements
from settlement.views.statements import _page


def _account(request: HttpRequest, pk: int) -> BankAccount:
    account = (
        BankAccount.objects.select_related("household__project")
        .filter(projects_q(request.user, "household__project"))
        .filter(pk=pk)
        .first()
    )
    if account is None:
        raise Http404(_("没有这个银行账户。"))
    return account


def _back(household_id: int) -> HttpResponse:
    response = redirect("settlement:household-settlement", pk=household_id)
    response["Location"] += "#bank-accounts"
    return response


@require_POST
@login_required
@view_statements
def bank_account_record(request: HttpRequest, pk: int) -> HttpResponse:
    household = _household(request, pk)
    form = BankAccountForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            account = bank_account_services.bank_account_record(
                actor=request.user,
                household=household,
                holder_name=data["holder_name"],
                bank_name=data["bank_name"],
                account_number=data["account_number"],
                reason=data["reason"],
            )
        except RuleViolation as exc:
            refuse_on_form(form, exc)
        else:
            messages.success(request, _("银行账户已录入,待财务第二人复核确认后生效。"))
            head = head_name(household)
            if bank_account_services.holder_differs(account.holder_name, head):
                messages.warning(
                    request,
                    _("户名“%(holder)s”与户主“%(head)s”不一致:请核实是否代其他家庭成员收款。")
                    % {"holder": account.holder_name, "head": head},
                )
            return _back(household.pk)
    return _page(request, household, bank_account_form=form)


@require_POST
@login_required
@view_statements
def bank_account_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    account = _account(request, pk)
    form = forms.Form(request.POST)
    try:
        bank_account_services.bank_account_confirm(actor=request.user, account=account)
    except RuleViolation as exc:
        refuse_on_form(form, exc)
        return _page(request, account.household, bank_account_confirm_form=form)
    messages.success(request, _("银行账户已复核确认,此后代发款项付入该账户。"))
    return _back(account.household_id)


@require_POST
@login_required
@view_statements
def bank_account_reject(request: HttpRequest, pk: int) -> HttpResponse:
    account = _account(request, pk)
    form = BankAccountRejectForm(request.POST)
    if form.is_valid():
        try:
            bank_account_services.bank_account_reject(
                actor=request.user, account=account, reason=form.cleaned_data["reason"]
            )
        except RuleViolation as exc:
            refuse_on_form(form, exc)
        else:
            messages.success(request, _("银行账户已退回,原在用账户不变。"))
            return _back(account.household_id)
    return _page(request, account.household, bank_account_reject_form=form)
