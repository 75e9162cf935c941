"""The two publicity kinds of the allocation stage: the housing stock, and the entitlement
area with the chosen apartment types, published as masked snapshots."""

from __future__ import annotations

from allocation.services import demands
from publicity.models import PublicationStatus
from publicity.services import publications
from resettlement import publicity_kinds
from tests.publicity.factories import drafter


def test_both_kinds_are_registered():
    codes = {kind.code for kind in publicity_kinds.all_kinds()}
    assert {"housing", "demand"} <= codes
    assert str(publicity_kinds.get("housing").label) == "安置房源公示"


def test_the_housing_stock_is_published(leader, apartment, project):
    draft = publications.publication_create(actor=drafter(), project=project, kind="housing")
    publication = publications.publication_publish(actor=leader, publication=draft)
    assert publication.status == PublicationStatus.PUBLISHED
    assert publication.columns[:4] == ["安置小区", "楼栋", "单元", "房号"]
    assert publication.rows == [
        [
            "南宫河安置小区",
            "1",
            "1",
            "1-1-501",
            "5",
            "91.20",
            "90㎡三室(T90)",
            "南北通透",
            "A",
            "可分配",
        ]
    ]


def test_the_demands_are_published_with_the_heads_name_masked(
    leader, clerk, types, household, approve_household
):
    demands.demand_choose(actor=clerk, household=household, items={"T90": 1, "T60": 1})
    waiting = approve_household(2)
    draft = publications.publication_create(
        actor=drafter(), project=household.project, kind="demand"
    )
    publication = publications.publication_publish(actor=leader, publication=draft)
    assert publication.columns == [
        "户编号",
        "户主",
        "村/社区",
        "村民小组",
        "应安置面积(㎡)",
        "所选户型",
        "所选面积(㎡)",
        "面积差(㎡)",
        "面积情况",
    ]
    by_code = {row[0]: row for row in publication.rows}
    assert by_code[household.code][1:2] == ["王**"]
    assert by_code[household.code][4:] == ["150.00", "T60×1、T90×1", "150.00", "0.00", "面积相符"]
    assert by_code[waiting.code][5:] == ["", "", "", ""]
    assert "王建国" not in str(publication.rows)


def test_a_communitys_demand_publication_lists_only_its_households(leader, clerk, types, household):
    draft = publications.publication_create(
        actor=drafter(), project=household.project, kind="demand", community=household.community
    )
    publication = publications.publication_publish(actor=leader, publication=draft)
    assert [row[0] for row in publication.rows] == [household.code]
