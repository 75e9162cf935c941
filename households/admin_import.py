"""Roster import and export in the admin, as a mixin for the household admin.

    class HouseholdAdmin(HouseholdImportExportMixin, ReadOnlyAdmin): ...

The admin runs the same resource and rules as `manage.py import_households`
(households.resources): the upload form adds the project to import into; the dry run shows
every problem by Excel row and column, or a summary of what will be created; confirming
imports the file, all of it or nothing. Importing needs households.import_households,
exporting households.export_households.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export.admin import ImportExportMixin
from import_export.formats import base_formats
from import_export.forms import ConfirmImportForm, ExportForm, ImportForm

from households.access import visible_projects
from households.import_files import (
    CSV,
    XLSX,
    FileRejected,
    check_size,
    format_for_name,
    read_roster,
)
from households.import_template import XLSX_CONTENT_TYPE
from households.models import Project
from households.resources import (
    EXPORT_PERMISSION,
    IMPORT_PERMISSION,
    HouseholdMemberResource,
    import_problems,
)
from resettlement.errors import RuleViolation

# How many problems the admin repeats as messages after a failed confirmation.
_MESSAGES_SHOWN = 20


class _RosterFormat(base_formats.Format):
    """An import format reading through households.import_files (size, type and bomb checks)."""

    kind = ""
    content_type = "application/octet-stream"

    def __init__(self, encoding: str | None = None) -> None:
        self.encoding = encoding  # bytes are decoded by import_files (UTF-8 or GBK csv)

    def get_title(self) -> str:
        return self.kind

    def create_dataset(self, in_stream: bytes):
        return read_roster(in_stream, self.kind)

    def get_extension(self) -> str:
        return self.kind

    def get_content_type(self) -> str:
        return self.content_type

    def can_import(self) -> bool:
        return True


class RosterXLSX(_RosterFormat):
    kind = XLSX
    content_type = XLSX_CONTENT_TYPE


class RosterCSV(_RosterFormat):
    kind = CSV
    content_type = "text/csv"


IMPORT_FORMATS = [RosterXLSX, RosterCSV]


class RosterImportForm(ImportForm):
    """The import form with the project to import into; the format follows the file name
    when none is chosen."""

    project = forms.ModelChoiceField(queryset=Project.objects.all(), label=gettext_lazy("项目"))
    field_order = ["project", "resource", "import_file", "format"]

    def __init__(self, formats, resources, **kwargs: Any) -> None:
        super().__init__(formats, resources, **kwargs)
        self.fields["format"].required = False

    def clean_import_file(self):
        upload = self.cleaned_data["import_file"]
        try:
            check_size(upload.size)
        except FileRejected as exc:
            raise ValidationError(exc.message) from None
        return upload

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        upload = cleaned.get("import_file")
        if upload is not None and not cleaned.get("format"):
            try:
                kind = format_for_name(upload.name)
            except FileRejected as exc:
                self.add_error("import_file", exc.message)
            else:
                kinds = [format_class.kind for format_class in IMPORT_FORMATS]
                cleaned["format"] = str(kinds.index(kind))
        return cleaned


class RosterConfirmImportForm(ConfirmImportForm):
    project = forms.ModelChoiceField(queryset=Project.objects.all(), widget=forms.HiddenInput)


class HouseholdImportExportMixin(ImportExportMixin):
    """Import and export of the roster (households with members, one row per member)."""

    resource_classes = [HouseholdMemberResource]
    import_form_class = RosterImportForm
    confirm_form_class = RosterConfirmImportForm
    export_form_class = ExportForm  # the whole roster, so that it imports back
    import_formats = IMPORT_FORMATS
    export_formats = [base_formats.XLSX, base_formats.CSV]
    import_template_name = "admin/households/import_roster.html"

    def has_import_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(IMPORT_PERMISSION)

    def has_export_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(EXPORT_PERMISSION)

    def create_import_form(self, request: HttpRequest):
        form = super().create_import_form(request)
        form.fields["project"].queryset = visible_projects(request.user)
        return form

    def create_confirm_form(self, request: HttpRequest, import_form=None):
        form = super().create_confirm_form(request, import_form)
        form.fields["project"].queryset = visible_projects(request.user)
        return form

    def get_import_resource_kwargs(self, request: HttpRequest, **kwargs: Any) -> dict[str, Any]:
        form = kwargs.get("form")
        cleaned = getattr(form, "cleaned_data", None) or {}
        return {"project": cleaned.get("project"), "user": request.user}

    def get_export_resource_kwargs(self, request: HttpRequest, **kwargs: Any) -> dict[str, Any]:
        return {"user": request.user}

    def get_confirm_form_initial(self, request: HttpRequest, import_form) -> dict[str, Any]:
        initial = super().get_confirm_form_initial(request, import_form)
        if import_form is not None:
            initial["project"] = import_form.cleaned_data["project"].pk
        return initial

    def get_import_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_import_context_data(**kwargs)
        context["template_url"] = reverse("staff:import-template")
        return context

    def add_data_read_fail_error_to_form(self, form, e: Exception) -> None:
        if isinstance(e, RuleViolation):
            form.add_error("import_file", e.message)
        else:
            super().add_data_read_fail_error_to_form(form, e)

    def import_action(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        response = super().import_action(request, **kwargs)
        if isinstance(response, TemplateResponse) and response.context_data.get("result"):
            response.context_data["import_problems"] = import_problems(
                response.context_data["result"]
            )
        return response

    def process_result(self, result, request: HttpRequest) -> HttpResponse:
        problems = import_problems(result)
        if problems:
            # The file changed meaning since its preview (someone registered one of its
            # households or people meanwhile): nothing was saved.
            messages.error(
                request,
                _("导入未完成,没有保存任何数据:共 %(n)d 处问题。") % {"n": len(problems)},
            )
            for problem in problems[:_MESSAGES_SHOWN]:
                messages.error(request, str(problem))
            info = self.get_model_info()
            return HttpResponseRedirect(
                reverse(f"admin:{info[0]}_{info[1]}_import", current_app=self.admin_site.name)
            )
        return super().process_result(result, request)

    def add_success_message(self, result, request: HttpRequest) -> None:
        messages.success(
            request,
            _("导入成功:%(h)d 户、%(m)d 名成员。") % {"h": result.households, "m": result.members},
        )

    def get_export_filename(self, request: HttpRequest, queryset, file_format) -> str:
        date = timezone.localdate().isoformat()
        return f"households-members-{date}.{file_format.get_extension()}"
