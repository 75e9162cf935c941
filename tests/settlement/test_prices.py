"""A project's price rules and over-area bands, set by a leader through `price_rules_set`."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from resettlement.errors import NotAllowed, RuleViolation
from settlement.models import OverAreaBand, PriceRules
from settlement.services import prices

pytestmark = pytest.mark.django_db

PRICES = {
    "base_price": "3000.00",
    "unused_area_price": "2000.00",
    "demolition_price": "1500.00",
    "monetised_price": "5000.00",
    "subsidy_rate": "500.00",
    "tier_a_coefficient": "1.02",
    "tier_b_coefficient": "1.01",
    "tier_c_coefficient": "0.98",
}


def test_leader_sets_prices_and_bands(project, leader):
    rules = prices.price_rules_set(
        actor=leader, project=project, **PRICES, bands=[("10", "4500"), (None, "6000")]
    )
    assert rules.updated_by == leader
    assert rules.base_price == D("3000.00")
    assert rules.tier_c_coefficient == D("0.9800")
    bands = list(
        OverAreaBand.objects.filter(project=project).values_list("position", "up_to", "price")
    )
    assert bands == [(1, D("10.00"), D("4500.00")), (2, None, D("6000.00"))]

    # Setting again replaces the bands.
    prices.price_rules_set(
        actor=leader,
        project=project,
        **{**PRICES, "subsidy_basis": "area", "subsidy_rate": "12.35"},
        bands=[(None, "5000")],
    )
    assert PriceRules.objects.get(project=project).subsidy_basis == "area"
    assert list(OverAreaBand.objects.filter(project=project).values_list("up_to", "price")) == [
        (None, D("5000.00"))
    ]


@pytest.mark.parametrize("person", ["clerk", "reviewer", "outsider"])
def test_only_leaders_set_prices(request, project, person):
    with pytest.raises(NotAllowed):
        prices.price_rules_set(
            actor=request.getfixturevalue(person), project=project, **PRICES, bands=[(None, "1")]
        )
    assert not PriceRules.objects.filter(project=project).exists()


@pytest.mark.parametrize(
    ("changes", "bands", "fields"),
    [
        ({"base_price": "-1"}, [(None, "1")], {"base_price"}),
        ({"base_price": "abc"}, [(None, "1")], {"base_price"}),
        ({"monetised_price": "1.005"}, [(None, "1")], {"monetised_price"}),
        ({"tier_a_coefficient": "0"}, [(None, "1")], {"tier_a_coefficient"}),
        ({"tier_b_coefficient": "1.00005"}, [(None, "1")], {"tier_b_coefficient"}),
        ({"subsidy_basis": "cows"}, [(None, "1")], {"subsidy_basis"}),
        ({}, [], {"bands"}),
        ({}, [("10", "1")], {"bands[1].up_to"}),
        ({}, [(None, "1"), (None, "2")], {"bands[1].up_to"}),
        ({}, [("10", "1"), ("8", "2"), (None, "3")], {"bands[2].up_to"}),
        ({}, [("0", "1"), (None, "2")], {"bands[1].up_to"}),
        ({}, [("10", "-5"), (None, "2")], {"bands[1].price"}),
    ],
)
def test_bad_prices_are_refused_naming_the_field(project, leader, changes, bands, fields):
    with pytest.raises(RuleViolation) as refused:
        prices.price_rules_set(actor=leader, project=project, **{**PRICES, **changes}, bands=bands)
    assert refused.value.code == "bad_price_rules"
    assert {d["field"] for d in refused.value.details} == fields
    assert not PriceRules.objects.filter(project=project).exists()


# -- the admin -----------------------------------------------------------------------------------


def admin_form(project, bands: str, **changes) -> dict:
    return {
        "project": project.pk,
        **PRICES,
        "subsidy_basis": "persons",
        "bands": bands,
        **changes,
    }


def test_a_leader_sets_prices_in_the_admin(client, project, leader):
    client.force_login(leader)
    response = client.post(
        "/admin/settlement/pricerules/add/", admin_form(project, "10 4500\n- 6000")
    )
    assert response.status_code == 302, response.context and response.context["errors"]
    rules = PriceRules.objects.get(project=project)
    assert rules.updated_by == leader
    assert list(OverAreaBand.objects.filter(project=project).values_list("up_to", "price")) == [
        (D("10.00"), D("4500.00")),
        (None, D("6000.00")),
    ]

    page = client.get(f"/admin/settlement/pricerules/{rules.pk}/change/")
    assert page.status_code == 200
    assert "10.00 4500.00\n- 6000.00" in page.content.decode()

    response = client.post(
        f"/admin/settlement/pricerules/{rules.pk}/change/",
        admin_form(project, "5 4000\n15 5000\n- 7000", base_price="3200.00"),
    )
    assert response.status_code == 302
    assert PriceRules.objects.get(project=project).base_price == D("3200.00")
    assert OverAreaBand.objects.filter(project=project).count() == 3


def test_the_admin_shows_band_refusals(client, project, leader):
    client.force_login(leader)
    response = client.post(
        "/admin/settlement/pricerules/add/", admin_form(project, "10 4500\n8 5000")
    )
    assert response.status_code == 200
    assert "最后一档不能设上限" in response.content.decode()
    assert not PriceRules.objects.filter(project=project).exists()
    response = client.post("/admin/settlement/pricerules/add/", admin_form(project, "10"))
    assert "上限 价格" in response.content.decode()


def test_a_clerk_cannot_open_the_price_admin(client, project, clerk):
    client.force_login(clerk)
    assert client.get("/admin/settlement/pricerules/add/").status_code == 403
