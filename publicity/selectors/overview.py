"""The staff overview (总览): per community, how many households have reached each stage.

Stages are cumulative, so each is a subset of the one before:

- registered: every household of the project;
- reviewed: every member has been reviewed (status "reviewed" or "approved");
- approved: approved by a leader;
- published: approved, and its current approval has been publicised: a population or
  entitlement publication covering its community (or the whole project) that is published
  or closed, was published at or after the household's approval. The entitlement roster
  lists every approved household in scope at the moment of publishing, so this is exactly
  "appears in a published snapshot" without reading the snapshots' JSON; a household sent
  back by an objection and approved again counts only once a new version is published.
  Withdrawn publications do not count.
- objections open: unanswered objections, counted for the household's community when the
  objection names a household, else for the publication's community, else for the project
  as a whole.

Counting is done by the database in a fixed number of queries, whatever the number of
communities and households.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from households.models import Community, Household, HouseholdStatus, Project
from publicity.models import Objection, ObjectionStatus, Publication, PublicationStatus

# The kinds whose publication makes a household's resettlement public.
PUBLISHING_KINDS = ("population", "entitlement")

# (field, label), in workflow order; each stage's households are among the previous one's.
STAGES = (
    ("registered", _("已登记")),
    ("reviewed", _("已审核")),
    ("approved", _("已审批")),
    ("published", _("已公示")),
)


@dataclass(frozen=True)
class StageCounts:
    code: str
    name: str
    registered: int = 0
    reviewed: int = 0
    approved: int = 0
    published: int = 0
    objections_open: int = 0

    def share(self, stage: str) -> int:
        """A stage's count as a whole percentage of the registered households."""
        if not self.registered:
            return 0
        return round(100 * getattr(self, stage) / self.registered)

    def stages(self) -> list[tuple[str, str, int, int]]:
        """(field, label, count, share of registered) for each stage, for the charts."""
        return [(field, label, getattr(self, field), self.share(field)) for field, label in STAGES]


@dataclass(frozen=True)
class ProjectOverview:
    project: Project
    communities: list[StageCounts]
    unassigned_objections: int  # open objections naming no household or community
    totals: StageCounts

    @property
    def largest(self) -> int:
        """The most households in one community: the full width of the bar charts."""
        return max((c.registered for c in self.communities), default=0)


def published_after_approval(
    *, since: dt.datetime | None = None, before: dt.datetime | None = None
) -> Exists:
    """On households: the "published" stage of the module docstring (a publication covering
    the household's current approval), optionally by a publication published in
    [since, before). The one definition, also counted by the oversight dashboard."""
    publications = Publication.objects.filter(
        project=OuterRef("project"),
        kind__in=PUBLISHING_KINDS,
        status__in=(PublicationStatus.PUBLISHED, PublicationStatus.CLOSED),
        published_at__gte=OuterRef("approved_at"),
    ).filter(Q(community__isnull=True) | Q(community=OuterRef("community")))
    if since is not None:
        publications = publications.filter(published_at__gte=since)
    if before is not None:
        publications = publications.filter(published_at__lt=before)
    return Exists(publications)


def _household_counts(project: Project) -> dict[int, dict[str, int]]:
    approved = Q(status=HouseholdStatus.APPROVED)
    rows = (
        Household.objects.filter(project=project)
        .values("community_id")
        .annotate(
            registered=Count("id"),
            reviewed=Count(
                "id", filter=Q(status__in=(HouseholdStatus.REVIEWED, HouseholdStatus.APPROVED))
            ),
            approved=Count("id", filter=approved),
            published=Count("id", filter=approved & published_after_approval()),
        )
        .order_by()
    )
    return {row.pop("community_id"): row for row in rows}


def _open_objection_counts(project: Project) -> dict[int | None, int]:
    household_community = Household.objects.filter(
        project=OuterRef("publication__project"), code=OuterRef("household_code")
    ).values("community_id")[:1]
    rows = (
        Objection.objects.filter(publication__project=project, status=ObjectionStatus.OPEN)
        .annotate(
            place=Coalesce(
                Subquery(household_community),
                "publication__community_id",
                output_field=IntegerField(),
            )
        )
        .values("place")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {row["place"]: row["n"] for row in rows}


def project_overview(project: Project) -> ProjectOverview:
    """Stage counts per community of `project` and in total (three queries)."""
    households = _household_counts(project)
    objections = _open_objection_counts(project)
    communities = [
        StageCounts(
            code=community.code,
            name=community.name,
            objections_open=objections.get(community.pk, 0),
            **households.get(community.pk, {}),
        )
        for community in Community.objects.filter(project=project).order_by("code")
    ]
    unassigned = objections.get(None, 0)
    totals = StageCounts(
        code="",
        name="",
        registered=sum(c.registered for c in communities),
        reviewed=sum(c.reviewed for c in communities),
        approved=sum(c.approved for c in communities),
        published=sum(c.published for c in communities),
        objections_open=sum(c.objections_open for c in communities) + unassigned,
    )
    return ProjectOverview(
        project=project,
        communities=communities,
        unassigned_objections=unassigned,
        totals=totals,
    )
