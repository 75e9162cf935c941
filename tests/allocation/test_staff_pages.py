"""The staff allocation pages: estates, the demand page with its forms, the lock, the import."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from allocation.models import Apartment, AreaFit, Demand, DemandStatus
from allocation.services import demands
from tests.xlsx import apartment_row, apartments_xlsx, read_xlsx


def _html(response) -> str:
    return response.content.decode()


def test_the_estate_list_shows_counts_by_type_tier_and_status(client, clerk, apartment):
    client.force_login(clerk)
    html = _html(client.get(reverse("allocation:estate-list")))
    assert "南宫河安置小区" in html
    assert "T90: 1" in html and "A: 1" in html and "可分配: 1" in html


def test_the_estate_page_shows_the_floor_rule_buildings_and_filtered_apartments(
    client, clerk, apartment, estate
):
    client.force_login(clerk)
    url = reverse("allocation:estate-detail", args=[estate.pk])
    html = _html(client.get(url))
    assert "3–8 层" in html and "1-1-501" in html and "自东向西" in html
    assert "1-1-501" not in _html(client.get(url, {"tier": "B"}))
    assert "1-1-501" in _html(client.get(url, {"tier": "A", "status": "available"}))
    assert client.get(url, {"building": "abc", "page": "x"}).status_code == 200


def test_an_outsider_gets_403_everywhere(client, outsider, estate, household):
    client.force_login(outsider)
    for url in (
        reverse("allocation:estate-list"),
        reverse("allocation:estate-detail", args=[estate.pk]),
        reverse("allocation:demand-list", args=[household.project.code]),
        reverse("allocation:demand-edit", args=[household.pk]),
        reverse("allocation:demand-lock", args=[household.project.code]),
        reverse("allocation:apartment-import"),
        reverse("allocation:import-template"),
    ):
        assert client.get(url).status_code == 403, url


def test_the_demand_page_lists_approved_households_with_their_choice(
    client, clerk, types, household
):
    demands.demand_choose(actor=clerk, household=household, items={"T90": 1, "T60": 1})
    client.force_login(clerk)
    html = _html(client.get(reverse("allocation:demand-list", args=[household.project.code])))
    assert household.code in html and "王建国" in html
    assert "T60×1、T90×1" in html and "面积相符" in html and "150.00" in html
    assert "超面积上限 15.00㎡" in html


def test_a_clerk_chooses_types_for_a_household(client, clerk, types, household):
    client.force_login(clerk)
    url = reverse("allocation:demand-edit", args=[household.pk])
    page = _html(client.get(url))
    assert "应安置面积" in page and "150.00" in page and "超面积上限" in page
    response = client.post(url, {"T60": "0", "T90": "1", "T120": ""})
    assert response.status_code == 302
    demand = Demand.objects.get(household=household)
    assert demand.area_fit == AreaFit.UNDER and demand.chosen_area == Decimal("90.00")


def test_over_the_cap_is_shown_on_the_form(client, clerk, types, household):
    client.force_login(clerk)
    url = reverse("allocation:demand-edit", args=[household.pk])
    response = client.post(url, {"T120": "1", "T60": "1"})
    assert response.status_code == 200
    assert "超面积上限" in _html(response)
    assert response.context["form"].non_field_errors()
    assert not Demand.objects.exists()


def test_nothing_chosen_and_bad_counts_are_shown_on_the_field(client, clerk, types, household):
    client.force_login(clerk)
    url = reverse("allocation:demand-edit", args=[household.pk])
    response = client.post(url, {"T90": "0"})
    assert "没有选择任何户型" in _html(response)
    response = client.post(url, {"T90": "-2"})
    assert response.context["form"].errors["T90"]


def test_a_household_not_yet_approved_is_sent_back_to_the_list_with_the_reason(
    client, clerk, types, register
):
    pending = register()
    client.force_login(clerk)
    response = client.get(reverse("allocation:demand-edit", args=[pending.pk]), follow=True)
    assert response.redirect_chain[-1][0].startswith(
        reverse("allocation:demand-list", args=[pending.project.code])
    )
    assert f"{pending.code} 户尚未审批通过,没有应安置面积,不能选择户型。" in _html(response)
    assert not Demand.objects.exists()


def test_a_leader_cannot_record_a_choice(client, leader, types, household):
    client.force_login(leader)
    url = reverse("allocation:demand-edit", args=[household.pk])
    assert "您没有录入户型选择的权限" in _html(client.get(url))
    assert client.post(url, {"T90": "1"}).status_code == 403


def test_a_leader_locks_a_community_after_confirming(client, clerk, leader, types, household):
    demands.demand_choose(actor=clerk, household=household, items={"T90": 1})
    client.force_login(leader)
    url = reverse("allocation:demand-lock", args=[household.project.code])
    page = client.get(url, {"community": household.community_id})
    assert "将锁定 1 户" in _html(page)
    refused = client.post(url, {"community": household.community_id})
    assert refused.status_code == 200 and refused.context["form"].errors["confirm"]
    assert Demand.objects.get().status == DemandStatus.DRAFT
    done = client.post(url, {"community": household.community_id, "confirm": "on"})
    assert done.status_code == 302
    assert Demand.objects.get().status == DemandStatus.LOCKED
    edit = _html(client.get(reverse("allocation:demand-edit", args=[household.pk])))
    assert "已锁定" in edit


def test_the_lock_page_warns_and_refuses_whoever_entered_a_choice(
    client, all_hats, types, household
):
    demands.demand_choose(actor=all_hats, household=household, items={"T90": 1})
    client.force_login(all_hats)
    url = reverse("allocation:demand-lock", args=[household.project.code])
    assert "四眼原则" in _html(client.get(url))
    response = client.post(url, {"confirm": "on"})
    assert any("四眼原则" in m.message for m in get_messages(response.wsgi_request))
    assert Demand.objects.get().status == DemandStatus.DRAFT


def test_a_clerk_cannot_open_the_lock_page(client, clerk, household):
    client.force_login(clerk)
    url = reverse("allocation:demand-lock", args=[household.project.code])
    assert client.post(url, {"confirm": "on"}).status_code == 403


def test_import_preview_then_confirm(client, leader, estate, types, project):
    client.force_login(leader)
    url = reverse("allocation:apartment-import")
    data = apartments_xlsx([apartment_row(), apartment_row(code="1-1-601", floor=6)])
    preview = client.post(
        url, {"project": project.pk, "import_file": SimpleUploadedFile("rooms.xlsx", data)}
    )
    assert "确认后将向项目" in _html(preview) and "导入 2 套房" in _html(preview)
    assert not Apartment.objects.exists()
    done = client.post(url, {"confirm": "1"})
    assert done.status_code == 302
    assert Apartment.objects.count() == 2
    # The stored upload is used once.
    again = client.post(url, {"confirm": "1"})
    assert again.status_code == 302 and Apartment.objects.count() == 2


def test_an_import_waits_in_the_shared_bucket_between_preview_and_confirmation(
    object_storage, client, leader, estate, types, project
):
    """The confirmation may reach another web replica than the preview: the pending file is
    in the storage every replica sees (a bucket past one machine), not in one's /tmp."""
    s3, bucket = object_storage

    def pending() -> list[str]:
        listing = s3.list_objects_v2(Bucket=bucket).get("Contents", [])
        return [item["Key"] for item in listing if item["Key"].startswith("media/imports/")]

    client.force_login(leader)
    url = reverse("allocation:apartment-import")
    data = apartments_xlsx([apartment_row()])
    client.post(url, {"project": project.pk, "import_file": SimpleUploadedFile("r.xlsx", data)})
    assert len(pending()) == 1
    assert client.post(url, {"confirm": "1"}).status_code == 302
    assert Apartment.objects.count() == 1
    assert pending() == []


