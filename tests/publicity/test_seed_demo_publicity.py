"""`seed_demo` reaches the publicity stage: rosters published by the demo leader, objections
filed and answered (one upheld, corrected in a new version), notices started. Checked on
one demo database seeded once for the module (and rolled back after it)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import override_settings

from households.models import Household, HouseholdStatus, Member, Project, ReviewStatus
from publicity.models import (
    Objection,
    ObjectionStatus,
    Publication,
    PublicationStatus,
    RenderJob,
    RenderStatus,
)
from publicity.selectors.overview import project_overview
from publicity.services import objections as publicity_objections
from publicity.snapshot import content_hash, hashed_document
from tests.households.demo_seeding import demo_settings, seed


@pytest.fixture(scope="module")
def demo_database(django_db_setup, django_db_blocker, tmp_path_factory):
    media = tmp_path_factory.mktemp("media")
    with (
        django_db_blocker.unblock(),
        override_settings(**demo_settings(media)),
        transaction.atomic(),
    ):
        output = seed()
        yield output
        transaction.set_rollback(True)  # leave the database empty for the next module


@pytest.fixture
def main(demo_database, db) -> Project:
    return Project.objects.get(code="YH2013")


def _publications(project: Project, kind: str) -> list[Publication]:
    return list(Publication.objects.filter(project=project, kind=kind).order_by("version"))


def test_the_leader_published_registration_results_population_and_entitlement_rosters(main):
    (registration,) = _publications(main, "registration")
    population = _publications(main, "population")
    entitlement = _publications(main, "entitlement")
    assert registration.status == PublicationStatus.PUBLISHED
    assert registration.row_count == Household.objects.filter(project=main).count()
    assert [p.status for p in population] == [PublicationStatus.CLOSED, PublicationStatus.PUBLISHED]
    assert [p.status for p in entitlement] == [PublicationStatus.PUBLISHED, PublicationStatus.DRAFT]
    published = Publication.objects.filter(project=main).exclude(status=PublicationStatus.DRAFT)
    for publication in published:
        assert publication.published_by.username == "leader"
        assert publication.content_hash == content_hash(hashed_document(publication))
    assert (entitlement[0].ends_on - entitlement[0].starts_on).days == 30 - 1
    assert (population[1].ends_on - population[1].starts_on).days == 7 - 1


def test_published_rows_are_masked(main):
    population = _publications(main, "population")[-1]
    text = str(population.rows)
    for member in Member.objects.filter(project=main)[:50]:
        assert member.id_number not in text
    assert population.row_count == len(population.rows) > 0


def test_objections_were_filed_and_answered_by_the_demo_reviewer_and_leader(main):
    objections = Objection.objects.filter(publication__project=main)
    answered = objections.filter(status=ObjectionStatus.ANSWERED)
    assert objections.count() == 5
    assert answered.count() == 3
    assert objections.filter(status=ObjectionStatus.OPEN).count() == 2
    assert {o.answered_by.username for o in answered} == {"leader", "reviewer"}
    assert all(o.answer for o in answered)


def test_the_upheld_objection_was_corrected_in_version_2_of_the_population_roster(main):
    (upheld,) = Objection.objects.filter(publication__project=main, upheld=True)
    first, second = _publications(main, "population")
    assert upheld.publication == first
    assert second.previous == first
    household = Household.objects.get(project=main, code=upheld.household_code)
    # Sent back, re-reviewed (the contested member passed with a written reason), approved.
    assert household.status == HouseholdStatus.APPROVED
    assert household.approved_at < second.published_at
    corrected = household.members.get(review_reason__startswith="公示异议复核")
    assert corrected.review_status == ReviewStatus.PASSED
    assert second.row_count == first.row_count + 1
    rows_of = [row for row in second.rows if row[0] == household.code]
    assert len(rows_of) == len([row for row in first.rows if row[0] == household.code]) + 1


def test_the_earlier_project_s_rosters_are_closed(demo_database, db):
    earlier = Project.objects.get(code="YH2011")
    statuses = Publication.objects.filter(project=earlier).values_list("kind", "status")
    assert sorted(statuses) == [
        ("entitlement", PublicationStatus.CLOSED),
        ("population", PublicationStatus.CLOSED),
    ]


def test_publicity_notices_were_started_for_a_villager_group(main):
    (job,) = RenderJob.objects.filter(project=main, kind=RenderJob.Kind.NOTICES)
    assert job.notice_type == "publicity"
    assert job.created_by.username == "clerk"
    # Rendered by Celery after commit; this module's transaction never commits.
    assert [part.status for part in job.parts.all()] == [RenderStatus.QUEUED]


def test_the_command_reports_the_publicity_stage(demo_database):
    assert "YH2013 publicity" in demo_database
    assert "objections 5: answered 3 (upheld 1), open 2" in demo_database


def test_the_overview_counts_the_published_households(main):
    totals = project_overview(main).totals
    assert totals.published == totals.approved > 0
    assert totals.objections_open == 2


def test_the_open_objections_can_be_answered(main):
    objection = Objection.objects.filter(
        publication__project=main, status=ObjectionStatus.OPEN
    ).first()
    reviewer = get_user_model().objects.get(username="reviewer")
    publicity_objections.objection_answer(
        actor=reviewer, objection=objection, answer="已核实。", upheld=False
    )
    objection.refresh_from_db()
    assert objection.status == ObjectionStatus.ANSWERED
