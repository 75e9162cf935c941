"""seed_demo's publicity stage as part of the command: the same seed gives the same
publications and objections, and a failure in it undoes the whole seeding."""

from __future__ import annotations

import pytest
from django.db import transaction

from households.models import Household, Project
from publicity.models import Objection, Publication
from publicity.services import objections as publicity_objections
from tests.households.demo_seeding import demo_settings, seed


@pytest.fixture
def media(settings, tmp_path):
    media = tmp_path / "media"
    for name, value in demo_settings(media).items():
        setattr(settings, name, value)
    return media


def _publicity() -> tuple[list, list]:
    publications = list(
        Publication.objects.order_by("project__code", "kind", "version").values_list(
            "kind", "version", "status", "content_hash"
        )
    )
    objections = list(
        Objection.objects.order_by("publication__kind", "household_code", "text").values_list(
            "publication__kind", "household_code", "status", "upheld", "text", "answer"
        )
    )
    return publications, objections


def test_same_seed_gives_the_same_publications_and_objections(db, media):
    with transaction.atomic():  # published snapshots can never be deleted: roll back instead
        seed()
        first = _publicity()
        transaction.set_rollback(True)
    seed()
    assert _publicity() == first
    assert len(first[0]) == 7 and len(first[1]) == 5


def test_a_failure_in_the_publicity_stage_leaves_no_rows_and_no_files(db, media, monkeypatch):
    def fail(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(publicity_objections, "objection_answer", fail)
    with pytest.raises(RuntimeError):
        seed()
    assert not Project.objects.exists()
    assert not Household.objects.exists()
    assert not Publication.objects.exists()
    assert not [path for path in media.rglob("*") if path.is_file()]
