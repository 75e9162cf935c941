"""Admin pages that only show rows. Their rows are changed on the staff pages, through the
API or by the admin's actions, all of which call the services; the admin's own add, change
and delete would go around them. Shared by the apps' admins and the audit trail's."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest


class ReadOnlyMixin:
    """For a ModelAdmin or an inline: nothing may be added, changed or deleted (viewing is
    still decided by the model's view permission)."""

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class ReadOnlyAdmin(ReadOnlyMixin, admin.ModelAdmin):
    pass
