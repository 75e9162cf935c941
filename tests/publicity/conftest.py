"""Publicity fixtures: an approved household to publish, a leader's publication, and for
the public site's tests fresh rate limits and a private media folder of their own."""

import datetime as dt

import pytest
from django.core.cache import cache

from publicity import page_cache
from publicity.services import publications
from tests.households.factories import approve, member_data
from tests.publicity.factories import drafter


@pytest.fixture
def approved_household(register, reviewer, leader):
    household = register(
        members=[
            member_data(name="王建国"),
            member_data("spouse", name="李秀英", sex="F", birth_date=dt.date(1972, 4, 5)),
        ]
    )
    return approve(household, reviewer=reviewer, leader=leader)


@pytest.fixture
def published_population(approved_household, leader):
    draft = publications.publication_create(
        actor=drafter(), project=approved_household.project, kind="population"
    )
    return publications.publication_publish(actor=leader, publication=draft)


@pytest.fixture
def fresh_limits_and_private_media(private_media):
    """Rate-limit counters live in the cache: every test starts with none used. Uploads go
    to the test's own folder (`private_media`). No public page is kept from another test."""
    cache.clear()
    page_cache.clear_local()
    yield
    cache.clear()
