"""The hall's big screen: what the public sees (names masked), rehearsals included, for
staff who may see the session."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse

from lottery.selectors.sessions import session_state
from lottery.views._common import _session, screen_text, session_page
from resettlement.second_factor import qr_data_uri


@session_page
def screen(request: HttpRequest, code: str) -> HttpResponse:
    session = _session(request, code)
    # The end view (shown once signed) points the hall at the phone verify page.
    verify_url = request.build_absolute_uri(reverse("lottery-public:verify", args=[session.code]))
    return render(
        request,
        "lottery/screen.html",
        {
            "session": session,
            "state": session_state(session, public=True),
            "text": screen_text(),
            "verify_url": verify_url,
            "verify_qr": qr_data_uri(verify_url),
        },
    )


@session_page
def screen_state_json(request: HttpRequest, code: str) -> JsonResponse:
    """The big screen's state: what the public sees (names masked), rehearsals included."""
    session = _session(request, code)
    return JsonResponse(
        session_state(session, public=True), json_dumps_params={"ensure_ascii": False}
    )
