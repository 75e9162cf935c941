"""Resettlement (audit) fixtures: a household taken through review and approval by the
registry's services, and a population roster published from it."""

from __future__ import annotations

import datetime as dt

import pytest

from households.services import review
from publicity.services import publications
from tests.households.factories import member_data, pass_all
from tests.publicity.factories import drafter


@pytest.fixture
def reviewed(register, reviewer):
    household = register(
        members=[
            member_data(name="王建国"),
            member_data("spouse", name="李秀英", sex="F", birth_date=dt.date(1972, 4, 5)),
        ]
    )
    return pass_all(household, reviewer=reviewer)


@pytest.fixture
def approved(reviewed, leader):
    return review.household_approve(actor=leader, household=reviewed)


@pytest.fixture
def published(approved, leader):
    draft = publications.publication_create(
        actor=drafter(), project=approved.project, kind="population"
    )
    return publications.publication_publish(actor=leader, publication=draft)
