"""Admin for the housing stock and the demands. Estates (with their floor rule), apartment
types and the allocation policy are configured here through allocation.services
(resettlement.admin_services: saving runs the service once, and its refusal is shown on the
right field). Apartments and demands are operational records: read-only, changed only by
the actions, which call the services."""

from __future__ import annotations

from collections import defaultdict

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from allocation.models import (
    AllocationPolicy,
    Apartment,
    ApartmentStatus,
    ApartmentType,
    Building,
    Demand,
    DemandItem,
    Estate,
    FloorTier,
)
from allocation.resources import EXPORT_PERMISSION, IMPORT_PERMISSION, ApartmentResource
from allocation.services import demands, estates
from households.access import ProjectScopedAdmin
from households.admin import HouseholdImportExportMixin
from resettlement.admin_readonly import ReadOnlyAdmin
from resettlement.admin_services import ServiceAdmin, ServiceForm
from resettlement.errors import RuleViolation

# -- estates ------------------------------------------------------------------------------


class EstateForm(ServiceForm):
    fixed_once_saved = ("project", "code")

    class Meta:
        model = Estate
        fields = ["project", "code", "name", "address", "orientation"]

    def call(self, actor) -> Estate:
        data = self.cleaned_data
        if self.instance.pk:
            return estates.estate_update(actor=actor, estate=self.instance, data=data)
        return estates.estate_create(
            actor=actor,
            project=data["project"],
            code=data["code"],
            name=data["name"],
            address=data.get("address", ""),
            orientation=data.get("orientation", ""),
        )


class FloorTierFormSet(BaseInlineFormSet):
    """The floor rule is checked as a whole: no overlaps, every used floor covered."""

    def bands(self) -> list[estates.Band]:
        return [
            estates.Band(
                f.cleaned_data["tier"], f.cleaned_data["floor_from"], f.cleaned_data["floor_to"]
            )
            for f in self.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]

    def clean(self) -> None:
        super().clean()
        if any(self.errors) or not self.has_changed():
            return
        used = estates.estate_floors_used(self.instance) if self.instance.pk else set()
        problems = estates.floor_rule_problems(self.bands(), used)
        if problems:
            raise forms.ValidationError(problems)


class FloorTierInline(admin.TabularInline):
    model = FloorTier
    formset = FloorTierFormSet
    extra = 0
    fields = ("tier", "floor_from", "floor_to")

    # The floor rule is part of the estate: whoever may set up or change estates edits it.
    def _may_edit(self, request: HttpRequest) -> bool:
        user = request.user
        return user.has_perm("allocation.change_estate") or user.has_perm("allocation.add_estate")

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return self._may_edit(request)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return self._may_edit(request)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return self._may_edit(request)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.has_perm("allocation.view_estate")


class BuildingInline(admin.TabularInline):
    """Buildings come from the apartment import (or the building service); shown here in
    their sequence along the housing orientation."""

    model = Building
    extra = 0
    fields = ("code", "sequence", "floors")
    readonly_fields = fields
    can_delete = False
    ordering = ("sequence",)

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.has_perm("allocation.view_estate")


@admin.register(Estate)
class EstateAdmin(ProjectScopedAdmin, ServiceAdmin):
    form = EstateForm
    list_display = ("code", "name", "project", "orientation")
    list_filter = (("project", admin.RelatedOnlyFieldListFilter),)
    search_fields = ("code", "name")
    list_select_related = ("project",)
    inlines = [FloorTierInline, BuildingInline]

    def save_formset(self, request, form, formset, change) -> None:
        # The rule is replaced as a whole by the service, never saved form by form.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        if formset.model is not FloorTier or not formset.has_changed():
            return
        try:
            estates.floor_rule_set(actor=request.user, estate=form.instance, bands=formset.bands())
        except RuleViolation as exc:
            messages.error(request, exc.message)


# -- apartment types, policy --------------------------------------------------------------


class ApartmentTypeForm(ServiceForm):
    fixed_once_saved = ("project", "code")

    class Meta:
        model = ApartmentType
        fields = ["project", "code", "name", "nominal_area"]

    def call(self, actor) -> ApartmentType:
        data = self.cleaned_data
        if self.instance.pk:
            return estates.apartment_type_update(
                actor=actor,
                apartment_type=self.instance,
                name=data["name"],
                nominal_area=data["nominal_area"],
            )
        return estates.apartment_type_create(
            actor=actor,
            project=data["project"],
            code=data["code"],
            name=data["name"],
            nominal_area=data["nominal_area"],
        )


@admin.register(ApartmentType)
class ApartmentTypeAdmin(ProjectScopedAdmin, ServiceAdmin):
    form = ApartmentTypeForm
    list_display = ("code", "name", "nominal_area", "project")
    list_filter = (("project", admin.RelatedOnlyFieldListFilter),)
    search_fields = ("code", "name")
    list_select_related = ("project",)


