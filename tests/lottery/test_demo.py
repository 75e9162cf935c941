"""seed_demo's housing and lottery stage: the estate and its apartments, a locked demand for
every approved household (entered and locked by different users), a signed rehearsal and a
signed binding session whose bundle verifies, in this process and with
docs/verify_lottery.py alone."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings
from django.db import transaction
from django.test import override_settings

from allocation.models import Apartment, ApartmentStatus, AreaFit, Demand, DemandStatus
from households.models import Household, HouseholdStatus
from lottery.models import Allocation, CheckIn, LotterySession, SessionStatus
from lottery.verification import bundle_of, verify_bundle
from tests.households.demo_seeding import demo_settings, seed


@pytest.fixture(scope="module")
def demo_output(django_db_setup, django_db_blocker, tmp_path_factory):
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
def session(demo_output, db) -> LotterySession:
    return LotterySession.objects.get(project__code="YH2013", rehearsal=False)


def test_every_approved_household_has_a_locked_demand_entered_and_locked_by_two_people(
    demo_output, db
):
    approved = Household.objects.filter(project__code="YH2013", status=HouseholdStatus.APPROVED)
    demands = Demand.objects.filter(household__in=approved)
    assert demands.count() == approved.count() > 0
    assert not Demand.objects.exclude(household__in=approved).exists()
    assert all(d.status == DemandStatus.LOCKED for d in demands)
    assert all(d.chosen_by_id != d.locked_by_id for d in demands)
    fits = Counter(demands.values_list("area_fit", flat=True))
    assert fits[AreaFit.OVER] and fits[AreaFit.UNDER]


def test_the_real_session_is_signed_and_its_bundle_verifies(session, tmp_path):
    assert session.status == SessionStatus.SIGNED and session.bundle
    assert verify_bundle(session.bundle) == []
    assert bundle_of(session) == session.bundle
    script = Path(settings.BASE_DIR, "docs", "verify_lottery.py")
    if script.exists():
        path = tmp_path / "bundle.json"
        path.write_text(json.dumps(session.bundle, ensure_ascii=False), encoding="utf-8")
        result = subprocess.run(  # noqa: S603
            [sys.executable, str(script), str(path)], capture_output=True, text=True
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert "VERIFIED" in result.stdout


def test_most_households_checked_in_the_rest_drawn_by_proxy(session):
    participants = len(session.participants)
    check_ins = CheckIn.objects.filter(session=session).count()
    assert 0 < check_ins < participants
    proxies = set(
        Allocation.objects.filter(session=session, proxy=True).values_list(
            "household__code", flat=True
        )
    )
    checked = set(CheckIn.objects.filter(session=session).values_list("household__code", flat=True))
    assert proxies and not proxies & checked
    assert len(proxies) + len(checked) == participants
    assert session.signed_by.username == "notary" and session.created_by.username == "leader"


def test_every_demanded_apartment_is_allocated_and_some_are_spare(session):
    demanded = sum(sum(p["demand"].values()) for p in session.participants)
    binding = Allocation.objects.filter(session=session, binding=True)
    assert binding.count() == demanded
    assert Apartment.objects.filter(status=ApartmentStatus.ALLOCATED).count() == demanded
    assert Apartment.objects.filter(status=ApartmentStatus.AVAILABLE).exists()
    tiers = set(Apartment.objects.values_list("tier", flat=True))
    assert tiers == {"A", "B", "C"}


def test_a_rehearsal_ran_first_and_binds_nothing(session):
    rehearsal = LotterySession.objects.get(project__code="YH2013", rehearsal=True)
    assert rehearsal.status == SessionStatus.SIGNED
    assert rehearsal.closed_at < session.created_at
    assert not Allocation.objects.filter(session=rehearsal, binding=True).exists()
    assert Allocation.objects.filter(session=rehearsal).exists()


def test_the_summary_names_the_estate_and_the_sessions(demo_output):
    assert "YH2013 housing and lottery" in demo_output
    assert "estate E1:" in demo_output
    assert "session YH2013-01: signed" in demo_output
    assert "rehearsal YH2013-R1: signed" in demo_output
