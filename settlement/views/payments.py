"""Recording a payment from a statement's page (`services.payments.payment_record`). The
form carries an idempotency key made when it was rendered, so submitting it twice pays once."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from resettlement.errors import RuleViolation
from resettlement.money import money_figure
from resettlement.reauth import recent_authentication_required
from settlement.forms.payments import PaymentForm
from settlement.models import StatementStatus
from settlement.services import payments
from settlement.views._common import _visible_statement, view_statements


@require_POST
@login_required
@view_statements
@recent_authentication_required("settlement:statement-detail")
def payment_record(request: HttpRequest, pk: int) -> HttpResponse:
    statement = _visible_statement(request, pk)
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
        payment, created = payments.payment_record(
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
            "a": money_figure(payment.amount),
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
                "a": money_figure(payment.amount),
                "t": payment.recorded_at.strftime("%Y-%m-%d %H:%M"),
            },
        )
    return redirect("settlement:statement-detail", pk=pk)
