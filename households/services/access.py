"""Granting and revoking a user's access to one project (see households.access).

The admin's inline on a project calls these; a grant records who gave it and when, and
both a grant and a revocation are entries of the audit trail (who may see which project is
itself a decision to be accountable for).
"""

from __future__ import annotations

from django.db import transaction

from households.access import require_project_access
from households.models import Project, ProjectAccess
from resettlement.audit import audit_record
from resettlement.roles import require_permission


@transaction.atomic
def project_access_grant(*, actor, user, project: Project) -> ProjectAccess:
    """Let `user` see and work on `project`. Granting twice keeps the first grant."""
    require_permission(actor, "households.add_projectaccess")
    require_project_access(actor, project)
    grant, created = ProjectAccess.objects.get_or_create(
        user=user, project=project, defaults={"granted_by": actor}
    )
    if created:
        audit_record(actor=actor, action="access.grant", obj=grant, payload=_facts(grant))
    return grant


@transaction.atomic
def project_access_revoke(*, actor, grant: ProjectAccess) -> None:
    """Take a grant back: the user no longer sees the project (at their next request)."""
    require_permission(actor, "households.delete_projectaccess")
    require_project_access(actor, grant.project_id)
    grant = (
        ProjectAccess.objects.select_for_update(of=("self",))
        .select_related("user", "project")
        .filter(pk=grant.pk)
        .first()
    )
    if grant is None:  # taken back already (another admin, a moment ago)
        return
    audit_record(actor=actor, action="access.revoke", obj=grant, payload=_facts(grant))
    grant.delete()


def _facts(grant: ProjectAccess) -> dict:
    """What the audit trail records of a grant: whose access, to which project."""
    return {
        "user_id": grant.user_id,
        "username": grant.user.get_username(),
        "project": grant.project.code,
    }
