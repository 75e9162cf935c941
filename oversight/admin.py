"""Admin for oversight: working teams, household assignments and return plans are saved
through `oversight.services` (resettlement.admin_services: saving runs the service once, and
a refusal is shown on the fields it names; nothing is deleted here). The ledger and its
runs are read-only: the daily task writes them."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import Count
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from households.access import ProjectScopedAdmin, sees_all_projects
from oversight.models import HouseholdAssignment, LedgerEntry, LedgerRun, ReturnPlan, WorkingTeam
from oversight.services import ledger, teams
from resettlement.admin_readonly import ReadOnlyAdmin
from resettlement.admin_services import ServiceAdmin, ServiceForm


class WorkingTeamForm(ServiceForm):
    class Meta:
        model = WorkingTeam
        fields = ["project", "code", "name", "leader", "members"]

    def call(self, actor) -> WorkingTeam:
        data = self.cleaned_data
        return teams.team_save(
            actor=actor,
            project=data["project"],
            code=data["code"],
            name=data["name"],
            leader=data.get("leader"),
            members=list(data.get("members") or []),
            team=self.instance if self.instance.pk else None,
        )


@admin.register(WorkingTeam)
class WorkingTeamAdmin(ProjectScopedAdmin, ServiceAdmin):
    form = WorkingTeamForm
    list_display = ("code", "name", "project", "leader", "households")
    list_filter = (("project", admin.RelatedOnlyFieldListFilter),)
    search_fields = ("code", "name")
    filter_horizontal = ("members",)
    autocomplete_fields = ("leader",)

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).annotate(household_count=Count("assignments"))

    @admin.display(description=gettext_lazy("包户数"), ordering="household_count")
    def households(self, team: WorkingTeam) -> int:
        return team.household_count

    def save_related(self, request, form, formsets, change) -> None:
        # The service set the members; the admin's own m2m save would only repeat it.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)


class AssignmentForm(ServiceForm):
    class Meta:
        model = HouseholdAssignment
        fields = ["household", "team", "cadre"]

    def call(self, actor) -> HouseholdAssignment:
        data = self.cleaned_data
        return teams.household_assign(
            actor=actor, household=data["household"], team=data["team"], cadre=data.get("cadre")
        )


@admin.register(HouseholdAssignment)
class HouseholdAssignmentAdmin(ProjectScopedAdmin, ServiceAdmin):
    project_path = "team__project"
    form = AssignmentForm
    list_display = ("household", "team", "cadre", "assigned_by", "assigned_at")
    list_filter = (
        ("team__project", admin.RelatedOnlyFieldListFilter),
        ("team", admin.RelatedOnlyFieldListFilter),
    )
    search_fields = ("household__code", "team__name", "cadre__username", "cadre__first_name")
    autocomplete_fields = ("household", "team", "cadre")
    list_select_related = ("household", "team", "cadre", "assigned_by")


def targets_text(plan: ReturnPlan) -> str:
    return "\n".join(f"{t.year} {t.share}" for t in plan.targets.order_by("year"))


def parse_targets(text: str) -> list[tuple[int, int]]:
    """“2018 30\\n2019 60\\n2020 100” → [(2018, 30), (2019, 60), (2020, 100)]."""
    targets = []
    for number, raw in enumerate((text or "").splitlines(), start=1):
        parts = raw.replace("%", " ").replace(",", " ").replace(",", " ").split()
        if not parts:
            continue
        try:
            year, share = (int(p) for p in parts)
        except ValueError:
            raise forms.ValidationError(
                _("第%(n)d行应为“年度 比例”两个整数,例如 2019 60。") % {"n": number}
            ) from None
        targets.append((year, share))
    return targets


class ReturnPlanForm(ServiceForm):
    fixed_once_saved = ("project",)

    targets = forms.CharField(
        label=gettext_lazy("年度回迁目标"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy(
            "每行一年:“年度 累计完成比例(%)”,指到该年年底超期户中已交房的比例。"
            "例:2018 30 / 2019 60 / 2020 100"
        ),
    )

    class Meta:
        model = ReturnPlan
        fields = ["project", "department", "person", "phone", "subsidy_grace_days"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial.setdefault("targets", targets_text(self.instance))

    def clean_targets(self) -> list[tuple[int, int]]:
        return parse_targets(self.cleaned_data.get("targets", ""))

    def call(self, actor) -> ReturnPlan:
        data = self.cleaned_data
        return ledger.return_plan_set(
            actor=actor,
            project=data["project"],
            department=data["department"],
            person=data["person"],
            phone=data.get("phone", ""),
            subsidy_grace_days=data["subsidy_grace_days"],
            targets=data.get("targets") or [],
        )


@admin.register(ReturnPlan)
class ReturnPlanAdmin(ProjectScopedAdmin, ServiceAdmin):
    form = ReturnPlanForm
    list_display = ("project", "department", "person", "phone", "subsidy_grace_days")


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ProjectScopedAdmin, ReadOnlyAdmin):
    list_display = (
        "household",
        "project",
        "moved_out_on",
        "promised_by",
        "months_overdue",
        "subsidy_owed",
        "subsidy_paid",
        "subsidy_arrears",
        "subsidy_late",
        "days_late_max",
        "as_of",
    )
    list_filter = (("project", admin.RelatedOnlyFieldListFilter), "subsidy_late")
    search_fields = ("household__code",)
    list_select_related = ("household", "project")


@admin.register(LedgerRun)
class LedgerRunAdmin(ReadOnlyAdmin):
    """A run counts the households of every project: district-level staff only."""

    list_display = ("as_of", "started_at", "finished_at", "households", "overdue", "late")

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return super().has_view_permission(request, obj) and sees_all_projects(request.user)
