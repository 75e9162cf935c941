"""File import and export in the admin, as a mixin for an app's admin.

    class HouseholdAdmin(HouseholdImportExportMixin, ReadOnlyAdmin): ...

where the app's mixin (households.admin.HouseholdImportExportMixin) builds on
`FileImportExportMixin` with its resource, permissions, template and messages. The admin
runs the same resource and rules as the app's import command: the upload form adds the
project to import into (among those the user may see); the dry run shows every problem by
Excel row and column, or a summary of what will be created; confirming imports the file, all
of it or nothing.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export.admin import ImportExportMixin
from import_export.formats import base_formats
from import_export.forms import ConfirmImportForm, ExportForm, ImportForm

from resettlement.errors import RuleViolation
from resettlement.imports.base import import_problems
from resettlement.imports.files import (
    CSV,
    XLSX,
    XLSX_CONTENT_TYPE,
    FileRejected,
    check_size,
    format_for_name,
    read_roster,
)
from resettlement.imports.projects import project_scope

# How many problems the admin repeats as messages after a failed confirmation.
_MESSAGES_SHOWN = 20


class _RosterFormat(base_formats.Format):
    """An import format reading through resettlement.imports.files (size, type and bomb checks)."""

    kind = ""
    content_type = "application/octet-stream"

    def __init__(self, encoding: str | None = None) -> None:
        self.encoding = encoding  # bytes are decoded by imports.files (UTF-8 or GBK csv)

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

    # The queryset is the projects the user may see, set by the admin for each request.
    project = forms.ModelChoiceField(queryset=None, label=gettext_lazy("项目"))
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
    project = forms.ModelChoiceField(queryset=None, widget=forms.HiddenInput)


class FileImportExportMixin(ImportExportMixin):
    """Import and export of one resource's files: the project picker, the file checks, the
    dry-run preview listing every problem, the confirmation. Subclasses set
    `resource_classes`, `import_template_name`, the permissions and the success message."""

    import_form_class = RosterImportForm
    confirm_form_class = RosterConfirmImportForm
    export_form_class = ExportForm  # the whole file, so that it imports back
    import_formats = IMPORT_FORMATS
    export_formats = [base_formats.XLSX, base_formats.CSV]

    def create_import_form(self, request: HttpRequest):
        form = super().create_import_form(request)
        form.fields["project"].queryset = project_scope().visible(request.user)
        return form

    def create_confirm_form(self, request: HttpRequest, import_form=None):
        form = super().create_confirm_form(request, import_form)
        form.fields["project"].queryset = project_scope().visible(request.user)
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
