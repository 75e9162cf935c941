"""Admin pages that only show rows: every operational record (households, members,
documents, publications, lottery sessions, statements, payments …). Their rows are changed
on the staff pages, through the API or by the admin's actions, all of which call the
services; the admin's own add, change, delete, bulk delete, history form and revert would go
around them, so none of those exists here, for anyone, superusers included. Their history is
scoped and read-only (resettlement.admin_history). Shared by the apps' admins and the audit
trail's."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from resettlement.admin_history import ScopedHistoryMixin


class ReadOnlyMixin:
    """For a ModelAdmin or an inline: nothing may be added, changed or deleted (viewing is
    still decided by the model's view permission)."""

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class ReadOnlyAdmin(ReadOnlyMixin, ScopedHistoryMixin, admin.ModelAdmin):
    pass


class ReadOnlyHistoryAdmin(ReadOnlyMixin, ScopedHistoryMixin, SimpleHistoryAdmin):
    """Read-only, with django-simple-history's versions (scoped, read-only)."""