def test_import_preview_lists_every_problem_by_row_and_column(
    client, leader, estate, types, project
):
    client.force_login(leader)
    data = apartments_xlsx([apartment_row(), apartment_row(floor=20, apartment_type="T75")])
    response = client.post(
        reverse("allocation:apartment-import"),
        {"project": project.pk, "import_file": SimpleUploadedFile("rooms.xlsx", data)},
    )
    html = _html(response)
    assert "没有导入任何数据" in html
    problems = [(p.row, p.column) for p in response.context["report"].problems]
    assert (3, "房号") in problems and (3, "户型编号") in problems and (3, "楼层") in problems
    assert "确认导入" not in html


def test_a_file_that_is_not_a_spreadsheet_is_refused_on_the_field(client, leader, project):
    client.force_login(leader)
    response = client.post(
        reverse("allocation:apartment-import"),
        {"project": project.pk, "import_file": SimpleUploadedFile("rooms.pdf", b"%PDF-1.4")},
    )
    assert response.context["form"].errors["import_file"]


def test_template_download_and_export(client, leader, apartment, project):
    client.force_login(leader)
    template = client.get(reverse("allocation:import-template"))
    assert template["Content-Type"].startswith("application/vnd.openxmlformats")
    assert read_xlsx(template.content)[0][0] == "小区编号"
    export = client.get(reverse("allocation:apartment-export"), {"project": project.code})
    rows = read_xlsx(export.content)
    assert rows[1][5] == "1-1-501" and rows[1][10] == "A"


@pytest.mark.parametrize("name", ["estate-list", "demand-projects"])
def test_pages_render_for_a_leader(client, leader, project, name):
    client.force_login(leader)
    assert client.get(reverse(f"allocation:{name}"), follow=True).status_code == 200
