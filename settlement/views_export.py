"""The finance export of a project's statements (xlsx), linked from the project's finance
page (settlement/views_finance.py `project_groups`)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required, permission_required
from django.http import FileResponse, HttpRequest
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_safe

from households.access import visible_projects
from resettlement.uploads import private_file_response
from settlement.statement_export import XLSX_CONTENT_TYPE, file_name, statements_workbook


@require_safe
@login_required
@permission_required("settlement.view_statement", raise_exception=True)
def statements_xlsx(request: HttpRequest, code: str) -> FileResponse:
    """Everyone who may read the statements on screen may take them away as a workbook."""
    project = get_object_or_404(visible_projects(request.user), code=code)
    return private_file_response(
        statements_workbook(project),
        filename=file_name(project),
        content_type=XLSX_CONTENT_TYPE,
        as_attachment=True,
    )
