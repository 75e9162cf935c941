"""How large a request body may be, and the public posts' rate limits, both decided before
anything reads the body.

Django parses a form's body (its files included) the first time anything asks for
`request.POST` — the CSRF check does, before the view. So the limits are checked here, by
the `Content-Length` the client declared and the view the URL resolved to, in a middleware
placed before `CsrfViewMiddleware`:

- a public view that takes uploads declares them (`resettlement.public_site.public_post`:
  an objection's or a report's attachment, a defect report's photos) and gets that much;
- a logged-in user (a session, or HTTP Basic credentials for the API) may send
  `UPLOAD_BODY_MAX_BYTES` (imports, documents, defect photos);
- everything else — a login, a lookup, any anonymous request — `FORM_BODY_MAX_BYTES`.

Too large: 413, and the body is never read. A declared public post is then counted against
its rate limit; over the limit: 429, the body never read either. The reverse proxy caps
bodies the same way in front (deploy/nginx.conf), and DATA_UPLOAD_MAX_MEMORY_SIZE caps the
form fields Django does parse.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from resettlement.public_site import PublicPost, over_limit


def declared_length(request: HttpRequest) -> int:
    try:
        return max(int(request.META.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0


def _logged_in(request: HttpRequest) -> bool:
    # HTTP Basic credentials are checked by the API view before it reads the body.
    return "HTTP_AUTHORIZATION" in request.META or request.user.is_authenticated


def body_limit(request: HttpRequest, declared: PublicPost | None) -> int:
    if declared is not None and declared.upload_bytes is not None:
        return declared.upload_bytes() + settings.FORM_BODY_MAX_BYTES
    if not request.path.startswith("/public/") and _logged_in(request):
        return settings.UPLOAD_BODY_MAX_BYTES
    return settings.FORM_BODY_MAX_BYTES


def _too_large(request: HttpRequest, limit: int) -> HttpResponse:
    size = f"{limit // 1048576} MB" if limit >= 1048576 else f"{limit // 1024} KB"
    message = _("提交的内容过大(上限约 %(size)s),未被接收。请缩小或减少附件后重试。") % {
        "size": size
    }
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"code": "request_too_large", "detail": message},
            status=413,
            json_dumps_params={"ensure_ascii": False},
        )
    return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")


class RequestLimitsMiddleware:
    """Before CsrfViewMiddleware, which reads the body of a form."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        declared: PublicPost | None = getattr(view_func, "public_post", None)
        length = declared_length(request)
        if length > settings.FORM_BODY_MAX_BYTES:
            limit = body_limit(request, declared)
            if length > limit:
                return _too_large(request, limit)
        if declared is not None and request.method == "POST":
            back_url = reverse(declared.back_url) if declared.back_url else ""
            # The public site speaks its own language, whatever the visitor's cookie says.
            with translation.override(settings.LANGUAGE_CODE):
                return over_limit(request, declared.action, back_url=back_url)
        return None
