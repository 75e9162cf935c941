"""Allocation fixtures: an estate with a floor rule, apartment types, and approved households
(taken through registration, review and approval by the registry's own services)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from allocation.services import estates
from allocation.services.estates import Band
from tests.households.factories import approve, member_data


@pytest.fixture
def estate(project, leader):
    """Estate E1: floors 1-2 are C, 3-8 A, 9-12 B."""
    return estates.estate_create(
        actor=leader,
        project=project,
        code="E1",
        name="南宫河安置小区",
        orientation="自东向西",
        bands=[Band("C", 1, 2), Band("A", 3, 8), Band("B", 9, 12)],
    )


@pytest.fixture
def types(project, leader):
    """Three apartment types: T60 (60 ㎡), T90 (90 ㎡), T120 (120 ㎡)."""
    return {
        code: estates.apartment_type_create(
            actor=leader, project=project, code=code, name=name, nominal_area=area
        )
        for code, name, area in (
            ("T60", "60㎡两室", "60.00"),
            ("T90", "90㎡三室", "90.00"),
            ("T120", "120㎡四室", "120.00"),
        )
    }


@pytest.fixture
def approve_household(register, reviewer, leader):
    """Register a household with `size` members and approve it: entitlement 50 ㎡ a person
    (the factory project's rule; a single person gets the 15 ㎡ bonus)."""

    def _approve(size: int = 3, **household_fields):
        members = [member_data(name="王建国")]
        relations = ["spouse", "child", "child", "child"]
        for index in range(size - 1):
            members.append(
                member_data(
                    relations[index],
                    name=f"王{'二三四五'[index]}",
                    sex="F",
                    birth_date=dt.date(1975 + index, 4, 5),
                    marital_status="married" if relations[index] == "spouse" else "unmarried",
                )
            )
        household = register(members=members, **household_fields)
        return approve(household, reviewer=reviewer, leader=leader)

    return _approve


@pytest.fixture
def household(approve_household):
    """An approved household of three: entitlement 150 ㎡."""
    household = approve_household(3)
    assert household.entitlement_area == Decimal("150.00")
    return household


@pytest.fixture
def building(estate, leader):
    return estates.building_create(actor=leader, estate=estate, code="1", sequence=1, floors=12)


@pytest.fixture
def apartment(estate, building, types):
    """Apartment 1-1-501 on floor 5 (tier A), type T90."""
    from allocation.models import Apartment, Stair

    stair = Stair.objects.create(building=building, code="1")
    return Apartment.objects.create(
        project=estate.project,
        estate=estate,
        building=building,
        stair=stair,
        code="1-1-501",
        floor=5,
        area=Decimal("91.20"),
        apartment_type=types["T90"],
        tier=estates.apartment_tier(estate, 5),
    )


@pytest.fixture
def admin_client_leader(client, leader):
    client.force_login(leader)
    return client
