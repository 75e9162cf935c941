"""Ids beyond what the database can hold are refused as bad input (400) or not found (404),
never a server error — what schemathesis found on SQLite (OverflowError)."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.people import make_user

HUGE = "20331634785388047892480"  # > 2**63


@pytest.fixture
def client_with_every_role(roles):
    client = APIClient()
    client.force_login(make_user("busy", "clerk", "reviewer", "leader", "operator", "finance"))
    return client


@pytest.mark.parametrize(
    "url",
    [
        f"/api/communities/?project={HUGE}",
        f"/api/villager-groups/?community={HUGE}",
        f"/api/households/?group={HUGE}",
        f"/api/members/?household={HUGE}",
        f"/api/documents/?member={HUGE}",
        f"/api/allocation/apartments/?estate={HUGE}",
        f"/api/allocation/demands/?household={HUGE}",
        f"/api/settlement/statements/?household={HUGE}",
        f"/api/settlement/groups/?project={HUGE}",
        f"/api/oversight/ledger/?project={HUGE}",
        f"/api/oversight/ledger/periods/?project={HUGE}",
        f"/api/oversight/dashboard/?project={HUGE}",
    ],
)
def test_filter_by_an_id_out_of_range_is_refused_as_invalid_input(client_with_every_role, url):
    response = client_with_every_role.get(url)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_input"
    parameter = url.split("?")[1].split("=")[0]
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [
        (parameter, "max_value")
    ]


@pytest.mark.parametrize(
    "url",
    [
        f"/api/communities/{HUGE}/",
        f"/api/households/{HUGE}/",
        f"/api/members/{HUGE}/",
        f"/api/settlement/statements/{HUGE}/",
        f"/api/settlement/groups/{HUGE}/",
        f"/api/oversight/ledger/{HUGE}/months/",
    ],
)
def test_object_with_an_id_out_of_range_is_not_found(client_with_every_role, url):
    response = client_with_every_role.get(url)

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_a_url_no_api_route_matches_answers_json_not_found(client_with_every_role):
    response = client_with_every_role.get("/api/settlement/statements/0.5/payments/")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "not_found"


def test_a_household_registered_into_a_group_out_of_range_is_refused(client_with_every_role):
    response = client_with_every_role.post(
        "/api/households/",
        {"project": HUGE, "community": HUGE, "group": HUGE, "household": {}, "members": []},
        format="json",
    )

    assert response.status_code == 400
    fields = {error["field"] for error in response.json()["errors"]}
    assert {"project", "community", "group"} <= fields
