"""The staff forms of house tickets: they parse input; the services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from tickets.models import TicketStatus


class StatusFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("状态"),
        required=False,
        choices=[("", _("全部"))] + list(TicketStatus.choices),
    )


class IssueForm(forms.Form):
    statement = forms.IntegerField(label=_("结算单"), widget=forms.HiddenInput)


class PurchaseForm(forms.Form):
    listing = forms.IntegerField(label=_("房源"))
    contract_number = forms.CharField(label=_("购房合同编号"), max_length=64)
    amount = forms.DecimalField(label=_("使用金额(元)"), max_digits=14, decimal_places=2)
    on = forms.DateField(
        label=_("购房日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class TransferForm(forms.Form):
    to_name = forms.CharField(label=_("受让人姓名"), max_length=50)
    to_id_number = forms.CharField(label=_("受让人身份证号"), max_length=32)
    reason = forms.CharField(label=_("转让原因"), widget=forms.Textarea(attrs={"rows": 2}))


class BuyBackForm(forms.Form):
    confirm = forms.BooleanField(label=_("持票人申请回购余额"))


class VerifyForm(forms.Form):
    number = forms.CharField(
        label=_("房票编号"),
        max_length=40,
        error_messages={"required": _("请输入房票编号。")},
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    code = forms.CharField(
        label=_("验证码"),
        max_length=20,
        error_messages={"required": _("请输入房票上的验证码。")},
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )


class ListingsImportForm(forms.Form):
    file = forms.FileField(label=_("房源表(.xlsx 或 .csv)"))
