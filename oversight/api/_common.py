"""What the oversight endpoints share: the permission each needs, the project they are
about (`?project=<id>`, required: one the caller may not see is "not found", like one that
does not exist) and money as strings with two decimals, rounded half up."""

from __future__ import annotations

from decimal import ROUND_HALF_UP
from typing import Any

from django.shortcuts import get_object_or_404
from rest_framework import permissions, serializers
from rest_framework.request import Request

from households.access import visible_projects
from households.models import Project
from resettlement.api.base import MAX_ID, ErrorSerializer, parsed

REFUSALS = {400: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer}


def holding(perm: str) -> type[permissions.BasePermission]:
    """A permission class: a signed-in, active user holding `perm`."""

    class Holding(permissions.BasePermission):
        def has_permission(self, request: Request, view: Any) -> bool:
            user = request.user
            return bool(user and user.is_authenticated and user.has_perm(perm))

    Holding.__name__ = f"Holding_{perm.replace('.', '_')}"
    return Holding


class ProjectQuery(serializers.Serializer):
    project = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, help_text="The project's id (required)."
    )


def project_of(request: Request) -> Project:
    """The project `?project=<id>` names, among those the caller may see (else 404)."""
    project_id = parsed(ProjectQuery, request.query_params)["project"]
    return get_object_or_404(visible_projects(request.user), pk=project_id)


def money_field(**kwargs: Any) -> serializers.DecimalField:
    """Money as a string with two decimals, half up (`settlement.calculation.money`)."""
    return serializers.DecimalField(
        max_digits=14, decimal_places=2, rounding=ROUND_HALF_UP, read_only=True, **kwargs
    )
