"""The audit trail in the admin: read-only for everyone, superusers included, and visible
only to district-level staff. Entries are written only by `resettlement.audit.audit_record`,
inside the decisions they record."""

from __future__ import annotations

import json

from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from django.contrib import admin, messages
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from resettlement.admin_readonly import ReadOnlyAdmin
from resettlement.audit import AuditAction
from resettlement.lockout import lockout_release
from resettlement.models import AuditEntry

# Bulk deletion would delete rows straight from their tables, past every service, on any
# admin that lets someone delete: it is offered nowhere.
admin.site.disable_action("delete_selected")

# The trail spans every project, so only district-level staff, who see every project
# (households/access.py), may read it; a project-scoped leader may not.
ALL_PROJECTS = "households.access_all_projects"


class ActionFilter(admin.SimpleListFilter):
    title = _("事项")
    parameter_name = "action"

    def lookups(self, request, model_admin):
        return AuditAction.choices

    def queryset(self, request, queryset):
        return queryset.filter(action=self.value()) if self.value() else queryset


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("sequence", "recorded_at", "actor_username", "action_label", "object_label")
    list_display_links = ("sequence",)
    list_filter = (ActionFilter, "object_type", ("recorded_at", admin.DateFieldListFilter))
    search_fields = ("=sequence", "actor_username", "object_label", "=object_id", "=hash")
    date_hierarchy = "recorded_at"
    list_per_page = 100
    show_full_result_count = False  # counting a long ledger on every page is wasted work
    fields = (
        "sequence",
        "recorded_at",
        "actor",
        "actor_username",
        "action",
        "object_type",
        "object_id",
        "object_label",
        "payload_text",
        "previous_hash",
        "hash",
    )
    readonly_fields = fields

    @admin.display(description=_("事项"), ordering="action")
    def action_label(self, entry: AuditEntry) -> str:
        try:
            return AuditAction(entry.action).label
        except ValueError:
            return entry.action

    @admin.display(description=_("决定内容"))
    def payload_text(self, entry: AuditEntry) -> str:
        text = json.dumps(entry.payload, ensure_ascii=False, indent=2, sort_keys=True)
        return format_html("<pre>{}</pre>", text)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return super().has_view_permission(request, obj) and request.user.has_perm(ALL_PROJECTS)


# The authenticator devices of the second factor (resettlement.second_factor): listed, never
# shown with their secret, added or changed here. Users enrol on their own page; a lost
# device is removed with `manage.py reset_second_factor`, which records who did it.
admin.site.unregister(TOTPDevice)


@admin.register(TOTPDevice)
class TOTPDeviceAdmin(ReadOnlyAdmin):
    list_display = ["user", "name", "confirmed", "created_at", "last_used_at"]
    list_filter = ["confirmed"]
    search_fields = ["user__username"]
    fields = ["user", "name", "confirmed", "created_at", "last_used_at"]


# Login lockouts (django-axes, resettlement.lockout): the failures are listed as axes shows
# them; unlocking is one action that forgets the selected records through `lockout_release`,
# which records who unlocked what. Nothing else deletes or changes them here.
admin.site.unregister(AccessAttempt)


@admin.register(AccessAttempt)
class LockoutAdmin(AccessAttemptAdmin):
    actions = ["unlock_selected"]

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_unlock_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("axes.delete_accessattempt")

    @admin.action(description=_("解除所选账户和地址的登录锁定"), permissions=["unlock"])
    def unlock_selected(self, request: HttpRequest, queryset) -> None:
        count = lockout_release(actor=request.user, attempts=queryset)
        self.message_user(
            request, _("已解除锁定,清除 %(n)d 条失败记录。") % {"n": count}, messages.SUCCESS
        )
