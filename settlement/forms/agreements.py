"""The agreement signing form."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from settlement.forms._common import DATE
from settlement.services.agreements import NAME_MAX


class AgreementSignForm(forms.Form):
    signed_on = forms.DateField(label=_("签订日期"), widget=DATE)
    signer_name = forms.CharField(label=_("签字人"), max_length=NAME_MAX)
