"""Forms of the finance pages. They parse input only; the rules are in `settlement.services`
and `settlement.services_money`, whose refusals are put back on the fields they name
(`resettlement.errors.apply_errors`). Amounts and reasons are plain text here so that what was
typed comes back with the service's message rather than the browser's."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from resettlement.roles import ROLES
from settlement.forms_handover import DATE
from settlement.models import AdjustmentKind, Outcome
from settlement.services_money import APPROVAL_COMMENT_MAX, IDEMPOTENCY_KEY_MAX, StepSpec

NO_STEP_SHOWN = _("页面缺少审批步骤,未作任何审批。请刷新页面后再审批。")


class ApproveForm(forms.Form):
    # The step the page showed as next: the service refuses the approval if the chain has
    # moved on since (another approver took that step first).
    expected_position = forms.IntegerField(
        min_value=1,
        widget=forms.HiddenInput,
        error_messages=dict.fromkeys(("required", "invalid", "min_value"), NO_STEP_SHOWN),
    )
    comment = forms.CharField(
        label=_("审批意见"),
        required=False,
        max_length=APPROVAL_COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"max_length": _("审批意见过长。")},
    )


class SendBackForm(forms.Form):
    reason = forms.CharField(
        label=_("退回原因"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("写明需要更正什么;已有的审批记录保留,更正并重算后从第一步重新审批。"),
    )


class TransitionForm(forms.Form):
    moved_out_on = forms.DateField(label=_("搬迁腾房日期"), widget=DATE)
    promised_by = forms.DateField(label=_("承诺回迁日期"), required=False, widget=DATE)


class AdjustmentForm(forms.Form):
    kind = forms.ChoiceField(label=_("类型"), choices=AdjustmentKind.choices)
    amount = forms.CharField(
        label=_("金额(元)"),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    reason = forms.CharField(label=_("原因"), required=False)


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("安置方式"), choices=Outcome.choices, widget=forms.RadioSelect
    )


def new_idempotency_key() -> str:
    return uuid.uuid4().hex


class PaymentForm(forms.Form):
    """The key is made when the form is rendered: submitting the same page twice (a double
    click, a retried post) sends the same key, and the payment is recorded once."""

    amount = forms.DecimalField(
        label=_("金额(元)"),
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0.01"),
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
    )
    reference = forms.CharField(label=_("凭证号/银行流水号"), required=False, max_length=64)
    idempotency_key = forms.CharField(
        max_length=IDEMPOTENCY_KEY_MAX, widget=forms.HiddenInput, initial=new_idempotency_key
    )


ROLE_CHOICES = [(role.code, role.label) for role in ROLES]


class StepForm(forms.Form):
    position = forms.IntegerField(label=_("顺序"), min_value=1, max_value=99, required=False)
    code = forms.CharField(label=_("步骤编号"), max_length=32, required=False)
    label = forms.CharField(label=_("步骤名称"), max_length=100, required=False)
    role = forms.ChoiceField(label=_("可审批角色"), choices=ROLE_CHOICES, required=False)

    def is_blank(self) -> bool:
        data = self.cleaned_data
        return not (data.get("code") or "").strip() and not (data.get("label") or "").strip()


class BaseStepFormSet(forms.BaseFormSet):
    def steps(self) -> list[StepSpec]:
        """The filled rows in the order of their position numbers (ties keep row order)."""
        rows = [
            (form.cleaned_data.get("position") or index + 1, index, form.cleaned_data)
            for index, form in enumerate(self.forms)
            if form.cleaned_data and not form.is_blank()
        ]
        rows.sort(key=lambda row: (row[0], row[1]))
        return [
            StepSpec(
                code=(data.get("code") or "").strip(),
                label=(data.get("label") or "").strip(),
                role=data.get("role") or "",
            )
            for _position, _index, data in rows
        ]


StepFormSet = forms.formset_factory(StepForm, formset=BaseStepFormSet, extra=2, max_num=30)
