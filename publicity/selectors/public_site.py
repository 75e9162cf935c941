"""Reads for the public site: what anyone may see without logging in.

Drafts never leave this module. Snapshot rows are already masked when they were frozen;
what is shown here besides them (names of objectors, free text, a notice-board roster's
full names) passes through `resettlement.masking.mask` on its way out.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import secrets
from dataclasses import dataclass, field

from django.contrib.auth.hashers import check_password, make_password
from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from households.models import Household, Member, Project
from households.stages import Stage, stage_of
from publicity import search
from publicity.models import (
    Complaint,
    ComplaintCategory,
    ComplaintStatus,
    Objection,
    ObjectionStatus,
    Publication,
    PublicationRow,
    PublicationStatus,
    RenderJob,
    RenderPart,
    RenderStatus,
)
from resettlement import publicity_kinds, resident_journey
from resettlement.masking import Mask, mask
from resettlement.public_site import normalise_lookup_code
from resettlement.resident_journey import Fact, JourneySection

# --- Publications -------------------------------------------------------------------------


def public_publications() -> QuerySet[Publication]:
    """Every publication the public may see: published, closed or withdrawn; never a draft."""
    return Publication.objects.exclude(status=PublicationStatus.DRAFT)


def with_correction(queryset: QuerySet[Publication]) -> QuerySet[Publication]:
    """Annotate each publication with the public version that corrected it, if any
    (`corrected_pk`, `corrected_version`): a superseded version reads "已更正,见第N版" with a
    link to it, not the status its period left it in."""
    newer = public_publications().filter(previous=OuterRef("pk")).order_by().values("pk", "version")
    return queryset.annotate(
        corrected_pk=Subquery(newer.values("pk")[:1]),
        corrected_version=Subquery(newer.values("version")[:1]),
    )


def public_projects() -> QuerySet[Project]:
    return Project.objects.annotate(
        publication_count=Count(
            "publications", filter=~Q(publications__status=PublicationStatus.DRAFT)
        ),
        open_count=Count(
            "publications", filter=Q(publications__status=PublicationStatus.PUBLISHED)
        ),
    ).order_by("code")


def project_publications(project: Project) -> QuerySet[Publication]:
    return with_correction(
        public_publications()
        .filter(project=project)
        .select_related("community")
        .defer("rows", "columns")
        .order_by("kind", "community__code", "-version")
    )


def publication_versions(publication: Publication) -> list[Publication]:
    """All public versions of the same roster (same project, kind and community), oldest first."""
    return list(
        with_correction(
            public_publications()
            .filter(
                project_id=publication.project_id,
                kind=publication.kind,
                community_id=publication.community_id,
            )
            .only("pk", "version", "status", "published_at")
        ).order_by("version")
    )


def is_open_for_objections(publication: Publication, today: dt.date | None = None) -> bool:
    today = today or timezone.localdate()
    return (
        publication.status == PublicationStatus.PUBLISHED
        and publication.starts_on <= today <= publication.ends_on
    )


def answered_objections(publication: Publication) -> QuerySet[Objection]:
    return (
        publication.objections.filter(status=ObjectionStatus.ANSWERED)
        .only("pk", "contact_name", "text", "answer", "upheld", "filed_at", "answered_at")
        .order_by("answered_at", "pk")
    )


def roster_parts(publication: Publication) -> list[RenderPart]:
    """The finished PDF parts of the newest roster job of a public publication."""
    if publication.status == PublicationStatus.DRAFT or not publication.mask_names:
        # A roster with full names is printed for the community's own notice board only.
        return []
    job = (
        RenderJob.objects.filter(publication=publication, kind=RenderJob.Kind.ROSTER)
        .order_by("-created_at", "-pk")
        .first()
    )
    if job is None:
        return []
    return list(job.parts.filter(status=RenderStatus.DONE).exclude(file="").order_by("label"))


def public_part(publication_pk: int, part_pk: int) -> RenderPart | None:
    """A finished roster part of a public, online-masked publication, or None."""
    return (
        RenderPart.objects.filter(
            pk=part_pk,
            job__publication_id=publication_pk,
            job__kind=RenderJob.Kind.ROSTER,
            job__publication__mask_names=True,
            status=RenderStatus.DONE,
        )
        .exclude(job__publication__status=PublicationStatus.DRAFT)
        .exclude(file="")
        .select_related("job__publication")
        .first()
    )


def snapshot_publication(pk: int) -> Publication | None:
    """A public publication whose hashed snapshot may be downloaded whole: not a roster
    frozen with full names for a notice board (its hash is checked on the board)."""
    return (
        public_publications()
        .filter(pk=pk, mask_names=True)
        .select_related("project", "community")
        .first()
    )


def snapshot_etag(pk: int) -> str | None:
    return (
        public_publications()
        .filter(pk=pk, mask_names=True)
        .values_list("content_hash", flat=True)
        .first()
    )


def publication_state(publication_pk: int) -> str | None:
    """What a publication page's ETag and its kept copy are keyed by (`publicity.page_cache`):
    its content hash, plus a digest of whatever else the page shows that may change after
    publishing (status, answered objections, PDF parts, the roster's other versions, whether
    the period is open today). None for drafts and unknowns.

    One statement of plain SQL: the same query through the ORM (annotations, subqueries)
    cost ten times as much to build as the database took to answer it."""
    with connection.cursor() as cursor:
        cursor.execute(
            _STATE_SQL,
            {
                "pk": publication_pk,
                "draft": PublicationStatus.DRAFT,
                "answered": ObjectionStatus.ANSWERED,
                "done": RenderStatus.DONE,
                "roster": RenderJob.Kind.ROSTER,
                "withdrawn": PublicationStatus.WITHDRAWN,
            },
        )
        state = cursor.fetchone()
    if state is None:
        return None
    content_hash, status, starts_on, ends_on, *counts = state
    today = timezone.localdate()
    open_today = _as_date(starts_on) <= today <= _as_date(ends_on)
    varying = "|".join(str(value) for value in (status, open_today, *counts))
    return f"{content_hash}-{hashlib.sha256(varying.encode()).hexdigest()[:16]}"


def _as_date(value: dt.date | str) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


_STATE_SQL = f"""
SELECT p.content_hash, p.status, p.starts_on, p.ends_on,
    (SELECT COUNT(*) FROM {Objection._meta.db_table} o
        WHERE o.publication_id = p.id AND o.status = %(answered)s),
    (SELECT MAX(o.answered_at) FROM {Objection._meta.db_table} o
        WHERE o.publication_id = p.id),
    (SELECT MAX(r.finished_at) FROM {RenderPart._meta.db_table} r
        JOIN {RenderJob._meta.db_table} j ON r.job_id = j.id
        WHERE j.publication_id = p.id AND r.status = %(done)s),
    -- The page offers the newest roster job's parts only (roster_parts): a new print run
    -- changes the page before any of its parts is done.
    (SELECT j.id FROM {RenderJob._meta.db_table} j
        WHERE j.publication_id = p.id AND j.kind = %(roster)s
        ORDER BY j.created_at DESC, j.id DESC LIMIT 1),
    (SELECT COUNT(*) FROM {Publication._meta.db_table} v
        WHERE v.project_id = p.project_id AND v.kind = p.kind
        AND COALESCE(v.community_id, 0) = COALESCE(p.community_id, 0)
        AND v.status <> %(draft)s),
    (SELECT COUNT(*) FROM {Publication._meta.db_table} v
        WHERE v.project_id = p.project_id AND v.kind = p.kind
        AND COALESCE(v.community_id, 0) = COALESCE(p.community_id, 0)
        AND v.status = %(withdrawn)s)
