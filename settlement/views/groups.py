"""The finance pages of a project and its villager groups (where the money stands, collect
first and pay later) and the project's statements as a workbook."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required, permission_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_safe

from households.access import projects_q, visible_projects
from households.models import VillagerGroup
from resettlement.uploads import private_file_response
from settlement.export.statements import XLSX_CONTENT_TYPE, file_name, statements_workbook
from settlement.selectors import groups
from settlement.services import approvals
from settlement.views._common import _role_label, view_statements


@require_safe
@login_required
@view_statements
def finance_home(request: HttpRequest) -> HttpResponse:
    projects = list(visible_projects(request.user).order_by("-created_at", "-id"))
    if len(projects) == 1:
        return redirect("settlement:project-groups", code=projects[0].code)
    return render(request, "settlement/finance_home.html", {"projects": projects})


@require_safe
@login_required
@view_statements
def project_groups(request: HttpRequest, code: str) -> HttpResponse:
    project = get_object_or_404(visible_projects(request.user), code=code)
    summary = groups.project_settlement(project)
    chain = approvals.approval_chain(project)
    return render(
        request,
        "settlement/finance_project.html",
        {
            "project": project,
            "projects": visible_projects(request.user).order_by("code"),
            "summary": summary,
            "chain": [(step, _role_label(step.role)) for step in chain],
            "chain_locked": approvals.chain_locked(project),
        },
    )


@require_safe
@login_required
@view_statements
def group_detail(request: HttpRequest, pk: int) -> HttpResponse:
    group = get_object_or_404(
        VillagerGroup.objects.select_related("project", "community").filter(
            projects_q(request.user)
        ),
        pk=pk,
    )
    summary = groups.group_settlement(group)
    return render(
        request,
        "settlement/finance_group.html",
        {"group": group, "project": group.project, "summary": summary},
    )


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
