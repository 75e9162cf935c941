"""Publicity fixtures other test directories use too (a pytest plugin registered in
tests/conftest.py).

- `two_communities`: two villager groups of the default project, each in its own community.
- `roster`: the population roster of two approved households, one per community, registered,
  reviewed, approved and published through the services.
"""

from __future__ import annotations

import datetime as dt

import pytest

from publicity.services import publications
from tests.households.factories import VillagerGroupFactory, approve, member_data
from tests.publicity.factories import drafter


@pytest.fixture
def two_communities(project):
    """Two villager groups of the same project, each in its own community."""
    return [
        VillagerGroupFactory(community__project=project, community__name=name)
        for name in ("东湖村", "西山社区")
    ]


@pytest.fixture
def roster(two_communities, register_in, reviewer, leader):
    """The population roster of two approved households, one per community, published."""
    east, west = two_communities
    households = [
        register_in(
            east,
            members=[
                member_data(name="王建国"),
                member_data("spouse", name="李秀英", sex="F", birth_date=dt.date(1972, 4, 5)),
            ],
            phone="13912345678",
        ),
        register_in(west, members=[member_data(name="欧阳明月", sex="F")], phone="13698765432"),
    ]
    for household in households:
        approve(household, reviewer=reviewer, leader=leader)
    draft = publications.publication_create(
        actor=drafter(),
        project=east.project,
        kind="population",
        starts_on=dt.date(2026, 3, 2),
    )
    return publications.publication_publish(actor=leader, publication=draft)
