"""The snapshots the lottery hashes, and the pages' reads: fixed formats, fixed orders, and a
number of queries that does not grow with the rows."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from allocation.models import DemandStatus
from allocation.resources import apartments_import
from allocation.selectors import demands as demand_selectors
from allocation.selectors import estates as estate_selectors
from allocation.services import demands as demand_services
from allocation.services import estates as estate_services
from tests.xlsx import apartment_row, dataset_of


def _stock(leader, project, rows) -> None:
    report = apartments_import(actor=leader, project=project, dataset=dataset_of(rows))
    assert report.ok, report.problems


def test_the_inventory_snapshot_lists_available_apartments_in_orientation_order(
    estate, types, leader, project
):
    _stock(
        leader,
        project,
        [
            # Building "10" comes first along the orientation (sequence 1), "2" second.
            apartment_row(code="2-1-301", building="2", sequence=2, floor=3),
            apartment_row(code="10-2-101", building="10", sequence=1, stair="2", floor=1),
            apartment_row(code="10-1-901", building="10", sequence=1, floor=9, area="120"),
            apartment_row(
                code="10-1-301", building="10", sequence=1, floor=3, apartment_type="T60"
            ),
            apartment_row(code="2-1-302", building="2", sequence=2, floor=3),
        ],
    )
    withheld = estate_selectors.apartment_list(project=project).get(code="2-1-302")
    estate_services.apartment_set_status(actor=leader, apartment=withheld, status="withheld")
    with CaptureQueriesContext(connection) as queries:
        snapshot = estate_selectors.inventory_snapshot(estate)
    assert len(queries) == 1
    assert snapshot == [
        {
            "code": "10-1-301",
            "building": "10",
            "stair": "1",
            "floor": 3,
            "type": "T60",
            "tier": "A",
            "area": "91.20",
        },
        {
            "code": "10-1-901",
            "building": "10",
            "stair": "1",
            "floor": 9,
            "type": "T90",
            "tier": "B",
            "area": "120.00",
        },
        {
            "code": "10-2-101",
            "building": "10",
            "stair": "2",
            "floor": 1,
            "type": "T90",
            "tier": "C",
            "area": "91.20",
        },
        {
            "code": "2-1-301",
            "building": "2",
            "stair": "1",
            "floor": 3,
            "type": "T90",
            "tier": "A",
            "area": "91.20",
        },
    ]


def test_the_demand_list_gives_type_counts_per_household(
    clerk, leader, types, household, approve_household
):
    second = approve_household(2)
    demand_services.demand_choose(actor=clerk, household=household, items={"T90": 1, "T60": 1})
    demand_services.demand_choose(actor=clerk, household=second, items={"T90": 1})
    demand_services.demand_lock(actor=leader, project=household.project, households=[second])
    demands = list(demand_selectors.demand_list(project=household.project))
    everything = {d.household.code: demand_selectors.demand_items(d) for d in demands}
    assert everything == {household.code: {"T60": 1, "T90": 1}, second.code: {"T90": 1}}
    assert {
        d.household.code: demand_selectors.demand_items(d)
        for d in demands
        if d.status == DemandStatus.LOCKED
    } == {second.code: {"T90": 1}}


def _queries(client, url, params=None) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, params or {}).status_code == 200
    return len(queries)


def test_the_estate_pages_make_a_fixed_number_of_queries(client, leader, estate, types, project):
    client.force_login(leader)
    _stock(leader, project, [apartment_row()])
    detail = reverse("allocation:estate-detail", args=[estate.pk])
    listing = reverse("allocation:estate-list")
    few = (_queries(client, listing), _queries(client, detail))
    estate_services.estate_create(actor=leader, project=project, code="E2", name="二期")
    _stock(
        leader,
        project,
        [
            apartment_row(code=f"{b}-{s}-{f}01", building=str(b), sequence=b, stair=str(s), floor=f)
            for b in (2, 3)
            for s in (1, 2)
            for f in (1, 5, 9)
        ],
    )
    many = (_queries(client, listing), _queries(client, detail))
    assert many == few


def test_the_demand_page_makes_a_fixed_number_of_queries(
    client, clerk, types, household, approve_household
):
    client.force_login(clerk)
    demand_services.demand_choose(actor=clerk, household=household, items={"T90": 1})
    url = reverse("allocation:demand-list", args=[household.project.code])
    few = _queries(client, url)
    for size in (2, 3, 4):
        demand_services.demand_choose(
            actor=clerk, household=approve_household(size), items={"T90": 1}
        )
    approve_household(2)  # no choice yet
    assert _queries(client, url) == few
