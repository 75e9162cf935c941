"""List pages make the same number of queries for 100 households as for 2,000."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from households.models import Household, Member, ReviewStatus
from households.services.verdicts import apply_verdict
from tests.households.factories import id_number


def _bulk_households(group, clerk, count: int, start: int) -> None:
    """Rows made directly in bulk: this test is about reading, not registering."""
    households = Household.objects.bulk_create(
        Household(
            project=group.project,
            community=group.community,
            group=group,
            code=f"Q{start + i:06d}",
            registered_by=clerk,
        )
        for i in range(count)
    )
    members = []
    for household in households:
        member = Member(
            project=group.project,
            household=household,
            name="测试户主",
            id_number=id_number(dt.date(1960, 1, 1) + dt.timedelta(days=len(members)), "M"),
            sex="M",
            birth_date=dt.date(1960, 1, 1) + dt.timedelta(days=len(members)),
            relation="head",
            hukou_nature="agricultural",
            entered_by=clerk,
            review_status=ReviewStatus.PENDING,
        )
        apply_verdict(member, group.project, ())
        members.append(member)
    Member.objects.bulk_create(members)


def _queries(client, url: str, params: dict) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize(
    ("url_name", "params"),
    [
        ("staff:household-list", {}),
        ("staff:household-list", {"q": "测试"}),
        ("admin:households_household_changelist", {}),
        ("admin:households_member_changelist", {"review_status__exact": "pending"}),
    ],
    ids=["staff-list", "staff-search", "admin-households", "admin-review-queue"],
)
def test_list_pages_query_count_does_not_grow_with_households(
    client, group, clerk, reviewer, leader, url_name, params
):
    user = {"admin:households_member_changelist": reviewer}.get(url_name, leader)
    client.force_login(user)
    url = reverse(url_name)
    _bulk_households(group, clerk, 100, 0)
    small = _queries(client, url, params)
    _bulk_households(group, clerk, 1_900, 100)
    large = _queries(client, url, params)
    assert Household.objects.count() == 2_000
    assert large == small
