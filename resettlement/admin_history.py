"""History pages in the admin: scoped exactly like the change page, and only to read.

Every admin of the project serves its history through `ScopedHistoryMixin`: Django's own
history list (the admin's log) and, for the models django-simple-history tracks, the list of
versions and each version's page.

- The object must be one the change page would show, i.e. in `get_queryset(request)`; a row
  that exists but lies outside the user's scope is "not found" (404), like one that never
  existed.
- A deleted object has no row left to scope by; its versions are shown only when
  `may_view_deleted(request, version)` allows it (a project-scoped admin checks the project
  the version names, households.access.ProjectScopedAdmin). By default they are not shown.
- A version page is for reading: GET only (anything else is 405 and saves nothing), every
  value rendered as text, no form, no drop-downs, no revert. django-simple-history's own view
  saves the posted form with mere view permission (and `SIMPLE_HISTORY_REVERT_DISABLED` only
  hides the button), so it is replaced here, not configured.
"""

from __future__ import annotations

from django.contrib.admin import helpers
from django.contrib.admin.utils import flatten_fieldsets, unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.forms import modelform_factory
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _

READ_METHODS = ("GET", "HEAD")


def history_manager(model: type[models.Model]):
    """The django-simple-history manager of `model`, or None when it keeps no history."""
    attribute = getattr(model._meta, "simple_history_manager_attribute", None)
    return getattr(model, attribute) if attribute else None


def latest_version(model: type[models.Model], pk):
    """The newest historical version of the row `pk` of `model` (None without history)."""
    history = history_manager(model)
    if history is None:
        return None
    return history.filter(**{model._meta.pk.attname: pk}).order_by("-history_date", "-pk").first()


class ScopedHistoryMixin:
    """For every ModelAdmin (before ModelAdmin or SimpleHistoryAdmin in the bases)."""

    object_history_form_template = "admin/history_version.html"

    def may_view_deleted(self, request: HttpRequest, version) -> bool:
        """Whether `request.user` may read the history of a deleted row, judged by its last
        version. Admins of project-bound rows answer by the version's project."""
        return False

    def history_subject(self, request: HttpRequest, object_id: str):
        """The object whose history is asked for, as the change page would find it; a deleted
        one as its last version has it. 404 for anything outside the user's scope."""
        obj = self.get_object(request, unquote(object_id))
        if obj is not None:
            return obj
        try:
            pk = self.model._meta.pk.to_python(unquote(object_id))
            exists = self.model._base_manager.filter(pk=pk).exists()
        except (ValidationError, ValueError):
            raise Http404 from None
        if exists:  # there, but not for this user: as if it did not exist
            raise Http404
        version = latest_version(self.model, pk)
        if version is None or not self.may_view_deleted(request, version):
            raise Http404
        return version.instance

    def history_view(self, request: HttpRequest, object_id: str, extra_context=None):
        self.history_subject(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(
        self, request: HttpRequest, object_id: str, version_id: str, extra_context=None
    ) -> HttpResponse:
        """One version of an object tracked by django-simple-history, every value as text."""
        if request.method not in READ_METHODS:
            return HttpResponseNotAllowed(READ_METHODS)
        subject = self.history_subject(request, object_id)
        history = history_manager(self.model)
        try:
            version = history.get(**{self.model._meta.pk.attname: subject.pk, "pk": version_id})
        except (history.model.DoesNotExist, ValidationError, ValueError):
            raise Http404 from None
        obj = version.instance
        obj._state.adding = False
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        fieldsets = self.get_fieldsets(request, obj)
        # A form without fields: the values are shown read-only, nothing can be posted back.
        form = modelform_factory(self.model, fields=())(instance=obj)
        adminform = helpers.AdminForm(
            form, fieldsets, {}, flatten_fieldsets(fieldsets), model_admin=self
        )
        opts = self.model._meta
        prefix = f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}"
        context = {
            **self.admin_site.each_context(request),
            "title": _("历史版本:%(object)s") % {"object": obj},
            "adminform": adminform,
            "original": obj,
            "version": version,
            "opts": opts,
            "app_label": opts.app_label,
            "media": self.media + adminform.media,
            "has_view_permission": True,
            "changelist_url": reverse(f"{prefix}_changelist"),
            "change_url": reverse(f"{prefix}_change", args=[subject.pk]),
            "history_url": reverse(f"{prefix}_history", args=[subject.pk]),
            **(extra_context or {}),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.object_history_form_template, context)

    def revert_disabled(self, request: HttpRequest, obj=None) -> bool:
        return True  # django-simple-history's history pages: no "Revert" anywhere
