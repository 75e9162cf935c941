"""The hall's big screen: what the public sees (names masked), rehearsals included, for
staff who may see the session."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from lottery.selectors.sessions import session_state
from lottery.views._common import _session, screen_text, session_view


@require_safe
@never_cache
@login_required
@session_view
def screen(request: HttpRequest, code: str) -> HttpResponse:
    session = _session(request, code)
    return render(
        request,
        "lottery/screen.html",
        {
            "session": session,
            "state": session_state(session, public=True),
            "text": screen_text(),
        },
    )


@require_safe
@never_cache
@login_required
@session_view
def screen_state_json(request: HttpRequest, code: str) -> JsonResponse:
    """The big screen's state: what the public sees (names masked), rehearsals included."""
    session = _session(request, code)
    return JsonResponse(
        session_state(session, public=True), json_dumps_params={"ensure_ascii": False}
    )
