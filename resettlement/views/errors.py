"""The error pages (403, 404, 500) for people: in the language the visitor chose, inside the
site they were on — the public site's frame under /public/ (and at the root), the staff
frame elsewhere — with its navigation and a way back. API clients get JSON instead
(`resettlement.api.exceptions`)."""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.template.loader import render_to_string
from django.utils.http import url_has_allowed_host_and_scheme

logger = logging.getLogger(__name__)

# What a 500 answers with when even the page cannot be rendered (the database is gone).
_PLAIN_500 = (
    '<!doctype html><html lang="zh-Hans"><meta charset="utf-8"><title>500</title>'
    '<h1>系统出错 · Server error</h1><p><a href="/">返回首页 · Home</a></p></html>'
)


def frame(request: HttpRequest) -> str:
    """The base template of the site the request was on."""
    path = request.path
    return "public/base.html" if path == "/" or path.startswith("/public/") else "base.html"


def back_url(request: HttpRequest) -> str:
    """The page the visitor came from on this site (the referrer policy sends it only
    within the site), or nothing."""
    referrer = request.headers.get("Referer", "")
    if referrer and url_has_allowed_host_and_scheme(
        referrer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return referrer
    return ""


def _page(request: HttpRequest, template: str, status: int, **context) -> HttpResponse:
    context = {"base": frame(request), "back_url": back_url(request), **context}
    html = render_to_string(template, context, request=request)
    return HttpResponse(html, status=status)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(request, "404.html", 404, request_path=request.path)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    # A refusal's own message (PermissionDenied(exc.message)) says what is missing.
    reason = str(exception) if exception is not None and exception.args else ""
    return _page(request, "403.html", 403, reason=reason)


def server_error(request: HttpRequest) -> HttpResponse:
    try:
        return _page(request, "500.html", 500)
    except Exception:  # the cause of the 500 may break the page too: answer anyway
        logger.exception("the 500 page could not be rendered")
        return HttpResponseServerError(_PLAIN_500)
