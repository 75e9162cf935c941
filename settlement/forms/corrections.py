"""The leader's form opening a correction after settlement (结算后更正)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from settlement.services.corrections import CORRECTION_REASON_MAX


class CorrectionForm(forms.Form):
    reason = forms.CharField(
        label=_("更正原因"),
        max_length=CORRECTION_REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
