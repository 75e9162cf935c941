"""Publicity test data.

Through the services people use (the row must be what the service makes): `register_family`,
`publish`, `draft` (review and approval: `approve` in tests/households/factories.py), and
`publish_roster_ended` (the entitlement roster published long enough ago that its period has
ended: what the lottery gate asks of every household drawn).

Plain rows: `long_roster` (a published roster of many rows, made directly: the services
would take minutes to register so many), `roster_part` (a finished roster PDF part, as the
rendering task leaves it). `PNG`, `PDF_BYTES`: the smallest files the upload and download
checks accept. `clear_publications_before_flush`: for transactional tests on SQLite.
"""

from __future__ import annotations

import datetime as dt
import importlib

import time_machine
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import connection
from django.utils import timezone

from households.models import Household
from publicity import page_cache
from publicity.models import (
    Publication,
    PublicationRow,
    PublicationStatus,
    RenderJob,
    RenderPart,
    RenderStatus,
)
from publicity.services import publications
from publicity.snapshot import content_hash, hashed_document
from resettlement.masking import Mask, mask
from tests.households.factories import member_data
from tests.people import make_user

POPULATION_COLUMNS = ["户编号", "村/社区", "村民小组", "姓名", "与户主关系", "身份证号", "户口性质"]

# The smallest PNG there is: the upload checks sniff it as image/png.
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00"
    b"\x00\x00IEND\xaeB`\x82"
)
# A made-up PDF is enough for the download view: it streams bytes, it does not read them.
PDF_BYTES = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def register_family(register, *, head: str, spouse: str, phone: str, **household) -> Household:
    return register(
        phone=phone,
        members=[
            member_data(name=head),
            member_data("spouse", name=spouse, sex="F", birth_date=dt.date(1975, 8, 9)),
        ],
        **household,
    )


def publish(
    leader,
    project,
    kind: str = "population",
    *,
    starts_on: dt.date | None = None,
    ends_on: dt.date | None = None,
    community=None,
    mask_names: bool = True,
) -> Publication:
    draft = publications.publication_create(
        actor=drafter(),
        project=project,
        kind=kind,
        community=community,
        starts_on=starts_on,
        ends_on=ends_on,
        mask_names=mask_names,
    )
    return publications.publication_publish(actor=leader, publication=draft)


def _leader(username: str, name: str):
    existing = get_user_model().objects.filter(username=username).first()
    return existing or make_user(username, "leader", first_name=name)


def drafter():
    """The leader who drafts publications in the tests (`roster_drafter`, made on first use):
    four-eyes on publicity, so the `leader` fixture publishes what this one drafted."""
    return _leader("roster_drafter", "周起草")


def publish_roster_ended(
    project, *, community=None, drafted_by=None, published_by=None, days_ago: int = 40
) -> Publication:
    """The entitlement roster (安置面积公示) of `project` (or one community), drafted by one
    leader and published by another `days_ago` days ago with the default 30-day period, so
    its period has ended today: the households approved now are shown in it and cleared for
    the lottery (publicity.selectors.clearance)."""
    drafted_by = drafted_by or drafter()
    published_by = published_by or _leader("roster_publisher", "吴发布")
    with time_machine.travel(timezone.now() - dt.timedelta(days=days_ago), tick=False):
        made = publications.publication_create(
            actor=drafted_by, project=project, kind="entitlement", community=community
        )
        return publications.publication_publish(actor=published_by, publication=made)


def draft(leader, project, kind: str = "population") -> Publication:
    return publications.publication_create(actor=drafter(), project=project, kind=kind)


def roster_part(publication: Publication, *, actor, label: str = "南宫河村") -> RenderPart:
    """A finished roster PDF part, as the rendering task leaves it."""
    job = RenderJob.objects.create(
        kind=RenderJob.Kind.ROSTER,
        project=publication.project,
        publication=publication,
        created_by=actor,
    )
    part = RenderPart(job=job, label=label, pages=1, finished_at=timezone.now())
    part.file.save("roster.pdf", ContentFile(PDF_BYTES), save=False)
    part.status = RenderStatus.DONE
    part.save()
    page_cache.forget([publication.pk])  # as the rendering service does
    return part


def clear_publications_before_flush() -> None:
    """Let a transactional test's closing flush empty the tables on SQLite.

    The flush deletes every row, and on SQLite the snapshot trigger refuses to delete a
    published publication (on PostgreSQL the flush is a TRUNCATE, which row triggers do not
    see). So: lift the triggers, delete the publications (what refers to them goes with the
    flush), and put the triggers back exactly as the migration made them.
    """
    if connection.vendor != "sqlite":
        return
    frozen = importlib.import_module("publicity.migrations.0002_published_snapshots_are_frozen")
    with connection.constraint_checks_disabled(), connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER IF EXISTS publicity_publication_frozen")
        cursor.execute("DROP TRIGGER IF EXISTS publicity_publication_no_delete")
        cursor.execute("DELETE FROM publicity_publication")
        for statement in frozen.SQLITE:
            cursor.execute(statement)


def long_roster(
    project,
    leader,
    *,
    rows: int,
    community: str = "南宫河村",
    extra_rows: list[list[str]] = (),
    **fields,
):
    """A published population roster of `rows` people in one community, then `extra_rows`
    as given, made directly (the services would take minutes to register so many)."""
    people = [
        [
            f"H{i // 3:05d}",
            community,
            f"第{i % 4 + 1}村民小组",
            mask("张" + "伟芳"[i % 2], Mask.NAME),
            ("户主", "配偶", "子女")[i % 3],
            mask(f"33011019800101{i:03d}{i % 10}", Mask.ID_NUMBER),
            "农业",
        ]
        for i in range(rows)
    ] + [list(row) for row in extra_rows]
    publication = Publication(
        project=project,
        kind="population",
        title=fields.pop("title", f"{project.name} 安置人口公示"),
        starts_on=dt.date(2026, 3, 2),
        ends_on=dt.date(2026, 3, 8),
        columns=POPULATION_COLUMNS,
        rows=people,
        row_count=len(people),
        status=fields.pop("status", PublicationStatus.PUBLISHED),
        created_by=leader,
        published_by=leader,
        published_at=timezone.now(),
        **fields,
    )
    publication.content_hash = content_hash(hashed_document(publication))
    publication.save()
    if publication.status != PublicationStatus.DRAFT:  # as publishing writes them
        PublicationRow.objects.bulk_create(publications.public_row_objects(publication))
    return publication
