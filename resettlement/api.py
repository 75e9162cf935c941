"""The one mapping of RuleViolation to API responses."""

from __future__ import annotations

from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import RuleViolation


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
