"""The staff form that starts a batch of notices. It only parses input: the service checks
the options, and its RuleViolation details are put back on the right field."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _

from households.models import Project, VillagerGroup
from publicity.models import NoticeType

# Fields that only some notice types print.
TYPE_FIELDS = {
    NoticeType.ALLOCATION: ("starts_at", "place", "check_in_minutes", "matters"),
    NoticeType.REGISTRATION: ("deadline", "office"),
    NoticeType.PUBLICITY: ("office",),
    NoticeType.RESULT: ("office",),
}
COMMON_FIELDS = ("issuer", "issued_on", "contact", "language")


def _group_label(group: VillagerGroup) -> str:
    return f"{group.code} {group.community.name} {group.name}"


class NoticesStartForm(forms.Form):
    groups = forms.ModelMultipleChoiceField(
        VillagerGroup.objects.none(),
        label=_("村民小组"),
        required=False,
        help_text=_("不选表示本项目全部村民小组;每个小组生成一个 PDF,每户一页,便于上门送达。"),
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    starts_at = forms.DateTimeField(
        label=_("摇号时间"),
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    place = forms.CharField(label=_("摇号地点"), max_length=200, required=False)
    check_in_minutes = forms.IntegerField(
        label=_("提前签到(分钟)"), min_value=0, max_value=240, required=False
    )
    matters = forms.CharField(
        label=_("注意事项"),
        required=False,
        help_text=_("每行一条。"),
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    deadline = forms.DateField(
        label=_("补交材料截止日"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    office = forms.CharField(label=_("办理地点"), max_length=200, required=False)
    issuer = forms.CharField(label=_("落款单位"), max_length=200)
    issued_on = forms.DateField(
        label=_("落款日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    contact = forms.CharField(label=_("咨询电话"), max_length=50, required=False)
    language = forms.ChoiceField(
        label=_("印制语言"),
        choices=[
            (code, get_language_info(code)["name_local"]) for code, _name in settings.LANGUAGES
        ],
        required=False,
        help_text=_("发给安置户的通知书用中文;英文版供英文工作人员核对。"),
    )

    def __init__(self, *args: Any, project: Project, notice_type: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.notice_type = NoticeType(notice_type)
        every_type_field = {name for names in TYPE_FIELDS.values() for name in names}
        for name in every_type_field - set(TYPE_FIELDS[self.notice_type]):
            del self.fields[name]
        self.fields["groups"].queryset = VillagerGroup.objects.filter(
            project=project
        ).select_related("community")
        self.fields["groups"].label_from_instance = lambda g: (
            f"{g.code} {g.community.name} {g.name}"
        )

    @staticmethod
    def initial_from(options: dict[str, Any]) -> dict[str, Any]:
        initial = dict(options)
        if isinstance(initial.get("matters"), list):
            initial["matters"] = "\n".join(initial["matters"])
        return initial

    def options(self) -> dict[str, Any]:
        """The options the chosen notice type prints, as the service takes them."""
        data = self.cleaned_data
        options: dict[str, Any] = {}
        for name in COMMON_FIELDS + TYPE_FIELDS[self.notice_type]:
            value = data.get(name)
            if value in (None, ""):
                continue  # the service's default
            if isinstance(value, dt.datetime):
                value = value.replace(tzinfo=None).strftime("%Y-%m-%dT%H:%M")
            elif isinstance(value, dt.date):
                value = value.isoformat()
            options[name] = value
        return options

    def groups_or_none(self) -> list[VillagerGroup] | None:
        return list(self.cleaned_data["groups"]) or None
