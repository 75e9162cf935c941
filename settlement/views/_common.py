"""What several settlement staff pages share: the permission check, the household lookup,
role labels."""

from __future__ import annotations

from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from households.access import projects_q
from households.models import Household
from resettlement.roles import ROLE_BY_CODE

view_statements = permission_required("settlement.view_statement", raise_exception=True)


def _role_label(code: str) -> str:
    role = ROLE_BY_CODE.get(code)
    return str(role.label) if role else code


def _household(request: HttpRequest, pk: int) -> Household:
    """The household, if its project is visible to the user (404 otherwise, as for none)."""
    return get_object_or_404(
        Household.objects.select_related("project", "community", "group").filter(
            projects_q(request.user)
        ),
        pk=pk,
    )
