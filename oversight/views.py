"""Leaders' oversight pages: the progress dashboard (with its xlsx export) and the
overdue-return ledger. Views parse the query string, call selectors and render."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from households.access import chosen_project, visible_projects
from households.models import Project
from oversight import selectors
from oversight.export import dashboard_workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

dashboard_view = permission_required("oversight.view_dashboard", raise_exception=True)
ledger_view = permission_required("oversight.view_ledger", raise_exception=True)


def _project(request: HttpRequest) -> Project | None:
    """The project chosen with ?project=<code>, else the newest one; only projects the
    user may see (households.access): another one is "not found"."""
    return chosen_project(request.user, request.GET.get("project"))


def _week(request: HttpRequest) -> selectors.IsoWeek:
    """?week=2026-W47, else (or when unreadable) this week."""
    return selectors.IsoWeek.parse(request.GET.get("week", "")) or selectors.IsoWeek.of(
        timezone.localdate()
    )


@login_required
@dashboard_view
def dashboard(request: HttpRequest) -> HttpResponse:
    project = _project(request)
    week = _week(request)
    context = {
        "project": project,
        "projects": visible_projects(request.user).order_by("code"),
        "week": week,
        "previous_week": week.shifted(-1),
        "next_week": week.shifted(1),
        "stages": selectors.STAGES,
        "week_events": selectors.WEEK_EVENTS,
    }
    if project is not None:
        progress = selectors.project_progress(project)
        ranking = selectors.team_ranking(project, week)
        context |= {
            "progress": progress,
            "ranking": ranking,
            "most_points": max((r.points for r in ranking), default=0),
        }
    return render(request, "oversight/dashboard.html", context)


@login_required
@dashboard_view
def dashboard_export(request: HttpRequest) -> HttpResponse:
    project = _project(request)
    if project is None:
        raise Http404(_("没有这个项目。"))
    week = _week(request)
    data = dashboard_workbook(
        selectors.project_progress(project), selectors.team_ranking(project, week), week
    )
    response = HttpResponse(data, content_type=XLSX)
    filename = f"progress-{project.code}-{timezone.localdate():%Y%m%d}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@ledger_view
def ledger(request: HttpRequest) -> HttpResponse:
    project = _project(request)
    show_all = request.GET.get("show") == "all"
    context = {
        "project": project,
        "projects": visible_projects(request.user).order_by("code"),
        "show_all": show_all,
        "last_run": selectors.last_ledger_run(),
    }
    if project is not None:
        context |= {
            "entries": selectors.ledger_entries(project, overdue_only=not show_all),
            "totals": selectors.ledger_totals(project),
            "returns": selectors.return_progress(project),
        }
    return render(request, "oversight/ledger.html", context)
