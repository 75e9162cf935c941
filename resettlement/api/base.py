"""The API base: the error shape, the view mixin every app's viewsets use, input parsing,
id filters and the user reference.

All 400 responses have one shape, that of `resettlement.api.exceptions.exception_handler`:
{"code", "detail", "errors": [{"field", "message", "code", "member"?}]}. Input that fails to
parse is turned into the same `invalid_input` violation the services raise.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from typing import Any

from django.db import IntegrityError
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers
from rest_framework.response import Response

from resettlement.errors import RuleViolation, invalid_input

logger = logging.getLogger(__name__)


class FieldErrorSerializer(serializers.Serializer):
    field = serializers.CharField()
    message = serializers.CharField()
    code = serializers.CharField()
    member = serializers.IntegerField(
        required=False, help_text="Index of the member in the request's `members` list."
    )


class ErrorSerializer(serializers.Serializer):
    """What every refused request returns (400 rule/input, 403 permission or four-eyes)."""

    code = serializers.CharField(help_text="Stable code, e.g. invalid_input, four_eyes.")
    detail = serializers.CharField()
    errors = FieldErrorSerializer(many=True, required=False)


def _field_errors(
    detail: Any, field: str = "non_field_errors", member: int | None = None
) -> Iterator[dict[str, Any]]:
    """Flatten DRF's nested errors into the services' list: {field, message, code, member?}."""
    if isinstance(detail, Mapping):
        for key, value in detail.items():
            if isinstance(key, int):  # DRF ≥ 3.15 keys a nested list's errors by index
                yield from _field_errors(value, field, key)
            else:
                yield from _field_errors(value, field if key == "non_field_errors" else key, member)
    elif isinstance(detail, list) and any(isinstance(item, Mapping | list) for item in detail):
        for index, item in enumerate(detail):  # one entry per item of `members`
            yield from _field_errors(item, field, index)
    else:
        for error in detail if isinstance(detail, list) else [detail]:
            row = {"field": field, "message": str(error), "code": getattr(error, "code", "invalid")}
            if member is not None:
                row["member"] = member
            yield row


class RegistryViewMixin:
    """Input that does not parse is reported like a rule violation; a write that loses a
    race against a database constraint is a 409, never a 500."""

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, exceptions.ValidationError):
            exc = invalid_input(list(_field_errors(exc.detail)))
        elif isinstance(exc, IntegrityError):
            # A service checks its rules before writing; this is a concurrent write, or a
            # rule a service failed to check first. Logged, so the latter gets fixed.
            logger.warning(
                "Integrity error on %s %s", self.request.method, self.request.path, exc_info=exc
            )
            exc = Conflict("conflict", _("数据与已有记录冲突(可能刚被他人修改),请刷新后重试。"))
        return super().handle_exception(exc)

    def query(self, serializer_class: type[serializers.Serializer]) -> dict[str, Any]:
        """The request's validated query parameters."""
        params = parsed(serializer_class, self.request.query_params)
        return {name: value for name, value in params.items() if value not in (None, "")}


def parsed(
    serializer_class: type[serializers.Serializer],
    data: Any,
    *,
    partial: bool = False,
    request: Any = None,
) -> dict[str, Any]:
    """Validated input for a service call; raises ValidationError (→ invalid_input).
    Pass the `request` when the input refers to rows by id (`VisibleRelatedField`)."""
    serializer = serializer_class(data=data, partial=partial, context={"request": request})
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


# Ids are BigAutoField. A filter beyond that range matches nothing, and SQLite cannot even
# bind it (OverflowError), so such input is refused like any other invalid value.
MAX_ID = 2**63 - 1


def id_filter() -> serializers.IntegerField:
    """An optional query parameter naming an object by id."""
    return serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)


class Conflict(RuleViolation):
    status_code = 409


def writes(request: Any, response: Any, *, code: int = 200, **kwargs: Any):
    """Schema for a write: its request, its success response, and the error shape."""
    return extend_schema(
        request=request,
        responses={
            code: response,
            400: ErrorSerializer,
            403: ErrorSerializer,
            409: ErrorSerializer,
        },
        **kwargs,
    )


class UserRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.SerializerMethodField()

    def get_name(self, user) -> str:
        return user.get_full_name() or user.username
