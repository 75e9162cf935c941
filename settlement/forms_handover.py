"""Forms of the agreement, handover and defect pages (staff and resident). They parse input;
`settlement.services_handover` judges it and its RuleViolation details are put back on the
fields they name. Number fields are text with a numeric keyboard on phones, so that what was
typed comes back with the service's message rather than the browser's."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from settlement.models import DefectStatus
from settlement.services_handover import (
    ANSWER_MAX,
    DESCRIPTION_MAX,
    LOCATION_MAX,
    NAME_MAX,
    SIGNATURE_RECORD_MAX,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


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


class AgreementSignForm(forms.Form):
    signed_on = forms.DateField(label=_("签订日期"), widget=DATE)
    signer_name = forms.CharField(label=_("签字人"), max_length=NAME_MAX)


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


class MultiplePhotoInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Several photos in one input; the service checks their count, size and content."""

    def __init__(self, **kwargs):
        kwargs.setdefault(
            "widget", MultiplePhotoInput(attrs={"accept": "image/jpeg,image/png", "multiple": True})
        )
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


class DefectReportForm(forms.Form):
    location = forms.CharField(
        label=_("位置"),
        max_length=LOCATION_MAX,
        error_messages={"required": _("请写明问题所在位置(如:主卧窗户)。")},
        widget=forms.TextInput(attrs={"placeholder": _("例如:主卧窗户、厨房水管")}),
    )
    description = forms.CharField(
        label=_("问题描述"),
        max_length=DESCRIPTION_MAX,
        error_messages={"required": _("请描述发现的问题。")},
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    photos = PhotosField(
        label=_("照片(选填)"), help_text=_("JPG 或 PNG,最多 6 张,每张不超过 10 MB。")
    )


class DefectAnswerForm(forms.Form):
    answer = forms.CharField(
        label=_("处理答复"),
        max_length=ANSWER_MAX,
        error_messages={"required": _("请填写答复内容。")},
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    close = forms.BooleanField(label=_("答复后关闭报修"), required=False)


class DefectFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("状态"),
        required=False,
        choices=[("", _("全部"))] + list(DefectStatus.choices),
    )
