"""Admin whose forms save through a service: saving runs the service once, inside the admin's
transaction; when it refuses, nothing is saved and the form is shown again with the refusal
on the fields it names. This is how configuration (a project's policy, communities, villager
groups, price rules, estates, apartment types, the allocation policy, working teams, return
plans) is changed in the admin; the service checks the permission and the project, records
the actor and writes the audit entry. Nothing is deleted here (no service deletes
configuration), and the history pages are scoped and read-only
(resettlement.admin_history). Shared by the apps' admins."""

from __future__ import annotations

import functools
from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from resettlement.admin_history import ScopedHistoryMixin
from resettlement.errors import RuleViolation


class _Refused(Exception):
    """The service refused the save: the admin's transaction rolls back, and the form is
    shown again with the refusal."""

    def __init__(self, violation: RuleViolation) -> None:
        super().__init__(violation.message)
        self.violation = violation


class ServiceForm(forms.ModelForm):
    """A model form saved by a service: `call(actor)` runs it (subclasses define it). The
    admin calls it once, when saving; a refusal comes back as `refusal` on the form shown
    again, and `clean` puts it on the fields it names. The fields in `fixed_once_saved` are
    shown but not editable on a record that exists (others refer to it by them)."""

    actor = None
    refusal: RuleViolation | None = None
    fixed_once_saved: tuple[str, ...] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            for name in self.fixed_once_saved:
                self.fields[name].disabled = True

    def call(self, actor) -> Any:  # pragma: no cover - defined by subclasses
        raise NotImplementedError

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        exc = self.refusal
        if exc is not None:
            for detail in exc.details or [{"message": exc.message}]:
                field = detail.get("field") if isinstance(detail, dict) else None
                message = detail["message"] if isinstance(detail, dict) else str(detail)
                self.add_error(field if field in self.fields else None, message)
        return cleaned

    def validate_unique(self) -> None:
        pass  # the service checks uniqueness, with its own message on the field

    def _post_clean(self) -> None:
        # ModelForm's, with the model's constraints left to the service as uniqueness is
        # (above): the service checks them, with its own messages on the fields, and a
        # constraint refused here first would keep the service from ever running.
        instance = self.instance
        instance.full_clean = functools.partial(instance.full_clean, validate_constraints=False)
        try:
            super()._post_clean()
        finally:
            del instance.full_clean


class ServiceAdmin(ScopedHistoryMixin, admin.ModelAdmin):
    """An admin whose form is a ServiceForm: the form gets the request's user, and saving
    runs the service instead of `obj.save()`. Deleting is not offered: it would go around
    the services (and configuration in use must not vanish from under the records)."""

    def get_form(self, request: HttpRequest, obj=None, change=False, **kwargs):
        base = super().get_form(request, obj, change=change, **kwargs)
        refusal = getattr(request, "_service_refusal", None)
        return type(base.__name__, (base,), {"actor": request.user, "refusal": refusal})

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except _Refused as refused:
            # The transaction is rolled back: show the same input again, with the refusal on
            # the fields it names (the form is invalid now, so nothing runs a second time).
            request._service_refusal = refused.violation
            return super().changeform_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change) -> None:
        try:
            saved = form.call(request.user)
        except RuleViolation as exc:
            raise _Refused(exc) from exc
        # The admin goes on with `obj` (inlines, messages): make it the row the service saved.
        obj.pk = saved.pk
        obj._state.adding = False
        obj._state.db = saved._state.db
        obj.refresh_from_db()

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class ServiceHistoryAdmin(ServiceAdmin, SimpleHistoryAdmin):
    """A ServiceAdmin of a model django-simple-history tracks."""
