"""Forms of a household's statement inputs: move-out dates, adjustments, the outcome."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from settlement.forms._common import DATE
from settlement.models import AdjustmentKind, Outcome


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
