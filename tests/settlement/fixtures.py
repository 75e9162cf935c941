"""Settlement fixtures other test directories use too (a pytest plugin registered in
tests/conftest.py).

- `money`: a project with villager groups G1 (one household owes, two are owed) and G2 (one
  household owed), each household with a draft statement written directly; the people who
  approve and pay them are `chain` (tests/people.py).
- `walked`: household W001 taken through every stage by the services
  (`tests.settlement.walk.walk_every_stage`; the timeline and the resident's page read it).
"""

from __future__ import annotations

import pytest

from households.models import Community, VillagerGroup
from tests.households.factories import ProjectFactory
from tests.people import make_user
from tests.settlement.factories import Money, make_household, make_statement
from tests.settlement.walk import walk_every_stage


@pytest.fixture
def money(roles) -> Money:
    clerk = make_user("m_clerk", "clerk", first_name="李登记")
    project = ProjectFactory()
    community = Community.objects.create(project=project, code="C1", name="南宫河村")
    group = VillagerGroup.objects.create(
        project=project, community=community, code="G1", name="第一组"
    )
    other = VillagerGroup.objects.create(
        project=project, community=community, code="G2", name="第二组"
    )
    owes = make_household(group, actor=clerk, code="H001")
    owed = make_household(group, actor=clerk, code="H002")
    owed_too = make_household(group, actor=clerk, code="H003")
    elsewhere = make_household(other, actor=clerk, code="H101")
    make_statement(owes, "-20000.00")
    make_statement(owed, "30000.00")
    make_statement(owed_too, "15000.00")
    make_statement(elsewhere, "8000.00")
    return Money(project, group, other, owes, owed, owed_too, elsewhere)


@pytest.fixture
def walked(clerk, reviewer, leader, leader2, operator, notary, chain, finance_wu):
    """W001 through every stage; a second leader publishes what the first drafts."""
    return walk_every_stage(
        clerk=clerk,
        reviewer=reviewer,
        leader=leader,
        publisher=leader2,
        operator=operator,
        notary=notary,
        chain=chain,
        finance=finance_wu,
    )
