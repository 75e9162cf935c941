"""Helpers for the registry tests: take a household through review and approval, and
register into any villager group (so a test can use two projects)."""

from __future__ import annotations

import pytest

from households.models import Household, ReviewStatus
from households.services import review


@pytest.fixture
def pass_all(reviewer):
    """The reviewer passes every member (with a reason where that overrides the verdict)."""

    def _pass_all(household: Household, *, actor=None) -> Household:
        for member in household.members.all():
            review.member_review(
                actor=actor or reviewer,
                member=member,
                decision=ReviewStatus.PASSED,
                reason="" if member.verdict_qualified else "经调查核实,予以通过",
            )
        household.refresh_from_db()
        return household

    return _pass_all


@pytest.fixture
def approve(pass_all, leader):
    """Pass every member, then the leader approves the household."""

    def _approve(household: Household) -> Household:
        pass_all(household)
        review.household_approve(actor=leader, household=household)
        household.refresh_from_db()
        return household

    return _approve
