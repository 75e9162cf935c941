"""An overdue household's rights on its settlement page (超期回迁权益): the promised return
day, months overdue, the doubled fee and from which month, and — for a leader, when the policy
allows — the form switching it to cash (`settlement.services.overdue.switch_to_cash`)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from resettlement.errors import RuleViolation
from settlement.forms.overdue import CashSwitchForm
from settlement.services import overdue as overdue_services
from settlement.views._common import _household, refuse_on_form, view_statements
from settlement.views.statements import _page


@require_POST
@login_required
@view_statements
def switch_to_cash(request: HttpRequest, pk: int) -> HttpResponse:
    household = _household(request, pk)
    form = CashSwitchForm(request.POST)
    if form.is_valid():
        try:
            statement = overdue_services.switch_to_cash(
                actor=request.user, household=household, reason=form.cleaned_data["reason"]
            )
        except RuleViolation as exc:
            refuse_on_form(form, exc)
        else:
            messages.success(
                request,
                _("已改为货币补偿:结算单第%(v)d次计算,须重新审批。") % {"v": statement.version},
            )
            return redirect("settlement:statement-detail", pk=statement.pk)
    return _page(request, household, cash_switch_form=form)
