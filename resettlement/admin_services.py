"""Admin whose forms save through a service: the form tries the service in a transaction that
is rolled back, so its refusals appear on the fields they name, and saving runs it for real.
This is how configuration (a project's policy, communities, villager groups, price rules,
estates, apartment types, the allocation policy, working teams, return plans) is changed in
the admin; the service checks the permission and the project, records the actor and writes
the audit entry. Nothing is deleted here (no service deletes configuration), and the history
pages are scoped and read-only (resettlement.admin_history). Shared by the apps' admins."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db import transaction
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from resettlement.admin_history import ScopedHistoryMixin
from resettlement.errors import RuleViolation


class _RolledBack(Exception):
    pass


class ServiceForm(forms.ModelForm):
    """A model form whose `clean` tries the service (rolled back) and shows its refusals on
    the fields they name; `save_with` runs it for real. Subclasses define `call(actor)`."""

    actor = None

    def call(self, actor) -> Any:  # pragma: no cover - defined by subclasses
        raise NotImplementedError

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            with transaction.atomic():
                self.call(self.actor)
                raise _RolledBack
        except _RolledBack:
            pass
        except RuleViolation as exc:
            for detail in exc.details or [{"message": exc.message}]:
                field = detail.get("field") if isinstance(detail, dict) else None
                message = detail["message"] if isinstance(detail, dict) else str(detail)
                self.add_error(field if field in self.fields else None, message)
        return cleaned

    def validate_unique(self) -> None:
        pass  # the service checks uniqueness, with its own message on the field


class ServiceAdmin(ScopedHistoryMixin, admin.ModelAdmin):
    """An admin whose form is a ServiceForm: the form gets the request's user, and saving
    runs the service instead of `obj.save()`. Deleting is not offered: it would go around
    the services (and configuration in use must not vanish from under the records)."""

    def get_form(self, request: HttpRequest, obj=None, change=False, **kwargs):
        base = super().get_form(request, obj, change=change, **kwargs)
        return type(base.__name__, (base,), {"actor": request.user})

    def save_model(self, request, obj, form, change) -> None:
        saved = form.call(request.user)
        # The admin goes on with `obj` (inlines, messages): make it the row the service saved.
        obj.pk = saved.pk
        obj._state.adding = False
        obj._state.db = saved._state.db
        obj.refresh_from_db()

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class ServiceHistoryAdmin(ServiceAdmin, SimpleHistoryAdmin):
    """A ServiceAdmin of a model django-simple-history tracks."""
