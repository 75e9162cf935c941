"""Helpers for the registry tests: take a household through review and approval, and
register into any villager group (so a test can use two projects)."""

from __future__ import annotations

import pytest

from households.models import Household
from tests.households import factories


@pytest.fixture
def pass_all(reviewer):
    """The reviewer passes every member (with a reason where that overrides the verdict)."""

    def _pass_all(household: Household, *, actor=None) -> Household:
        return factories.pass_all(household, reviewer=actor or reviewer)

    return _pass_all


@pytest.fixture
def approve(reviewer, leader):
    """Pass every member, then the leader approves the household."""

    def _approve(household: Household) -> Household:
        factories.approve(household, reviewer=reviewer, leader=leader)
        household.refresh_from_db()
        return household

    return _approve
