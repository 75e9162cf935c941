"""The one mapping of RuleViolation to API responses (the `EXCEPTION_HANDLER`), the 404 and
400 handlers (JSON for /api/, the site's own pages elsewhere), and the schema hook
documenting those refusals."""

from __future__ import annotations

from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from resettlement.errors import RuleViolation
from resettlement.views import errors


def exception_handler(exc, context):
    """Map RuleViolation (and NotAllowed) once, with code, message and details."""
    if isinstance(exc, RuleViolation):
        body = {"code": exc.code, "detail": exc.message}
        if exc.details is not None:
            body["errors"] = exc.details
        return Response(body, status=exc.status_code)
    response = drf_exception_handler(exc, context)
    # Give DRF's own refusals (401/403/404/405/415…) the same shape: a stable code too.
    if response is not None and isinstance(response.data, dict) and "code" not in response.data:
        detail = response.data.get("detail")
        response.data["code"] = getattr(detail, "code", None) or "error"
    return response


def not_found(request, exception=None):
    """404 for a URL no route matches: JSON under /api/ (what API clients parse), the site's
    own page elsewhere (`resettlement.views.errors`)."""
    if request.path.startswith("/api/"):
        detail = str(NotFound.default_detail)
        return JsonResponse({"code": "not_found", "detail": detail}, status=404)
    return errors.page_not_found(request, exception)


def bad_request(request, exception=None):
    """400 for a request Django refused before any view (a body past
    DATA_UPLOAD_MAX_MEMORY_SIZE, too many fields): JSON under /api/, the usual page
    elsewhere."""
    if request.path.startswith("/api/"):
        detail = _("请求无效(例如内容过大)。")
        return JsonResponse(
            {"code": "bad_request", "detail": detail},
            status=400,
            json_dumps_params={"ensure_ascii": False},
        )
    return defaults.bad_request(request, exception)


# Refusals every operation may answer with, whatever its own annotations say: the body is
# always the `Error` shape of `exception_handler` above.
_COMMON_ERRORS = {
    "400": "Invalid input, or a business rule refused it.",
    "401": "Not signed in.",
    "403": "The caller's roles or the four-eyes rule forbid this.",
    "404": "No such object, or a page past the end of the list.",
    "415": "The body's media type is not one the operation accepts (or the body has none).",
}
_ERROR_COMPONENT = {
    "type": "object",
    "properties": {
        "code": {"type": "string"},
        "detail": {"type": "string"},
        "errors": {"type": "array", "items": {"type": "object"}},
    },
    "required": ["code", "detail"],
}


def document_error_responses(result, generator, request, public):
    """drf-spectacular postprocessing hook: document the refusals the API really gives.

    400 where the operation takes input (query, path or body), 401 and 403 everywhere (every
    endpoint needs a signed-in user with a role), 404 where a path names an object or a list
    is paged (a page past the end), 415 where it takes a body (DRF refuses a body of a media
    type no parser reads, and a body sent without a Content-Type).
    """
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components.setdefault("Error", _ERROR_COMPONENT)
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            parameters = operation.get("parameters", [])
            applies = {
                "400": bool(parameters) or "requestBody" in operation,
                "401": True,
                "403": True,
                "404": any(p.get("in") == "path" or p.get("name") == "page" for p in parameters),
                "415": "requestBody" in operation,
            }
            responses = operation.setdefault("responses", {})
            for status, description in _COMMON_ERRORS.items():
                if applies[status] and status not in responses:
                    responses[status] = {"content": error, "description": description}
    return result
