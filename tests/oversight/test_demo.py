"""seed_demo's oversight stage: working teams with every household assigned to a cadre, the
return plan, and overdue households in the ledger, so the leader's pages show something."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.test import override_settings

from households.models import Household
from oversight.models import HouseholdAssignment, LedgerEntry, LedgerRun, ReturnPlan, WorkingTeam
from oversight.selectors.dashboard import project_progress
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


def test_every_household_has_a_team_and_a_cadre(demo_output, db):
    households = Household.objects.filter(project__code="YH2013")
    assert WorkingTeam.objects.filter(project__code="YH2013").count() == 3
    assigned = HouseholdAssignment.objects.filter(household__in=households)
    assert assigned.count() == households.count()
    assert not HouseholdAssignment.objects.filter(cadre__isnull=True).exists()
    for assignment in HouseholdAssignment.objects.select_related("team", "cadre"):
        assert assignment.team.members.filter(pk=assignment.cadre_id).exists()
    assert "3 working teams" in demo_output


def test_the_dashboard_shows_progress_past_registration(demo_output, db):
    from households.models import Project

    totals = project_progress(Project.objects.get(code="YH2013")).totals
    assert totals.registered > totals.qualified > 0
    assert totals.drawn > 0 and totals.signed > 0 and totals.handed_over > 0


def test_a_return_plan_and_overdue_households_in_the_ledger(demo_output, db):
    plan = ReturnPlan.objects.get(project__code="YH2013")
    assert [t.share for t in plan.targets.order_by("year")] == [30, 60, 100]
    overdue = LedgerEntry.objects.filter(project__code="YH2013", months_overdue__gt=0)
    assert overdue.count() == 3
    assert all(e.subsidy_late and e.subsidy_owed > 0 for e in overdue)
    assert LedgerRun.objects.count() == 1
    assert "overdue for return" in demo_output
