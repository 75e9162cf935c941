"""Leaders' overdue-return ledger page. Views parse the query string, call selectors and render."""

from __future__ import annotations

from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from households.access import chosen_project, require_project, visible_projects
from oversight.selectors import ledger as ledger_selectors
from oversight.services import ledger as ledger_services
from oversight.views._common import _project
from resettlement.errors import RuleViolation
from resettlement.paging import page_of

ledger_view = permission_required("oversight.view_ledger", raise_exception=True)

PAGE_SIZE = 50  # the ledger's rows per page, as the other staff lists and the API


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
        # The rows come a page at a time; the totals, periods and targets are of the whole
        # project (aggregate queries), the same on every page.
        entries = ledger_selectors.ledger_entries(project, overdue_only=not show_all)
        context |= {
            **page_of(request, entries, PAGE_SIZE),
            "totals": ledger_selectors.ledger_totals(project),
            "periods": ledger_selectors.ledger_periods(project),
            "returns": ledger_selectors.return_progress(project),
        }
    return render(request, "oversight/ledger.html", context)


@require_safe
@login_required
@ledger_view
def household_ledger(request: HttpRequest, pk: int) -> HttpResponse:
    """A household's ledger: each subsidy month owed, paid (on which day, by which run or
    by its settled statement), days late; still-unpaid months with their days overdue; and
    its lines of every run. A household of a project the user may not see, or one not in
    the ledger, is "not found"."""
    detail = ledger_selectors.household_ledger(pk)
    if detail is None:
        raise Http404(_("该户不在超期回迁台账中。"))
    require_project(request.user, detail.entry.project_id)
    return render(
        request,
        "oversight/ledger_household.html",
        {"detail": detail, "entry": detail.entry},
    )


@login_required
@ledger_view
@require_POST
def ledger_refresh(request: HttpRequest) -> HttpResponse:
    """Bring the chosen project's ledger up to date now (audited), then back to the page."""
    project = chosen_project(request.user, request.POST.get("project"))
    if project is None:
        raise Http404
    try:
        run = ledger_services.ledger_refresh_now(actor=request.user, project=project)
    except RuleViolation as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("台账已更新:过渡中 %(n)d 户,超期 %(o)d 户,过渡费未按时发放 %(l)d 户。")
            % {"n": run.households, "o": run.overdue, "l": run.late},
        )
    return redirect(f"{reverse('oversight:ledger')}?project={quote(project.code)}")
