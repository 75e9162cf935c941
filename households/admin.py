"""Admin: read-only registry views with history (review and approval are staff pages:
households.views.review); projects, communities and villager groups are configured here
through their services; the roster is imported and exported here. Every change goes through
households.services; the admin never saves a project, community, group, household, member or
document itself, and its history pages are scoped and read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from households.access import ProjectScopedAdmin, projects_q
from households.models import (
    Community,
    Document,
    Household,
    Member,
    Project,
    ProjectAccess,
    UnmaskRecord,
    VillagerGroup,
)
from households.qualification import REASON_LABELS
from households.resources import EXPORT_PERMISSION, IMPORT_PERMISSION, HouseholdMemberResource
from households.selectors import registration
from households.services import access, configuration
from resettlement.admin_readonly import ReadOnlyAdmin, ReadOnlyHistoryAdmin
from resettlement.admin_services import ServiceForm, ServiceHistoryAdmin
from resettlement.errors import RuleViolation
from resettlement.imports.admin import FileImportExportMixin
from resettlement.masking import Mask
from resettlement.personal_data import PersonalDataAdminMixin


class ProjectAccessInline(admin.TabularInline):
    """Who may see this project besides district-level staff: add a row to grant, tick
    delete to revoke. Saved through households.services.access."""

    model = ProjectAccess
    fields = ("user", "granted_by", "granted_at")
    readonly_fields = ("granted_by", "granted_at")
    extra = 0

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # a grant is added or revoked, never edited into another user's


class ProjectForm(ServiceForm):
    fixed_once_saved = ("code",)

    class Meta:
        model = Project
        fields = ["code", *configuration.PROJECT_POLICY_FIELDS]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.recomputed = None

    def call(self, actor) -> Project:
        policy = {name: self.cleaned_data[name] for name in configuration.PROJECT_POLICY_FIELDS}
        if not self.instance.pk:
            return configuration.project_create(
                actor=actor, code=self.cleaned_data["code"], policy=policy
            )
        change = configuration.project_update_policy(
            actor=actor, project=self.instance, data=policy
        )
        self.recomputed = change.recomputed if change.changed else None
        return change.project


@admin.register(Project)
class ProjectAdmin(ProjectScopedAdmin, ServiceHistoryAdmin):
    project_path = "pk"
    form = ProjectForm
    list_display = ("code", "name", "hukou_cutoff_date", "growth_deadline", "area_per_person")
    inlines = [ProjectAccessInline]
    search_fields = ("code", "name")
    fieldsets = (
        (None, {"fields": ("code", "name")}),
        (
            gettext_lazy("安置政策"),
            {"fields": configuration.PROJECT_RULE_FIELDS},
        ),
    )

    def save_formset(self, request, form, formset, change) -> None:
        if formset.model is not ProjectAccess:
            return super().save_formset(request, form, formset, change)
        # The admin's change message reads these lists.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        try:
            for inline_form in formset.deleted_forms:
                if inline_form.instance.pk:
                    access.project_access_revoke(actor=request.user, grant=inline_form.instance)
                    formset.deleted_objects.append(inline_form.instance)
            for inline_form in formset.forms:
                if inline_form.instance.pk or inline_form in formset.deleted_forms:
                    continue
                if inline_form.has_changed():
                    formset.new_objects.append(
                        access.project_access_grant(
                            actor=request.user,
                            user=inline_form.cleaned_data["user"],
                            project=form.instance,
                        )
                    )
        except RuleViolation as exc:
            self.message_user(request, exc.message, messages.ERROR)

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        if form.recomputed is not None:
            self.message_user(
                request,
                _("政策已更新,已重新判定 %(n)d 名未审批成员的资格。") % {"n": form.recomputed},
            )


class CommunityForm(ServiceForm):
    # Imports and publications refer to the community by its code.
    fixed_once_saved = ("project", "code")

    class Meta:
        model = Community
        fields = ["project", "code", "name"]

    def call(self, actor) -> Community:
        data = self.cleaned_data
        if self.instance.pk:
            return configuration.community_update(
                actor=actor, community=self.instance, name=data["name"]
            )
        return configuration.community_create(
            actor=actor, project=data["project"], code=data["code"], name=data["name"]
        )


@admin.register(Community)
class CommunityAdmin(ProjectScopedAdmin, ServiceHistoryAdmin):
    form = CommunityForm
    list_display = ("code", "name", "project")
    list_filter = (("project", admin.RelatedOnlyFieldListFilter),)
    search_fields = ("code", "name")


class VillagerGroupForm(ServiceForm):
    # Lottery steps are labelled with the group's code.
    fixed_once_saved = ("community", "code")

    class Meta:
        model = VillagerGroup
        fields = ["community", "code", "name"]

    def call(self, actor) -> VillagerGroup:
        data = self.cleaned_data
        if self.instance.pk:
            return configuration.villager_group_update(
                actor=actor, group=self.instance, name=data["name"]
            )
        return configuration.villager_group_create(
            actor=actor, community=data["community"], code=data["code"], name=data["name"]
        )


@admin.register(VillagerGroup)
class VillagerGroupAdmin(ProjectScopedAdmin, ServiceHistoryAdmin):
    form = VillagerGroupForm
    list_display = ("code", "name", "community", "project")
    list_filter = (
        ("project", admin.RelatedOnlyFieldListFilter),
        ("community", admin.RelatedOnlyFieldListFilter),
    )
    search_fields = ("code", "name")
    list_select_related = ("community", "project")


class HouseholdImportExportMixin(FileImportExportMixin):
    """Import and export of the roster (households with members, one row per member).
    Importing needs households.import_households, exporting households.export_households."""

    resource_classes = [HouseholdMemberResource]
    import_template_name = "admin/households/import_roster.html"
    import_permission = IMPORT_PERMISSION
    export_permission = EXPORT_PERMISSION
    template_url_name = "staff:import-template"  # the blank spreadsheet to fill in
    export_filename = "households-members"

    def has_import_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(self.import_permission)

    def has_export_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(self.export_permission)

    def get_import_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_import_context_data(**kwargs)
        context["template_url"] = reverse(self.template_url_name)
        return context

    def add_success_message(self, result, request: HttpRequest) -> None:
        messages.success(
            request,
            _("导入成功:%(h)d 户、%(m)d 名成员。") % {"h": result.households, "m": result.members},
        )

    def get_export_filename(self, request: HttpRequest, queryset, file_format) -> str:
        date = timezone.localdate().isoformat()
        return f"{self.export_filename}-{date}.{file_format.get_extension()}"


@admin.register(Household)
class HouseholdAdmin(
    PersonalDataAdminMixin, ProjectScopedAdmin, HouseholdImportExportMixin, ReadOnlyHistoryAdmin
):
    personal_fields = {"phone": Mask.PHONE}
    list_display = (
        "code",
        "head_name",
        "community",
        "group",
        "status",
        "resettlement_population",
        "entitlement_area",
        "staff_link",
    )
    list_filter = (
        ("project", admin.RelatedOnlyFieldListFilter),
        "status",
        ("community", admin.RelatedOnlyFieldListFilter),
        ("group", admin.RelatedOnlyFieldListFilter),
    )
    search_fields = ("code",)
    search_help_text = gettext_lazy("按户编号、户主或成员姓名、身份证号查找")
    readonly_fields = ("head_name",)
    list_per_page = 50

    def get_queryset(self, request: HttpRequest) -> QuerySet[Household]:
        return registration.household_list().filter(projects_q(request.user))

    def get_search_results(self, request, queryset, search_term):
        return registration.household_search(queryset, search_term, user=request.user), False

    @admin.display(description=gettext_lazy("户主"), ordering="head_name")
    def head_name(self, obj: Household) -> str:
        return getattr(obj, "head_name", "") or "—"

    @admin.display(description=gettext_lazy("登记页面"))
    def staff_link(self, obj: Household) -> str:
        return format_html(
            '<a href="{}">{}</a>', reverse("staff:household-detail", args=[obj.pk]), _("打开")
        )


class FailedRuleFilter(admin.SimpleListFilter):
    title = gettext_lazy("未通过的规则")
    parameter_name = "rule"

    def lookups(self, request, model_admin):
        return [(code, _(label)) for code, label in REASON_LABELS.items()]

    def queryset(self, request, queryset):
        if self.value() in REASON_LABELS:
            return queryset.filter(verdict_failures__contains=f",{self.value()},")
        return queryset


@admin.register(Member)
class MemberAdmin(PersonalDataAdminMixin, ProjectScopedAdmin, ReadOnlyHistoryAdmin):
    """The review queue: filter by community, group, status and failed rule; review each
    member on its own page or pass the members the rules found qualified in bulk."""

    personal_fields = {"id_number": Mask.ID_NUMBER}

    list_display = (
        "name",
        "household_code",
        "community",
        "villager_group",
        "relation",
        "verdict",
        "failed_rules",
        "review_status",
        "reviewed_by",
        "review_link",
    )
    list_filter = (
        ("project", admin.RelatedOnlyFieldListFilter),
        "review_status",
        "verdict_qualified",
        FailedRuleFilter,
        ("household__community", admin.RelatedOnlyFieldListFilter),
        ("household__group", admin.RelatedOnlyFieldListFilter),
        "household__status",
    )
    search_fields = ("name", "=id_number", "=household__code")
    list_select_related = ("household__community", "household__group", "reviewed_by")
    list_per_page = 50

    @admin.display(description=gettext_lazy("户编号"), ordering="household__code")
    def household_code(self, obj: Member) -> str:
        return format_html(
            '<a href="{}">{}</a>',
            reverse("staff:household-detail", args=[obj.household_id]),
            obj.household.code,
        )

    @admin.display(description=gettext_lazy("村/社区"))
    def community(self, obj: Member) -> str:
        return obj.household.community.name

    @admin.display(description=gettext_lazy("村民小组"))
    def villager_group(self, obj: Member) -> str:
        return obj.household.group.name

    @admin.display(description=gettext_lazy("系统判定"), boolean=True)
    def verdict(self, obj: Member) -> bool:
        return obj.verdict_qualified

    @admin.display(description=gettext_lazy("未通过规则"))
    def failed_rules(self, obj: Member) -> str:
        codes = [c for c in obj.verdict_failures.split(",") if c]
        return (
            pgettext("list separator", "、").join(_(REASON_LABELS.get(c, c)) for c in codes) or "—"
        )

    @admin.display(description=gettext_lazy("审核"))
    def review_link(self, obj: Member) -> str:
        url = reverse("staff:member-review", args=[obj.pk])
        return format_html('<a class="button" href="{}">{}</a>', url, _("审核"))


@admin.register(Document)
class DocumentAdmin(ProjectScopedAdmin, ReadOnlyHistoryAdmin):
    project_path = "household__project"

    list_display = (
        "household",
        "kind",
        "member",
        "original_name",
        "size",
        "uploaded_by",
        "uploaded_at",
        "download",
    )
    list_filter = ("kind",)
    search_fields = ("=household__code",)
    list_select_related = ("household", "member", "uploaded_by")

    @admin.display(description=gettext_lazy("下载"))
    def download(self, obj: Document) -> str:
        return format_html(
            '<a href="{}">{}</a>', reverse("staff:document-download", args=[obj.pk]), _("下载")
        )


@admin.register(UnmaskRecord)
class UnmaskRecordAdmin(ProjectScopedAdmin, ReadOnlyAdmin):
    """Who saw whose full ID or phone number, when and why: written only by
    households.services.unmask, read by the supervising office."""

    list_display = ("unmasked_at", "user", "project", "household", "person", "field", "reason")
    list_filter = ("field", ("project", admin.RelatedOnlyFieldListFilter))
    search_fields = ("=household__code", "person", "user__username")
    list_select_related = ("user", "project", "household")
    fields = ("unmasked_at", "user", "project", "household", "member", "person", "field", "reason")
    readonly_fields = fields
