"""The allocation admin: estates with their floor rule, types, policy, apartments (import,
filters, status actions) and demands (read-only, lock action)."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile

from allocation.models import AllocationPolicy, Apartment, ApartmentType, Demand, Estate
from allocation.services import demands
from tests.xlsx import apartment_row, apartments_xlsx


def _tiers(prefix: str = "floor_tiers", rows=(), initial: int = 0) -> dict:
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
        "buildings-TOTAL_FORMS": "0",
        "buildings-INITIAL_FORMS": "0",
        "buildings-MIN_NUM_FORMS": "0",
        "buildings-MAX_NUM_FORMS": "1000",
    }
    for i, (tier, low, high) in enumerate(rows):
        data.update(
            {
                f"{prefix}-{i}-tier": tier,
                f"{prefix}-{i}-floor_from": str(low),
                f"{prefix}-{i}-floor_to": str(high),
            }
        )
    return data


def test_a_leader_adds_an_estate_with_its_floor_rule(admin_client_leader, project):
    client = admin_client_leader
    response = client.post(
        "/admin/allocation/estate/add/",
        {
            "project": project.pk,
            "code": "E5",
            "name": "五期",
            "address": "",
            "orientation": "由南向北",
            **_tiers(rows=[("C", 1, 2), ("A", 3, 10)]),
        },
    )
    assert response.status_code == 302, response.context and response.context["errors"]
    estate = Estate.objects.get(code="E5")
    assert [(t.tier, t.floor_from, t.floor_to) for t in estate.floor_tiers.all()] == [
        ("C", 1, 2),
        ("A", 3, 10),
    ]


def test_overlapping_bands_are_shown_in_the_admin(admin_client_leader, project):
    response = admin_client_leader.post(
        "/admin/allocation/estate/add/",
        {
            "project": project.pk,
            "code": "E6",
            "name": "六期",
            **_tiers(rows=[("C", 1, 3), ("A", 3, 10)]),
        },
    )
    assert response.status_code == 200
    assert "重叠" in response.content.decode()
    assert not Estate.objects.filter(code="E6").exists()


def test_a_duplicate_estate_code_is_shown_on_the_field(admin_client_leader, project, estate):
    response = admin_client_leader.post(
        "/admin/allocation/estate/add/",
        {"project": project.pk, "code": "E1", "name": "重复", **_tiers()},
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["code"]


def test_apartment_type_and_policy_through_the_admin(admin_client_leader, project):
    client = admin_client_leader
    response = client.post(
        "/admin/allocation/apartmenttype/add/",
        {"project": project.pk, "code": "T75", "name": "75㎡", "nominal_area": "75.00"},
    )
    assert response.status_code == 302
    assert ApartmentType.objects.get(code="T75").nominal_area == Decimal("75.00")
    bad = client.post(
        "/admin/allocation/apartmenttype/add/",
        {"project": project.pk, "code": "T75", "name": "重复", "nominal_area": "75"},
    )
    assert bad.status_code == 200
    response = client.post(
        "/admin/allocation/allocationpolicy/add/",
        {"project": project.pk, "over_area_cap": "20.00"},
    )
    assert response.status_code == 302
    assert AllocationPolicy.objects.get(project=project).over_area_cap == Decimal("20.00")


def test_apartment_import_in_the_admin(admin_client_leader, project, estate, types):
    client = admin_client_leader
    page = client.get("/admin/allocation/apartment/import/")
    assert page.status_code == 200 and "/staff/allocation/import/template/" in page.content.decode()
    preview = client.post(
        "/admin/allocation/apartment/import/",
        {
            "project": project.pk,
            "import_file": SimpleUploadedFile("rooms.xlsx", apartments_xlsx([apartment_row()])),
            "format": "",
        },
    )
    assert "确认后将导入 1 套房" in preview.content.decode()
    confirm = preview.context["confirm_form"]
    done = client.post("/admin/allocation/apartment/process_import/", {**confirm.initial})
    assert done.status_code == 302
    assert Apartment.objects.get().tier == "A"
    assert any("导入成功" in m.message for m in get_messages(done.wsgi_request))


def test_apartment_list_filters_and_withhold_action(admin_client_leader, apartment):
    client = admin_client_leader
    assert client.get("/admin/allocation/apartment/?tier__exact=A").status_code == 200
    client.post(
        "/admin/allocation/apartment/",
        {"action": "withhold_selected", "_selected_action": [apartment.pk]},
    )
    apartment.refresh_from_db()
    assert apartment.status == "withheld"


def test_demands_are_read_only_and_locked_by_action(admin_client_leader, clerk, types, household):
    demand = demands.demand_choose(actor=clerk, household=household, items={"T90": 1})
    client = admin_client_leader
    page = client.get(f"/admin/allocation/demand/{demand.pk}/change/")
    assert page.status_code == 200 and "T90" in page.content.decode()
    client.post(
        "/admin/allocation/demand/", {"action": "lock_selected", "_selected_action": [demand.pk]}
    )
    assert Demand.objects.get().status == "locked"


def test_the_estate_page_shows_its_rule_and_buildings(admin_client_leader, estate, building):
    page = admin_client_leader.get(f"/admin/allocation/estate/{estate.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="floor_tiers-0-floor_from"' in html and "楼栋" in html
