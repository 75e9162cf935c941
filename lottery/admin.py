"""Admin: read-only views of sessions, reveals, allocations, check-ins and session events.

Sessions change only through `lottery.services` (the console); nothing here adds, changes or
deletes. The server secret is not shown before sign-off."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from households.access import ProjectScopedAdmin
from lottery.models import Allocation, CheckIn, LotterySession, Reveal, SessionEvent
from resettlement.admin_readonly import ReadOnlyAdmin


class RevealInline(admin.TabularInline):
    model = Reveal
    fields = ("position", "step_label", "rank", "participant", "proxy", "revealed_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class EventInline(RevealInline):
    model = SessionEvent
    fields = ("at", "kind", "actor", "note")
    readonly_fields = fields


@admin.register(LotterySession)
class LotterySessionAdmin(ProjectScopedAdmin, ReadOnlyAdmin):
    list_display = ("code", "title", "project", "estate", "mode", "rehearsal", "status")
    list_filter = ("status", "mode", "rehearsal", ("project", admin.RelatedOnlyFieldListFilter))
    search_fields = ("code", "title")
    list_select_related = ("project", "estate")
    inlines = [EventInline, RevealInline]
    fields = (
        "code",
        "title",
        "project",
        "estate",
        "communities",
        "mode",
        "rehearsal",
        "fixed_village_order",
        "status",
        "paused",
        "algorithm",
        "commitment",
        "participants_sha256",
        "inventory_sha256",
        "witness_entropy",
        "revealed_secret",
        "seed_after_sign_off",
        "witnesses",
        "bundle_sha256",
        "created_by",
        "created_at",
        "committed_at",
        "confirmed_by",
        "confirmed_at",
        "entropy_by",
        "entropy_at",
        "public_value",
        "public_signature",
        "public_value_by",
        "public_value_at",
        "signed_by",
        "closed_at",
        "voided_by",
        "voided_at",
        "void_reason",
        "replaces",
    )
    readonly_fields = fields

    @admin.display(description=_("服务器密钥"))
    def revealed_secret(self, obj: LotterySession) -> str:
        return obj.revealed_secret or _("签署后公开")

    @admin.display(description=_("种子"))
    def seed_after_sign_off(self, obj: LotterySession) -> str:
        return obj.revealed_seed or _("签署后公开")


@admin.register(Reveal)
class RevealAdmin(ProjectScopedAdmin, ReadOnlyAdmin):
    project_path = "session__project"
    list_display = ("session", "position", "step_label", "rank", "participant", "proxy")
    list_filter = ("proxy",)
    search_fields = ("session__code", "participant")
    list_select_related = ("session",)


@admin.register(Allocation)
class AllocationAdmin(ProjectScopedAdmin, ReadOnlyAdmin):
    project_path = "session__project"
    list_display = ("session", "sequence", "household", "apartment", "binding", "proxy")
    list_filter = ("binding", "proxy")
    search_fields = ("session__code", "household__code", "apartment__code")
    list_select_related = ("session", "household", "apartment")


@admin.register(CheckIn)
class CheckInAdmin(ProjectScopedAdmin, ReadOnlyAdmin):
    project_path = "session__project"
    list_display = ("session", "household", "method", "attendee", "checked_in_at")
    list_filter = ("method",)
    search_fields = ("session__code", "household__code", "attendee")
    list_select_related = ("session", "household")


@admin.register(SessionEvent)
class SessionEventAdmin(ProjectScopedAdmin, ReadOnlyAdmin):
    project_path = "session__project"
    list_display = ("session", "at", "kind", "actor")
    list_filter = ("kind",)
    search_fields = ("session__code",)
    list_select_related = ("session", "actor")
