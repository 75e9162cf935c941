"""The staff overview: per community, how many households reached each stage, and the open
objections; counted by the database in a fixed number of queries."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from households.models import Household, HouseholdStatus
from publicity.models import Objection, Publication, PublicationStatus
from publicity.selectors.overview import project_overview
from publicity.services import objections, publications
from tests.households.factories import (
    CommunityFactory,
    ProjectFactory,
    VillagerGroupFactory,
    approve,
    member_data,
    pass_all,
)
from tests.publicity.factories import drafter

DAY_ONE = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def _counts(overview, code: str) -> tuple[int, ...]:
    (counts,) = [c for c in overview.communities if c.code == code]
    return (counts.registered, counts.reviewed, counts.approved, counts.published)


def _objections(overview, code: str) -> int:
    (counts,) = [c for c in overview.communities if c.code == code]
    return counts.objections_open


@pytest.fixture
def places(db):
    project = ProjectFactory()
    a = CommunityFactory(project=project, code="A", name="南宫河社区")
    b = CommunityFactory(project=project, code="B", name="上湾桥社区")
    CommunityFactory(project=project, code="C", name="沾桥社区")  # nobody registered yet
    return {
        "A": VillagerGroupFactory(project=project, community=a),
        "B": VillagerGroupFactory(project=project, community=b),
    }


@pytest.fixture
def stages(places, register_in, reviewer, leader):
    """A: one household only registered, one reviewed, one approved before the community's
    population roster was published and one approved after it; B: one approved household.
    A registration-results roster for the whole project is published too (it does not make
    anyone "published": it lists households at every stage)."""

    def household(place: str, code: str, stage: str):
        h = register_in(places[place], code=code, members=[member_data(name="王建国")])
        if stage == "registered":
            return h
        if stage == "approved":
            return approve(h, reviewer=reviewer, leader=leader)
        return pass_all(h, reviewer=reviewer)

    with time_machine.travel(DAY_ONE, tick=True) as traveller:
        household("A", "A-1", "registered")
        household("A", "A-2", "reviewed")
        household("A", "A-3", "approved")
        household("B", "B-1", "approved")
        traveller.shift(dt.timedelta(hours=1))
        roster = publications.publication_create(
            actor=drafter(),
            project=places["A"].project,
            kind="population",
            community=places["A"].community,
        )
        roster = publications.publication_publish(actor=leader, publication=roster)
        results = publications.publication_create(
            actor=drafter(), project=places["A"].project, kind="registration"
        )
        results = publications.publication_publish(actor=leader, publication=results)
        traveller.shift(dt.timedelta(hours=1))
        household("A", "A-4", "approved")
    return {"roster": roster, "results": results, "project": places["A"].project}


def _file(publication, code: str = "", text: str = "异议") -> Objection:
    return objections.objection_file(
        publication=publication,
        contact_name="王建国",
        contact_phone="13812345678",
        text=text,
        household_code=code,
        today=publication.starts_on,
    )


def test_each_community_counts_households_at_every_stage(stages):
    overview = project_overview(stages["project"])
    assert [c.code for c in overview.communities] == ["A", "B", "C"]
    assert _counts(overview, "A") == (4, 3, 2, 1)
    assert _counts(overview, "B") == (1, 1, 1, 0)
    assert _counts(overview, "C") == (0, 0, 0, 0)
    totals = overview.totals
    assert (totals.registered, totals.reviewed, totals.approved, totals.published) == (5, 4, 3, 1)


def test_a_project_wide_entitlement_roster_publishes_every_approved_household_until_withdrawn(
    stages, leader
):
    with time_machine.travel(DAY_ONE + dt.timedelta(hours=3), tick=True):
        plan = publications.publication_create(
            actor=drafter(), project=stages["project"], kind="entitlement"
        )
        plan = publications.publication_publish(actor=leader, publication=plan)
    overview = project_overview(stages["project"])
    assert _counts(overview, "A") == (4, 3, 2, 2)
    assert _counts(overview, "B") == (1, 1, 1, 1)
    publications.publication_withdraw(actor=leader, publication=plan, reason="面积计算有误")
    overview = project_overview(stages["project"])
    assert _counts(overview, "A")[3] == 1 and _counts(overview, "B")[3] == 0


def test_a_household_sent_back_by_an_objection_is_no_longer_published(stages, reviewer):
    objection = _file(stages["roster"], "A-3")
    objections.objection_answer(actor=reviewer, objection=objection, answer="异议成立", upheld=True)
    assert _counts(project_overview(stages["project"]), "A") == (4, 2, 1, 0)


def test_open_objections_count_for_the_household_s_community_else_the_roster_s(stages, reviewer):
    _file(stages["roster"], "A-3")  # A, by household
    _file(stages["roster"])  # A, by the roster's community
    _file(stages["results"], "B-1")  # B, by household, on a project-wide roster
    _file(stages["results"])  # neither: the project as a whole
    answered = _file(stages["roster"], "A-4")
    objections.objection_answer(actor=reviewer, objection=answered, answer="无误", upheld=False)
    overview = project_overview(stages["project"])
    assert _objections(overview, "A") == 2
    assert _objections(overview, "B") == 1
    assert _objections(overview, "C") == 0
    assert overview.unassigned_objections == 1
    assert overview.totals.objections_open == 4


def test_the_overview_page_shows_the_counts_and_a_chart_per_community(
    client, leader, stages, reviewer
):
    _file(stages["roster"], "A-3")
    client.force_login(leader)
    response = client.get(reverse("publicity_staff:overview"))
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('class="stage-bars"') == 3
    assert 'aria-label="已登记 4, 已审核 3, 已审批 2, 已公示 1"' in page
    assert 'data-stage="objections_open"><span class="bad">1</span>' in page
    assert "南宫河社区" in page and "沾桥社区" in page


def test_clerks_see_the_overview_and_outsiders_do_not(client, clerk, outsider, stages):
    client.force_login(clerk)
    assert client.get(reverse("publicity_staff:overview")).status_code == 200
    client.force_login(outsider)
    assert client.get(reverse("publicity_staff:overview")).status_code == 403


def test_the_overview_without_projects_says_so(client, clerk):
    client.force_login(clerk)
    response = client.get(reverse("publicity_staff:overview"))
    assert "还没有项目" in response.content.decode()


# --- query count ---------------------------------------------------------------------------


def _bulk(project, clerk, leader, *, communities: int, households: int, start: int) -> None:
    """Communities and households at every stage made directly in bulk: this test is about
    reading, not registering. Every third household is approved, before the roster."""
    groups = []
    for index in range(start, start + communities):
        community = CommunityFactory(project=project, code=f"Q{index:03d}")
        groups.append(VillagerGroupFactory(project=project, community=community))
    statuses = [HouseholdStatus.REGISTERED, HouseholdStatus.REVIEWED, HouseholdStatus.APPROVED]
    approved_at = timezone.now() - dt.timedelta(days=1)
    rows = []
    for i in range(households):
        status = statuses[i % 3]
        approved = status == HouseholdStatus.APPROVED
        group = groups[i % communities]
        rows.append(
            Household(
                project=project,
                community=group.community,
                group=group,
                code=f"Q{start:03d}-{i:05d}",
                status=status,
                registered_by=clerk,
                approved_by=leader if approved else None,
                approved_at=approved_at if approved else None,
                resettlement_population=1 if approved else None,
                entitlement_area=Decimal("50.00") if approved else None,
            )
        )
    Household.objects.bulk_create(rows)
    publication = Publication.objects.filter(status=PublicationStatus.PUBLISHED).first()
    Objection.objects.bulk_create(
        Objection(
            publication=publication,
            household_code=row.code,
            contact_name="王",
            contact_phone="13812345678",
            text="异议",
        )
        for row in rows[::10]
    )


def test_the_overview_makes_the_same_number_of_queries_for_100_and_1000_households(
    client, project, clerk, leader
):
    roster = publications.publication_create(actor=drafter(), project=project, kind="entitlement")
    publications.publication_publish(actor=leader, publication=roster)
    client.force_login(leader)
    url = reverse("publicity_staff:overview")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url, {"project": project.code})
        assert response.status_code == 200
        return len(captured)

    _bulk(project, clerk, leader, communities=3, households=100, start=0)
    small = queries()
    _bulk(project, clerk, leader, communities=27, households=900, start=3)
    large = queries()
    overview = project_overview(project)
    assert overview.totals.registered == 1_000
    assert overview.totals.published == overview.totals.approved == 33 + 300
    assert overview.totals.objections_open == 10 + 90
    assert len(overview.communities) == 1 + 30  # the fixture's group has a community too
    assert large == small
