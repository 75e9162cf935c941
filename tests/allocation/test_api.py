"""The allocation API as a client program would use it: reading the stock and demands,
recording a household's choice, locking choices, and who may do what."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from allocation.models import Demand, DemandStatus
from allocation.services import demands

ESTATES = "/api/allocation/estates/"
APARTMENTS = "/api/allocation/apartments/"
DEMANDS = "/api/allocation/demands/"


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_estates_with_their_floor_rule(clerk, estate):
    body = api(clerk).get(ESTATES).json()
    (row,) = body["results"]
    assert row["code"] == "E1" and row["orientation"] == "自东向西"
    assert row["floor_tiers"][0] == {"tier": "C", "floor_from": 1, "floor_to": 2}


def test_apartments_filter_by_estate_status_and_type(clerk, apartment, estate):
    client = api(clerk)
    (row,) = client.get(APARTMENTS, {"estate": estate.pk, "status": "available"}).json()["results"]
    assert row["code"] == "1-1-501" and row["tier"] == "A" and row["type"] == "T90"
    assert row["area"] == "91.20" and row["building"] == "1" and row["stair"] == "1"
    assert client.get(APARTMENTS, {"type": "T60"}).json()["results"] == []
    assert client.get(APARTMENTS, {"status": "withheld"}).json()["results"] == []
    bad = client.get(APARTMENTS, {"status": "sold"})
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "status"


def test_a_clerk_records_a_choice(clerk, types, household):
    response = api(clerk).post(
        DEMANDS, {"household": household.pk, "items": {"T90": 1, "T60": 1}}, format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["items"] == {"T60": 1, "T90": 1}
    assert body["area_fit"] == "within" and body["chosen_area"] == "150.00"
    assert body["status"] == "draft" and body["chosen_by"]["username"] == clerk.username
    listed = api(clerk).get(DEMANDS, {"household": household.pk}).json()["results"]
    assert listed[0]["household_code"] == household.code


@pytest.mark.parametrize(
    ("items", "code", "field"),
    [
        ({"T120": 1, "T60": 1}, "over_cap", "items"),
        ({"T75": 1}, "invalid_input", "items.T75"),
        ({"T90": 0}, "invalid_input", "items.T90"),
        ({}, "invalid_input", "items"),
        ({"T90": "x"}, "invalid_input", "items.T90"),
    ],
    ids=["over-cap", "unknown-type", "zero", "nothing", "not-a-number"],
)
def test_bad_choices_are_400_naming_the_field(clerk, types, household, items, code, field):
    response = api(clerk).post(DEMANDS, {"household": household.pk, "items": items}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == code
    assert body["errors"][0]["field"] == field
    assert not Demand.objects.exists()


def test_a_leader_may_not_record_a_choice_but_locks_them(
    clerk, leader, all_hats, types, household, approve_household
):
    refused = api(leader).post(
        DEMANDS, {"household": household.pk, "items": {"T90": 1}}, format="json"
    )
    assert refused.status_code == 403
    api(clerk).post(DEMANDS, {"household": household.pk, "items": {"T90": 1}}, format="json")
    second = approve_household(2)
    api(all_hats).post(DEMANDS, {"household": second.pk, "items": {"T90": 1}}, format="json")
    four_eyes = api(all_hats).post(
        DEMANDS + "lock/", {"project": household.project.pk}, format="json"
    )
    assert four_eyes.status_code == 403 and four_eyes.json()["code"] == "four_eyes"
    locked = api(leader).post(
        DEMANDS + "lock/",
        {"project": household.project.pk, "community": household.community.pk},
        format="json",
    )
    assert locked.status_code == 200 and locked.json() == {"locked": 2}
    again = api(clerk).post(
        DEMANDS, {"household": household.pk, "items": {"T60": 1}}, format="json"
    )
    assert again.status_code == 400 and again.json()["code"] == "demand_locked"
    assert Demand.objects.get(household=household).status == DemandStatus.LOCKED


def test_a_clerk_cannot_lock(clerk, types, household):
    response = api(clerk).post(DEMANDS + "lock/", {"project": household.project.pk}, format="json")
    assert response.status_code == 403


def test_an_outsider_reads_nothing(outsider, estate):
    client = api(outsider)
    for url in (ESTATES, APARTMENTS, DEMANDS):
        assert client.get(url).status_code == 403


def test_anonymous_is_refused(estate):
    assert APIClient().get(ESTATES).status_code in (401, 403)


def test_the_demand_list_makes_a_fixed_number_of_queries(
    clerk, types, household, approve_household
):
    client = api(clerk)
    demands.demand_choose(actor=clerk, household=household, items={"T90": 1, "T60": 1})
    with CaptureQueriesContext(connection) as one:
        client.get(DEMANDS)
    for size in (2, 3, 4):
        demands.demand_choose(actor=clerk, household=approve_household(size), items={"T90": 1})
    with CaptureQueriesContext(connection) as four:
        body = client.get(DEMANDS).json()
    assert body["count"] == 4
    assert len(four) == len(one)


def test_the_openapi_schema_describes_the_allocation_api_without_warnings(tmp_path):
    from django.core.management import call_command

    target = tmp_path / "schema.yml"
    call_command("spectacular", "--fail-on-warn", "--file", str(target))
    schema = target.read_text(encoding="utf-8")
    assert "/api/allocation/demands/lock/" in schema and "ApartmentStatus:" in schema
