"""The defect report, answer and filter forms."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from settlement.models import DefectStatus
from settlement.services.defects import ANSWER_MAX, DESCRIPTION_MAX, LOCATION_MAX


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