FROM {Publication._meta.db_table} p
WHERE p.id = %(pk)s AND p.status <> %(draft)s
"""  # noqa: S608 (table names from the models; every value is a parameter)


# --- A snapshot's table as the public sees it ---------------------------------------------


@dataclass(frozen=True)
class PublicTable:
    columns: list[str]
    rows: list[list[str]]


def public_table(publication: Publication) -> PublicTable:
    """The snapshot's columns and rows for the web. A roster frozen with full names for a
    community's notice board (mask_names off) still shows only masked names online."""
    columns = list(publication.columns)
    rows = publication.rows
    if not publication.mask_names:
        name_columns = _name_columns(publication.kind, len(columns))
        rows = [
            [mask(cell, Mask.NAME) if i in name_columns else cell for i, cell in enumerate(row)]
            for row in rows
        ]
    return PublicTable(columns=columns, rows=rows)


def _name_columns(kind_code: str, width: int) -> set[int]:
    try:
        columns = publicity_kinds.get(kind_code).columns
    except KeyError:
        columns = ()
    if len(columns) != width:
        # The kind's columns no longer match the frozen ones: mask every cell rather than
        # guess which one holds a name.
        return set(range(width))
    return {i for i, column in enumerate(columns) if column.mask is Mask.NAME}


def public_rows(publication: Publication, query: str) -> QuerySet:
    """The cells of the publication's public rows, in order, with every word of the query
    in one of their cells (`publicity.search`: from the index, not the snapshot)."""
    rows = PublicationRow.objects.filter(publication=publication)
    return search.matching(rows, query).order_by("number").values_list("cells", flat=True)


