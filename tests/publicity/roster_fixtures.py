"""Published rosters to print: a real one in two communities (registered, reviewed,
approved and published through the services), and a long one made directly from rows
(for page-by-page checks), plus the PDF read back as text."""

from __future__ import annotations

import datetime as dt
import subprocess
import tempfile
from pathlib import Path

import pytest
from django.utils import timezone

from households.models import ReviewStatus
from households.services import review
from publicity.models import Publication, PublicationStatus
from publicity.services import publications
from publicity.snapshot import content_hash, hashed_document
from resettlement.masking import Mask, mask
from tests.factories import VillagerGroupFactory, member_data

POPULATION_COLUMNS = ["户编号", "村/社区", "村民小组", "姓名", "与户主关系", "身份证号", "户口性质"]


def pdf_pages(pdf: bytes) -> list[str]:
    """Each page's text as pdftotext lays it out (a table row on one line)."""
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory, "roster.pdf")
        path.write_bytes(pdf)
        out = subprocess.run(  # noqa: S603
            ["pdftotext", "-layout", str(path), "-"],  # noqa: S607
            capture_output=True,
            check=True,
        )
    return out.stdout.decode().split("\f")[:-1]


def squeezed(text: str) -> str:
    """Text without whitespace: pdftotext spaces CJK text and table cells unpredictably."""
    return "".join(text.split())


def row_lines(page: str) -> set[str]:
    """The page's lines, whitespace removed: a table row reads as its cells run together."""
    return {squeezed(line) for line in page.splitlines() if line.strip()}


@pytest.fixture
def private_media(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "private_media"},
        },
    }
    return tmp_path / "private_media"


@pytest.fixture
def two_communities(project):
    """Two villager groups of the same project, each in its own community."""
    return [
        VillagerGroupFactory(community__project=project, community__name=name)
        for name in ("东湖村", "西山社区")
    ]


@pytest.fixture
def roster(two_communities, register_in, reviewer, leader):
    """The population roster of two approved households, one per community, published."""
    east, west = two_communities
    households = [
        register_in(
            east,
            members=[
                member_data(name="王建国"),
                member_data("spouse", name="李秀英", sex="F", birth_date=dt.date(1972, 4, 5)),
            ],
            phone="13912345678",
        ),
        register_in(west, members=[member_data(name="欧阳明月", sex="F")], phone="13698765432"),
    ]
    for household in households:
        for member in household.members.all():
            review.member_review(actor=reviewer, member=member, decision=ReviewStatus.PASSED)
        review.household_approve(actor=leader, household=household)
    draft = publications.publication_create(
        actor=leader,
        project=east.project,
        kind="population",
        starts_on=dt.date(2026, 3, 2),
    )
    return publications.publication_publish(actor=leader, publication=draft)


def long_roster(project, leader, *, rows: int, community: str = "南宫河村", **fields):
    """A published population roster of `rows` people in one community, made directly (the
    services would take minutes to register so many)."""
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
    ]
    publication = Publication(
        project=project,
        kind="population",
        title=fields.pop("title", f"{project.name} 安置人口公示"),
        starts_on=dt.date(2026, 3, 2),
        ends_on=dt.date(2026, 3, 8),
        columns=POPULATION_COLUMNS,
        rows=people,
        row_count=rows,
        status=fields.pop("status", PublicationStatus.PUBLISHED),
        created_by=leader,
        published_by=leader,
        published_at=timezone.now(),
        **fields,
    )
    publication.content_hash = content_hash(hashed_document(publication))
    publication.save()
    return publication
