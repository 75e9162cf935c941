"""`manage.py seed_demo` as a command: idempotent with --if-empty, deterministic per seed,
all-or-nothing, and only for local demos. What it builds is in test_seed_demo.py."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from households import demo, demo_plan
from households.models import Document, Household, Member, Project
from lottery.demo import hall_users
from settlement.demo import settlement_users
from tests.households.demo_seeding import HOUSEHOLDS, SEED, demo_settings, seed


@pytest.fixture
def media(settings, tmp_path):
    media = tmp_path / "media"
    for name, value in demo_settings(media).items():
        setattr(settings, name, value)
    return media


def roster() -> list[tuple[str, list[str]]]:
    return [
        (household.code, [m.name for m in household.members.order_by("id")])
        for household in Household.objects.filter(project__code="YH2013").order_by("code")
    ]


def test_if_empty_does_nothing_the_second_time(db, media):
    seed("--if-empty")
    before = (Household.objects.count(), Member.objects.count(), Document.objects.count())
    output = seed("--if-empty")
    assert "nothing to do" in output
    assert (Household.objects.count(), Member.objects.count(), Document.objects.count()) == before
    assert Project.objects.count() == 2


def test_seeding_an_existing_project_without_if_empty_fails_clearly(db, media):
    seed()
    with pytest.raises(CommandError, match="already exist"):
        seed()


def test_same_seed_gives_the_same_codes_and_names(db, media):
    # The first run is rolled back rather than deleted: published publicity (seed_demo's
    # last stage) can never be deleted.
    with transaction.atomic():
        seed()
        first = roster()
        transaction.set_rollback(True)
    assert len(first) == HOUSEHOLDS
    assert not Project.objects.exists()
    seed()
    assert roster() == first


def test_a_different_seed_gives_different_people():
    plan_a = demo_plan.plan_demo(households=HOUSEHOLDS, seed=SEED)
    plan_b = demo_plan.plan_demo(households=HOUSEHOLDS, seed=SEED + 1)
    names = [[p.name for p in h.members] for h in plan_a.main.households]
    assert names != [[p.name for p in h.members] for h in plan_b.main.households]


def test_refused_when_debug_is_off(db, media, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="local demos only"):
        seed()
    assert not Project.objects.exists()


def test_a_seed_that_fails_half_way_leaves_no_rows_and_no_files(db, media, monkeypatch):
    approvals = []
    real_approve = demo.review.household_approve

    def approve_then_fail(**kwargs):
        approvals.append(kwargs["household"].code)
        if len(approvals) == 5:
            raise RuntimeError("the database went away")
        return real_approve(**kwargs)

    monkeypatch.setattr(demo.review, "household_approve", approve_then_fail)
    with pytest.raises(RuntimeError):
        seed()
    assert not Project.objects.exists()
    assert not Household.objects.exists()
    assert not [path for path in media.rglob("*") if path.is_file()]


def test_each_stage_names_the_demo_users_that_are_not_ready(db, media):
    call_command("create_demo_users", stdout=io.StringIO())
    users = get_user_model().objects
    users.filter(username="notary").delete()
    operator = users.get(username="operator")
    operator.groups.clear()
    operator.user_permissions.clear()
    users.filter(username="finance").update(is_active=False)

    with pytest.raises(demo.DemoUsersMissing) as hall:
        hall_users({})
    assert "operator lacks lottery.operate_session" in str(hall.value)
    assert "notary does not exist" in str(hall.value)
    with pytest.raises(demo.DemoUsersMissing) as money:
        settlement_users({})
    assert "finance lacks settlement.compute_statement" in str(money.value)
    assert set(demo.demo_actors()) == set(demo.DEMO_ACTORS)  # the registry's are ready
    users.filter(username="finance").update(is_active=True)
    ready = settlement_users({"kept": None})
    assert {"kept", "finance", "leader2", "reviewer2"} <= set(ready)  # the approvers come too
