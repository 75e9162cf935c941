"""The staff home (工作台): what waits for the user, by project (oversight.selectors.inbox).
Mounted at /staff/ (named `staff:home`, resettlement/urls.py) and /staff/oversight/inbox/."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from oversight.selectors.inbox import inbox as inbox_lines


@require_safe
@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    projects = inbox_lines(request.user)
    return render(
        request,
        "oversight/inbox.html",
        {"projects": projects, "waiting": sum(p.total for p in projects)},
    )