# --- Free text written by people, shown publicly -------------------------------------------
# Objections, answers and reports pass through `mask(text, Mask.TEXT)`: any ID or phone
# number someone wrote in them is masked, however it was written (DESIGN §6).


@dataclass(frozen=True)
class PublicObjection:
    contact: str
    text: str
    answer: str
    upheld: bool
    filed_at: dt.datetime
    answered_at: dt.datetime | None
    status_label: str = ""


def public_objection(objection: Objection) -> PublicObjection:
    """An objection as shown publicly: the contact's surname only, no phone number."""
    return PublicObjection(
        contact=mask(objection.contact_name, Mask.NAME),
        text=mask(objection.text, Mask.TEXT),
        answer=mask(objection.answer, Mask.TEXT),
        upheld=objection.upheld,
        filed_at=objection.filed_at,
        answered_at=objection.answered_at,
        status_label=str(ObjectionStatus(objection.status).label),
    )


# --- The resident's own page --------------------------------------------------------------


@dataclass
class IncludedPublication:
    publication: Publication
    # None: the roster lists no households (a summary board such as work progress).
    includes_household: bool | None


@dataclass
class ResidentRecord:
    household: Household | None
    members: list[Member] = field(default_factory=list)
    publications: list[IncludedPublication] = field(default_factory=list)
    objections: list[PublicObjection] = field(default_factory=list)
    stage: Stage | None = None
    # What later stages registered (resettlement.resident_journey), every value masked.
    journey: list[JourneySection] = field(default_factory=list)

    @property
    def found(self) -> bool:
        return self.household is not None


