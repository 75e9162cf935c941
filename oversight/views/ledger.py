"""Leaders' overdue-return ledger page. Views parse the query string, call selectors and render."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from households.access import visible_projects
from oversight.selectors import ledger as ledger_selectors
from oversight.views._common import _project

ledger_view = permission_required("oversight.view_ledger", raise_exception=True)


@login_required
@ledger_view
def ledger(request: HttpRequest) -> HttpResponse:
    project = _project(request)
    show_all = request.GET.get("show") == "all"
    context = {
        "project": project,
        "projects": visible_projects(request.user).order_by("code"),
        "show_all": show_all,
        "last_run": ledger_selectors.last_ledger_run(),
    }
    if project is not None:
        context |= {
            "entries": ledger_selectors.ledger_entries(project, overdue_only=not show_all),
            "totals": ledger_selectors.ledger_totals(project),
            "returns": ledger_selectors.return_progress(project),
        }
    return render(request, "oversight/ledger.html", context)
