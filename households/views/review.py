"""The review queue (members waiting for a reviewer's finding) and the approval queue
(reviewed households waiting for a leader): thin views over households.selectors.review and
households.services.review."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


@login_required
@permission_required("households.review_member", raise_exception=True)
def review_queue(request: HttpRequest) -> HttpResponse:
    return render(request, "households/review_queue.html", {})


@login_required
@permission_required("households.approve_household", raise_exception=True)
def approval_queue(request: HttpRequest) -> HttpResponse:
    return render(request, "households/approval_queue.html", {})