def resident_record(lookup_code: str) -> ResidentRecord:
    """Everything the household with this lookup code may see about itself.

    Known and unknown codes run the same four queries, each filtered by the code, and the
    same queries of the journey's sections (the apartment, lottery result, statement,
    agreement, keys and defects that later stages register in
    `resettlement.resident_journey`), so the response does not reveal by its path (or its
    timing, beyond the rows found) whether a guess came close; so does the household's stage
    (`households.stages`).
    """
    code = normalise_lookup_code(lookup_code)
    household = (
        Household.objects.filter(lookup_code=code)
        .select_related("project", "community", "group")
        .first()
    )
    members = list(
        Member.objects.filter(household__lookup_code=code).order_by("household_id", "id")
    )
    household_code = household.code if household else ""
    this_household = Household.objects.filter(lookup_code=code)
    # Only the newest public version of each roster: older ones were superseded.
    newer = public_publications().filter(previous=OuterRef("pk"))
    publications = list(
        public_publications()
        .filter(
            Exists(this_household.filter(project=OuterRef("project"))),
            Q(community__isnull=True)
            | Exists(this_household.filter(community=OuterRef("community"))),
            ~Exists(newer),
        )
        .select_related("community")
        .order_by("kind", "community__code", "-published_at")
    )
    included = [
        IncludedPublication(p, roster_lists(p, household_code)) for p in publications if household
    ]
    objections = [
        public_objection(o)
        for o in Objection.objects.filter(
            publication__project__households__lookup_code=code, household_code=household_code
        )
        .exclude(household_code="")
        .order_by("filed_at")
    ]
    # An unknown code asks for the stage of a household with that code, by the same query.
    stage = stage_of(household or Household(lookup_code=code))
    return ResidentRecord(
        household=household,
        members=members,
        publications=included,
        objections=objections,
        stage=stage if household else None,
        journey=[_masked(section) for section in resident_journey.sections_for(code)],
    )


def _masked(section: JourneySection) -> JourneySection:
    """The section with every value through the one masking function (free-text kind: ID
    numbers and phone numbers in it are masked)."""
    return dataclasses.replace(
        section,
        facts=[Fact(f.label, mask(f.value, Mask.TEXT)) for f in section.facts],
        rows=[tuple(mask(cell, Mask.TEXT) for cell in row) for row in section.rows],
    )


def roster_lists(publication: Publication, household_code: str) -> bool | None:
    """Whether a roster lists the household (in its household-code column); None for a
    roster whose kind has no such column (a summary: it lists no household)."""
    try:
        keys = [column.key for column in publicity_kinds.get(publication.kind).columns]
    except KeyError:
        return False
    if "household" not in keys:
        return None
    if len(keys) != len(publication.columns):
        return False
    index = keys.index("household")
    return any(row[index] == household_code for row in publication.rows)


# --- Reports to the supervising office ----------------------------------------------------


@functools.cache
def _no_such_complaint() -> str:
    """Checked against when the reference is unknown, so a wrong reference takes as long to
    refuse as a wrong check code (the page says the same for both)."""
    return make_password(secrets.token_hex(16))


@dataclass(frozen=True)
class ReporterView:
    """A report as its reporter sees it on the public site: contact masked, any ID or phone
    number in the free text masked, never who in the office answered."""

    reference: str
    category_label: str
    project_name: str
    status: str
    status_label: str
    text: str
    contact: str
    has_attachment: bool
    filed_at: dt.datetime
    answer: str
    answered_at: dt.datetime | None


def complaint_for_reporter(reference: str, check_code: str) -> ReporterView | None:
    """The report with this reference if the check code is its own, else None."""
    complaint = (
        Complaint.objects.select_related("project")
        .filter(reference=normalise_lookup_code(reference))
        .first()
    )
    code = normalise_lookup_code(check_code)
    if complaint is None:
        check_password(code, _no_such_complaint())
        return None
    if not check_password(code, complaint.check_code_hash):
        return None
    contact = " ".join(
        part
        for part in (
            mask(complaint.contact_name, Mask.NAME),
            mask(complaint.contact_phone, Mask.PHONE),
        )
        if part
    )
    return ReporterView(
        reference=complaint.reference,
        category_label=str(ComplaintCategory(complaint.category).label),
        project_name=complaint.project.name if complaint.project else "",
        status=complaint.status,
        status_label=str(ComplaintStatus(complaint.status).label),
        text=mask(complaint.text, Mask.TEXT),
        contact=contact,
        has_attachment=bool(complaint.attachment),
        filed_at=complaint.filed_at,
        answer=mask(complaint.answer, Mask.TEXT),
        answered_at=complaint.answered_at,
    )
