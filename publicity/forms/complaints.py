"""Forms for reports to the supervising office: the public form, the reporter's status
lookup and the supervising office's answer. They parse input; publicity.services.complaints
judges it and its field errors are put back on the fields named."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from households.models import Project
from publicity.forms.public_site import PublicForm
from publicity.models import ComplaintCategory
from publicity.services.complaints import complaint_problems


class ComplaintForm(PublicForm):
    category = forms.ChoiceField(
        label=_("举报类别"),
        choices=[("", _("请选择")), *ComplaintCategory.choices],
        error_messages={
            "required": _("请选择举报类别。"),
            "invalid_choice": _("请选择举报类别。"),
        },
    )
    project = forms.ModelChoiceField(
        Project.objects.order_by("code"),
        label=_("涉及项目(选填)"),
        required=False,
        empty_label=_("不确定或不涉及具体项目"),
        error_messages={"invalid_choice": _("请从列表中选择项目。")},
    )
    text = forms.CharField(
        label=_("举报内容"),
        max_length=4000,
        error_messages={
            "required": _("请写明举报或投诉的内容。"),
            "max_length": _("内容不能超过 4000 字。"),
        },
        help_text=_("请写明事情经过、涉及的人员、时间和地点。"),
        widget=forms.Textarea(attrs={"rows": 7}),
    )
    contact_name = forms.CharField(
        label=_("您的姓名(选填)"),
        max_length=50,
        required=False,
        error_messages={"max_length": _("姓名不能超过50字。")},
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    contact_phone = forms.CharField(
        label=_("联系电话(选填)"),
        max_length=20,
        required=False,
        error_messages={"max_length": _("请填写有效的联系电话,或留空匿名举报。")},
        help_text=_("只有纪检监督人员能看到您的姓名和电话;不填即为匿名举报。"),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    attachment = forms.FileField(
        label=_("附件(选填)"),
        required=False,
        help_text=_("PDF、JPG 或 PNG,不超过 10 MB。"),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )

    def clean(self) -> dict:
        """Besides the form's own checks, the service's on the fields the form passed, so a
        reporter sees every problem at once (the attachment's are judged on submission)."""
        data = super().clean()
        problems = complaint_problems(
            category=self.data.get("category", ""),
            text=self.data.get("text", ""),
            contact_name=self.data.get("contact_name", ""),
            contact_phone=self.data.get("contact_phone", ""),
        )
        for problem in problems:
            if problem["field"] not in self.errors:
                self.add_error(problem["field"], problem["message"])
        return data


class ComplaintStatusForm(forms.Form):
    reference = forms.CharField(
        label=_("受理编号"),
        max_length=32,
        error_messages={"required": _("请输入提交时得到的受理编号。")},
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )
    check_code = forms.CharField(
        label=_("查询密码"),
        max_length=32,
        error_messages={"required": _("请输入提交时得到的查询密码。")},
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )


class ComplaintAnswerForm(forms.Form):
    answer = forms.CharField(
        label=_("答复"),
        max_length=4000,
        required=False,  # the service refuses an empty answer with its own message
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "举报人凭受理编号和查询密码可看到答复。请勿在答复中写入身份证号、电话等个人信息。"
        ),
    )
