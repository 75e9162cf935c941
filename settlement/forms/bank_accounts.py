"""Forms of a household's bank account: record or change it, and the second person's
rejection (confirming needs no input)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from settlement.services.bank_accounts import REASON_MAX


class BankAccountForm(forms.Form):
    holder_name = forms.CharField(label=_("户名"), max_length=50, required=False)
    bank_name = forms.CharField(label=_("开户银行"), max_length=100, required=False)
    account_number = forms.CharField(
        label=_("银行账号"),
        max_length=60,
        required=False,
        help_text=_("12至30位数字,空格会自动去掉;银行卡号按校验位核对。"),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    reason = forms.CharField(
        label=_("录入或变更原因"),
        max_length=REASON_MAX,
        required=False,
        help_text=_("变更在用账户时必填。"),
    )


class BankAccountRejectForm(forms.Form):
    reason = forms.CharField(label=_("退回原因"), max_length=REASON_MAX)
