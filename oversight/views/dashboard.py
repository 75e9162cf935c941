"""Leaders' progress dashboard (with its xlsx export). Views parse the query string, call
selectors and render.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from households.access import visible_projects
from oversight.export import dashboard_workbook
from oversight.selectors import dashboard as dashboard_selectors
from oversight.selectors.inbox import objections_waiting
from oversight.selectors.ledger import ledger_totals
from oversight.views._common import _project
from publicity.selectors.objections import answer_days
from tickets.selectors.figures import ticket_figures

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


dashboard_view = permission_required("oversight.view_dashboard", raise_exception=True)


def _week(request: HttpRequest) -> dashboard_selectors.IsoWeek:
    """?week=2026-W47, else (or when unreadable) this week."""
    return dashboard_selectors.IsoWeek.parse(
        request.GET.get("week", "")
    ) or dashboard_selectors.IsoWeek.of(timezone.localdate())


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
        "stages": dashboard_selectors.STAGES,
        "week_events": dashboard_selectors.WEEK_EVENTS,
    }
    if project is not None:
        progress = dashboard_selectors.project_progress(project)
        ranking = dashboard_selectors.team_ranking(project, week)
        open_objections, late_objections = objections_waiting(project)
        context |= {
            "open_objections": open_objections,
            "late_objections": late_objections,
            "answer_days": answer_days(),
            "progress": progress,
            "subsidy": ledger_totals(project),
            "tickets": ticket_figures(project),
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
        dashboard_selectors.project_progress(project),
        dashboard_selectors.team_ranking(project, week),
        week,
    )
    response = HttpResponse(data, content_type=XLSX)
    filename = f"progress-{project.code}-{timezone.localdate():%Y%m%d}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
