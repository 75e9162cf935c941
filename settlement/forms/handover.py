"""The handover and move-in forms."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from settlement.forms._common import DATE
from settlement.services.agreements import NAME_MAX
from settlement.services.handover import SIGNATURE_RECORD_MAX


def _number(label, *, required: bool = True, decimal: bool = True, help_text: str = ""):
    return forms.CharField(
        label=label,
        required=required,
        max_length=20,
        help_text=help_text,
        widget=forms.TextInput(
            attrs={"inputmode": "decimal" if decimal else "numeric", "autocomplete": "off"}
        ),
    )


class HandoverForm(forms.Form):
    handed_over_on = forms.DateField(label=_("交房日期"), widget=DATE)
    keys = _number(_("钥匙数量(把)"), decimal=False)
    water_reading = _number(_("水表读数"))
    electricity_reading = _number(_("电表读数"))
    gas_reading = _number(_("燃气表读数"), required=False, help_text=_("未通燃气的可不填。"))
    received_by = forms.CharField(label=_("接房人(签字)"), max_length=NAME_MAX)
    signature_record = forms.CharField(
        label=_("签字记录"),
        max_length=SIGNATURE_RECORD_MAX,
        help_text=_("例如:交房确认单编号,或“户主本人签字并按手印”。"),
    )
    correct = forms.BooleanField(label=_("更正已登记的交房记录"), required=False)


class MoveInForm(forms.Form):
    moved_in_on = forms.DateField(label=_("入住日期"), widget=DATE)
