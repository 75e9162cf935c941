"""Drafts waiting for a publisher: what the inbox (工作台) shows a user who may publish —
drafts of the projects they see, drafted by someone else (four-eyes on publicity:
`publicity.services.publications.require_not_drafter`)."""

from __future__ import annotations

from django.db.models import QuerySet

from households.access import projects_q
from publicity.models import Publication, PublicationStatus


def drafts_awaiting_publisher(user) -> QuerySet[Publication]:
    """Drafts `user` may publish: none without the permission; never their own."""
    if not user.has_perm("publicity.publish_publication"):
        return Publication.objects.none()
    return (
        Publication.objects.filter(projects_q(user), status=PublicationStatus.DRAFT)
        .exclude(created_by=user)
        .defer("rows", "columns")
    )
