"""Excel import of households with members: all rows or none, every problem by row and
column, the same rules as registering a household on screen."""

from __future__ import annotations

import datetime as dt

import pytest

from households.import_files import read_roster
from households.models import Household, Member
from households.qualification import HUKOU_AFTER_CUTOFF
from households.resources import roster_import
from tests.factories import CommunityFactory, ProjectFactory, VillagerGroupFactory
from tests.households.xlsx_helpers import household_rows, roster_xlsx


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


def import_file(data: bytes, *, actor, project, dry_run=False, kind="xlsx"):
    return roster_import(
        actor=actor, project=project, dataset=read_roster(data, kind), dry_run=dry_run
    )


def test_clerk_imports_households_with_members_and_verdicts(clerk, roster_project):
    late = household_rows("H002", group="NGH-2")
    late[2]["hukou_moved_in"] = dt.date(2013, 7, 1)  # a day after the cut-off
    data = roster_xlsx(household_rows("H001") + late)

    report = import_file(data, actor=clerk, project=roster_project)

    assert report.ok, report.problems
    assert (report.households, report.members) == (2, 6)
    h2 = Household.objects.get(project=roster_project, code="H002")
    assert h2.group.code == "NGH-2"
    assert h2.registered_by == clerk
    assert [m.name for m in h2.members.order_by("pk")] == ["王建国", "李秀英", "王小明"]
    child = h2.members.get(name="王小明")
    assert not child.verdict_qualified
    assert child.verdict_failures == f",{HUKOU_AFTER_CUTOFF},"
    assert child.entered_by == clerk
    assert Member.objects.filter(project=roster_project, verdict_qualified=True).count() == 5
