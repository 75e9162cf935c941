"""Objection forms: filing one on the public site, the staff's written answer. They parse
input; the services judge it and their RuleViolation details are put back on the fields
named."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from publicity.forms.public_site import PublicForm


class ObjectionForm(PublicForm):
    contact_name = forms.CharField(
        label=_("联系人姓名"),
        max_length=50,
        error_messages={"required": _("请填写联系人姓名。")},
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    contact_phone = forms.CharField(
        label=_("联系电话"),
        max_length=20,
        error_messages={"required": _("请填写联系电话,以便工作人员联系您。")},
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    household_code = forms.CharField(
        label=_("户编号(选填)"),
        max_length=32,
        required=False,
        help_text=_("异议涉及某一户时填写公示表中的户编号。"),
    )
    text = forms.CharField(
        label=_("异议内容"),
        max_length=4000,
        error_messages={
            "required": _("请写明异议内容。"),
            "max_length": _("异议内容不能超过4000字。"),
        },
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    attachment = forms.FileField(
        label=_("附件(选填)"),
        required=False,
        help_text=_("PDF、JPG 或 PNG,不超过 10 MB。"),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )


class AnswerForm(forms.Form):
    upheld = forms.TypedChoiceField(
        label=_("异议是否成立"),
        choices=[("no", _("不成立")), ("yes", _("成立,退回重新审核"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": _("请选择异议是否成立。")},
    )
    answer = forms.CharField(
        label=_("书面答复"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": _("请填写书面答复。")},
        help_text=_("答复将在公示页面公开。"),
    )