class AllocationPolicyForm(ServiceForm):
    fixed_once_saved = ("project",)

    class Meta:
        model = AllocationPolicy
        fields = ["project", "over_area_cap"]

    def call(self, actor) -> AllocationPolicy:
        return demands.allocation_policy_update(
            actor=actor,
            project=self.cleaned_data["project"],
            over_area_cap=self.cleaned_data["over_area_cap"],
        )


@admin.register(AllocationPolicy)
class AllocationPolicyAdmin(ProjectScopedAdmin, ServiceAdmin):
    form = AllocationPolicyForm
    list_display = ("project", "over_area_cap")
    list_select_related = ("project",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        # A project's policy exists with the defaults once used; setting it is a change.
        return request.user.has_perm("allocation.change_allocationpolicy")


# -- apartments ---------------------------------------------------------------------------


class ApartmentImportExportMixin(HouseholdImportExportMixin):
    """The apartment import and export: the household roster's admin flow (project picker,
    file checks, dry-run preview listing every problem by row and column, confirm) with the
    apartment resource."""

    resource_classes = [ApartmentResource]
    import_template_name = "allocation/admin/import_apartments.html"
    import_permission = IMPORT_PERMISSION
    export_permission = EXPORT_PERMISSION
    template_url_name = "allocation:import-template"
    export_filename = "apartments"

    def add_success_message(self, result, request: HttpRequest) -> None:
        messages.success(
            request,
            _("导入成功:%(a)d 套房(新建 %(b)d 栋楼、%(s)d 个单元)。")
            % {"a": result.apartments, "b": result.buildings, "s": result.stairs},
        )


@admin.register(Apartment)
class ApartmentAdmin(ProjectScopedAdmin, ApartmentImportExportMixin, ReadOnlyAdmin):
    list_display = (
        "code",
        "estate",
        "building",
        "stair",
        "floor",
        "area",
        "apartment_type",
        "orientation",
        "tier",
        "status",
    )
    list_filter = (
        ("estate", admin.RelatedOnlyFieldListFilter),
        ("building", admin.RelatedOnlyFieldListFilter),
        ("apartment_type", admin.RelatedOnlyFieldListFilter),
        "tier",
        "status",
    )
    search_fields = ("code",)
    list_select_related = ("estate", "building", "stair", "apartment_type")
    actions = ["withhold_selected", "release_selected"]
    list_per_page = 100

    def has_set_status_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("allocation.change_apartment")

    def _set_status(self, request: HttpRequest, queryset: QuerySet, status: str) -> None:
        done, refused = 0, []
        for apartment in queryset:
            try:
                estates.apartment_set_status(actor=request.user, apartment=apartment, status=status)
                done += 1
            except RuleViolation as exc:
                refused.append(f"{apartment.code}:{exc.message}")
        if done:
            self.message_user(
                request, _("已更新 %(n)d 套房的状态。") % {"n": done}, messages.SUCCESS
            )
        for line in refused:
            self.message_user(request, line, messages.ERROR)

    @admin.action(description=gettext_lazy("所选房屋暂不分配"), permissions=["set_status"])
    def withhold_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._set_status(request, queryset, ApartmentStatus.WITHHELD)

    @admin.action(description=gettext_lazy("所选房屋恢复可分配"), permissions=["set_status"])
    def release_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._set_status(request, queryset, ApartmentStatus.AVAILABLE)


# -- demands ------------------------------------------------------------------------------


class DemandItemInline(admin.TabularInline):
    model = DemandItem
    extra = 0
    fields = ("apartment_type", "count")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.has_perm("allocation.view_demand")


@admin.register(Demand)
class DemandAdmin(ProjectScopedAdmin, ReadOnlyAdmin):
    """Read-only: choices are recorded on the staff demand page (or the API) and locked
    there or with the action here."""

    list_display = (
        "household",
        "project",
        "entitlement_area",
        "chosen_area",
        "area_difference",
        "area_fit",
        "status",
        "chosen_by",
        "locked_by",
    )
    list_filter = (
        ("project", admin.RelatedOnlyFieldListFilter),
        "status",
        "area_fit",
        ("household__community", admin.RelatedOnlyFieldListFilter),
    )
    search_fields = ("household__code",)
    list_select_related = ("household", "project", "chosen_by", "locked_by")
    inlines = [DemandItemInline]
    actions = ["lock_selected"]
    readonly_fields = [field.name for field in Demand._meta.fields]

    def has_lock_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("allocation.lock_demand")

    @admin.action(description=gettext_lazy("锁定所选户型选择"), permissions=["lock"])
    def lock_selected(self, request: HttpRequest, queryset: QuerySet[Demand]) -> None:
        by_project = defaultdict(list)
        for demand in queryset.select_related("project", "household"):
            by_project[demand.project].append(demand.household)
        for project, households in by_project.items():
            try:
                count = demands.demand_lock(
                    actor=request.user, project=project, households=households
                )
            except RuleViolation as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                self.message_user(
                    request, _("已锁定 %(n)d 户的户型选择。") % {"n": count}, messages.SUCCESS
                )
