"""Granting and revoking a user's access to one project (see households.access).

The admin's inline on a project calls these; a grant records who gave it and when.
"""

from __future__ import annotations

from django.db import transaction

from resettlement.roles import require_permission

from .access import require_project_access
from .models import Project, ProjectAccess


@transaction.atomic
def project_access_grant(*, actor, user, project: Project) -> ProjectAccess:
    """Let `user` see and work on `project`. Granting twice keeps the first grant."""
    require_permission(actor, "households.add_projectaccess")
    require_project_access(actor, project)
    grant, _created = ProjectAccess.objects.get_or_create(
        user=user, project=project, defaults={"granted_by": actor}
    )
    return grant


@transaction.atomic
def project_access_revoke(*, actor, grant: ProjectAccess) -> None:
    """Take a grant back: the user no longer sees the project (at their next request)."""
    require_permission(actor, "households.delete_projectaccess")
    require_project_access(actor, grant.project_id)
    grant.delete()
