"""Registry fixtures other test directories use too (a pytest plugin registered in
tests/conftest.py): for the roster import tests, a project with known community and group
codes, and a household registered on screen with cells a spreadsheet would run as
formulas; `nothing_saved(project)`, what a refused import leaves."""

from __future__ import annotations

import pytest

from households.models import Household, Member
from households.services import registration
from tests.households.factories import (
    CommunityFactory,
    ProjectFactory,
    VillagerGroupFactory,
    household_data,
    member_data,
)


@pytest.fixture
def roster_project(db):
    """Project NGH2013 with communities NGH (groups NGH-1, NGH-2) and XC (group XC-1)."""
    project = ProjectFactory(code="NGH2013")
    ngh = CommunityFactory(project=project, code="NGH", name="南宫河村")
    xc = CommunityFactory(project=project, code="XC", name="西村")
    VillagerGroupFactory(community=ngh, code="NGH-1", name="一组")
    VillagerGroupFactory(community=ngh, code="NGH-2", name="二组")
    VillagerGroupFactory(community=xc, code="XC-1", name="西一组")
    return project


@pytest.fixture
def registered(clerk, roster_project):
    """Household H900, registered on screen in group NGH-1 of the roster project."""
    group = roster_project.groups.get(code="NGH-1")
    return registration.household_register(
        actor=clerk,
        project=roster_project,
        community=group.community,
        group=group,
        household=household_data(code="H900", address="=1+2", agreement_number="-2+3"),
        members=[member_data(name="+SUM(A1)"), member_data("spouse", name="@cmd", sex="F")],
    )


def nothing_saved(project) -> bool:
    """No household or member of `project`, not even in the history."""
    return (
        not Household.objects.filter(project=project).exists()
        and not Member.objects.filter(project=project).exists()
        and not Household.history.filter(project=project).exists()
        and not Member.history.filter(project=project).exists()
    )
