"""Publishing a roster: masked, hashed, frozen; corrections as new versions."""

import datetime as dt

import pytest
from django.db import DatabaseError, transaction

from publicity.models import Publication, PublicationRow, PublicationStatus
from publicity.services import publications
from publicity.snapshot import content_hash, hashed_document
from resettlement.errors import NotAllowed, RuleViolation
from tests.publicity.factories import drafter


def test_leader_publishes_the_population_roster_with_masked_ids_and_names(
    published_population, approved_household
):
    publication = published_population
    assert publication.status == PublicationStatus.PUBLISHED
    assert publication.row_count == 2
    text = str(publication.rows)
    for member in approved_household.members.all():
        assert member.id_number not in text
        assert member.name not in text
    assert sorted(row[3] for row in publication.rows) == ["李**", "王**"]
    for row in publication.rows:
        assert row[5].count("*") == 13  # first 2 and last 3 of 18 characters


def test_the_hash_is_sha256_of_the_canonical_snapshot(published_population):
    assert published_population.content_hash == content_hash(hashed_document(published_population))
    assert len(published_population.content_hash) == 64


def test_a_compensation_plan_is_publicised_for_thirty_days(approved_household, leader):
    draft = publications.publication_create(
        actor=drafter(),
        project=approved_household.project,
        kind="entitlement",
        starts_on=dt.date(2026, 1, 1),
    )
    assert (draft.starts_on, draft.ends_on) == (dt.date(2026, 1, 1), dt.date(2026, 1, 30))


def test_a_clerk_cannot_publish(approved_household, leader, clerk):
    draft = publications.publication_create(
        actor=drafter(), project=approved_household.project, kind="population"
    )
    with pytest.raises(NotAllowed):
        publications.publication_publish(actor=clerk, publication=draft)


def test_a_published_snapshot_cannot_be_published_again(published_population, leader):
    with pytest.raises(RuleViolation) as error:
        publications.publication_publish(actor=leader, publication=published_population)
    assert error.value.code == "not_draft"


@pytest.mark.parametrize(
    "change",
    [
        lambda p: Publication.objects.filter(pk=p.pk).update(rows=[["篡改"]]),
        lambda p: Publication.objects.filter(pk=p.pk).update(content_hash="0" * 64),
        lambda p: Publication.objects.filter(pk=p.pk).update(title="改过的标题"),
        lambda p: Publication.objects.filter(pk=p.pk).update(status="draft"),
        lambda p: Publication.objects.filter(pk=p.pk).delete(),
    ],
    ids=["rows", "hash", "title", "back-to-draft", "delete"],
)
def test_the_database_refuses_any_change_to_a_published_snapshot(published_population, change):
    before = Publication.objects.get(pk=published_population.pk)
    with pytest.raises(DatabaseError), transaction.atomic():
        change(published_population)
    after = Publication.objects.get(pk=published_population.pk)
    assert (after.rows, after.content_hash, after.title, after.status) == (
        before.rows,
        before.content_hash,
        before.title,
        before.status,
    )


@pytest.mark.parametrize(
    "change",
    [
        lambda p: PublicationRow.objects.filter(publication=p).update(cells=[["篡改"]]),
        lambda p: PublicationRow.objects.filter(publication=p).update(text="篡改", grams=[]),
        lambda p: PublicationRow.objects.filter(publication=p, number=0).delete(),
    ],
    ids=["cells", "search-text", "delete"],
)
def test_the_database_refuses_any_change_to_a_published_row(published_population, change):
    """The public page and its search read these rows, not the snapshot: they are as frozen."""
    before = list(
        PublicationRow.objects.filter(publication=published_population).values_list(
            "number", "cells", "text", "grams"
        )
    )
    assert len(before) == published_population.row_count == 2
    with pytest.raises(DatabaseError), transaction.atomic():
        change(published_population)
    after = list(
        PublicationRow.objects.filter(publication=published_population).values_list(
            "number", "cells", "text", "grams"
        )
    )
    assert after == before


def test_saving_a_changed_model_instance_is_refused_too(published_population):
    published_population.rows = []
    with pytest.raises(DatabaseError), transaction.atomic():
        published_population.save()


def test_withdrawing_needs_a_public_reason(published_population, leader):
    with pytest.raises(RuleViolation):
        publications.publication_withdraw(actor=leader, publication=published_population, reason="")
    withdrawn = publications.publication_withdraw(
        actor=leader, publication=published_population, reason="名册有误,更正后重新公示"
    )
    assert withdrawn.status == PublicationStatus.WITHDRAWN
    assert withdrawn.rows == published_population.rows


def test_a_correction_is_a_new_version_and_the_old_one_stays(published_population, leader):
    draft = publications.publication_new_version(actor=drafter(), publication=published_population)
    assert draft.version == 2
    new = publications.publication_publish(actor=leader, publication=draft)
    old = Publication.objects.get(pk=published_population.pk)
    assert old.status == PublicationStatus.CLOSED
    assert old.rows == published_population.rows
    assert new.previous_id == old.pk
    assert new.content_hash != old.content_hash  # the version number is part of it


def test_expired_publications_close(published_population):
    later = published_population.ends_on + dt.timedelta(days=1)
    assert publications.publications_close_expired(today=later) == 1
    assert Publication.objects.get(pk=published_population.pk).status == PublicationStatus.CLOSED


def test_a_leader_working_in_english_still_publishes_the_chinese_record(approved_household, leader):
    from django.utils import translation

    with translation.override("en"):
        draft = publications.publication_create(
            actor=drafter(), project=approved_household.project, kind="population"
        )
        published = publications.publication_publish(actor=leader, publication=draft)
    assert "安置人口公示" in published.title
    assert "身份证号" in published.columns
    assert {row[4] for row in published.rows} <= {"户主", "配偶"}
