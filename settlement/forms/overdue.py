"""The leader's form switching an overdue household to cash (超期改货币补偿)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from settlement.services.overdue import REASON_MAX


class CashSwitchForm(forms.Form):
    reason = forms.CharField(
        label=_("改货币补偿的原因"),
        max_length=REASON_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
