"""Forms for the staff publicity pages. They only parse input; publicity.services judges it."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from households.models import Community, Project
from publicity.models import Publication, PublicationStatus
from publicity.services.periods import period_days, project_periods
from resettlement import publicity_kinds

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

MASK_CHOICES = (
    ("1", _("脱敏:只显示姓氏")),
    ("0", _("显示全名:仅用于张贴在本社区公示栏的名册")),
)


def default_days_by_kind(project: Project | None = None) -> list[tuple[str, int]]:
    """(kind label, days) for the form's hint: each kind's default period, with settings
    and the project's own periods."""
    own = project_periods(project)
    return [
        (str(kind.label), period_days(kind.code, own=own)) for kind in publicity_kinds.all_kinds()
    ]


class PublicationCreateForm(forms.Form):
    kind = forms.ChoiceField(label=_("公示类型"))
    community = forms.ModelChoiceField(
        Community.objects.none(),
        label=_("村/社区"),
        required=False,
        empty_label=_("全项目"),
        help_text=_("留空表示全项目。"),
    )
    title = forms.CharField(
        label=_("标题"),
        max_length=200,
        required=False,
        help_text=_("留空则按项目、公示类型和村/社区自动生成。"),
    )
    starts_on = forms.DateField(label=_("公示开始日期"), widget=DATE)
    ends_on = forms.DateField(
        label=_("公示结束日期"),
        widget=DATE,
        required=False,
        help_text=_("留空则按公示类型的默认公示期。"),
    )
    mask_names = forms.TypedChoiceField(
        label=_("姓名脱敏"),
        choices=MASK_CHOICES,
        coerce=lambda value: value == "1",
        initial="1",
        widget=forms.RadioSelect,
        help_text=Publication._meta.get_field("mask_names").help_text,
    )

    def __init__(self, *args, project: Project, **kwargs) -> None:
        kwargs.setdefault("initial", {}).setdefault("starts_on", timezone.localdate())
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = publicity_kinds.choices()
        self.fields["community"].queryset = Community.objects.filter(project=project).order_by(
            "code"
        )

    def clean(self) -> dict:
        data = super().clean()
        starts_on: dt.date | None = data.get("starts_on")
        ends_on: dt.date | None = data.get("ends_on")
        if starts_on and ends_on and ends_on < starts_on:
            self.add_error("ends_on", _("公示结束日期不能早于开始日期。"))
        return data


class PublicationFilterForm(forms.Form):
    """The list page's filters; unknown values are ignored rather than refused."""

    kind = forms.ChoiceField(required=False)
    status = forms.ChoiceField(
        required=False, choices=[("", _("全部状态")), *PublicationStatus.choices]
    )
    community = forms.ModelChoiceField(Community.objects.none(), required=False)

    def __init__(self, *args, project: Project, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", _("全部类型")), *publicity_kinds.choices()]
        self.fields["community"].queryset = Community.objects.filter(project=project).order_by(
            "code"
        )

    def filtered(self, queryset):
        self.is_valid()  # cleaned_data keeps the fields that are valid
        data = self.cleaned_data
        if data.get("kind"):
            queryset = queryset.filter(kind=data["kind"])
        if data.get("status"):
            queryset = queryset.filter(status=data["status"])
        if data.get("community"):
            queryset = queryset.filter(community=data["community"])
        return queryset


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("撤回理由(将公开显示)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,  # the service refuses an empty reason with its own message
        max_length=2000,
    )
