"""The payment form, with its idempotency key."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from settlement.services.payments import IDEMPOTENCY_KEY_MAX


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
