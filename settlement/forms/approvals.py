"""Forms of the approval chain: taking a step, sending back, editing the chain."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from resettlement.roles import ROLES
from settlement.models import StepDirection
from settlement.services.approvals import APPROVAL_COMMENT_MAX, StepSpec

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


ROLE_CHOICES = [(role.code, role.label) for role in ROLES]


class StepForm(forms.Form):
    position = forms.IntegerField(label=_("顺序"), min_value=1, max_value=99, required=False)
    code = forms.CharField(label=_("步骤编号"), max_length=32, required=False)
    label = forms.CharField(label=_("步骤名称"), max_length=100, required=False)
    role = forms.ChoiceField(label=_("可审批角色"), choices=ROLE_CHOICES, required=False)
    applies_to = forms.ChoiceField(
        label=_("适用结算单"),
        choices=StepDirection.choices,
        required=False,
        initial=StepDirection.BOTH,
    )

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
                applies_to=data.get("applies_to") or StepDirection.BOTH,
            )
            for _position, _index, data in rows
        ]


StepFormSet = forms.formset_factory(StepForm, formset=BaseStepFormSet, extra=2, max_num=30)


class GroupApproveForm(ApproveForm):
    """The statements of one villager group chosen for one step, and whether the
    confirmation page that named their count was seen."""

    statements = forms.CharField(required=False)
    confirmed = forms.BooleanField(required=False)

    def chosen(self) -> list[int]:
        values = self.data.getlist("statement") if hasattr(self.data, "getlist") else []
        values += (self.cleaned_data.get("statements") or "").split(",")
        return sorted({int(v) for v in values if str(v).strip().isdigit()})
