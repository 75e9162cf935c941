"""The housing stock's rules (floor rule → tier) and the demand rules (area fit, cap, lock)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from allocation.models import AllocationPolicy, AreaFit, Demand, DemandStatus
from allocation.services import demands, estates
from allocation.services.estates import Band
from households.services import review
from resettlement.errors import NotAllowed, RuleViolation

# -- floor rule and tiers -------------------------------------------------------------------


def test_an_apartments_tier_comes_from_its_estates_floor_rule(estate):
    assert estates.apartment_tier(estate, 1) == "C"
    assert estates.apartment_tier(estate, 5) == "A"
    assert estates.apartment_tier(estate, 12) == "B"


def test_a_floor_outside_every_band_is_an_error_naming_the_floor(estate):
    with pytest.raises(RuleViolation) as error:
        estates.apartment_tier(estate, 15)
    assert error.value.code == "floor_without_tier"
    assert "15层" in error.value.message and "E1" in error.value.message


def test_overlapping_bands_are_refused(estate, leader):
    with pytest.raises(RuleViolation) as error:
        estates.floor_rule_set(
            actor=leader, estate=estate, bands=[Band("C", 1, 3), Band("A", 3, 12)]
        )
    assert "重叠" in error.value.message
    assert [t.tier for t in estate.floor_tiers.all()] == ["C", "A", "B"]  # unchanged


def test_a_rule_must_cover_every_floor_of_the_estates_buildings(estate, leader):
    estates.building_create(actor=leader, estate=estate, code="1", sequence=1, floors=12)
    with pytest.raises(RuleViolation) as error:
        estates.floor_rule_set(actor=leader, estate=estate, bands=[Band("A", 1, 10)])
    assert "11层" in error.value.message and "12层" in error.value.message


def test_a_bad_tier_letter_is_refused(estate, leader):
    with pytest.raises(RuleViolation) as error:
        estates.floor_rule_set(actor=leader, estate=estate, bands=[Band("D", 1, 12)])
    assert "D" in error.value.message


def test_changing_the_floor_rule_re_derives_the_tiers(estate, leader, apartment):
    assert apartment.tier == "A"  # floor 5
    estates.floor_rule_set(actor=leader, estate=estate, bands=[Band("B", 1, 6), Band("C", 7, 12)])
    apartment.refresh_from_db()
    assert apartment.tier == "B"


def test_a_clerk_cannot_create_an_estate_or_change_its_floor_rule(project, clerk, estate):
    with pytest.raises(NotAllowed):
        estates.estate_create(actor=clerk, project=project, code="E2", name="二期")
    with pytest.raises(NotAllowed):
        estates.floor_rule_set(actor=clerk, estate=estate, bands=[Band("A", 1, 20)])


def test_an_estate_code_is_unique_and_has_no_slash(project, leader, estate):
    with pytest.raises(RuleViolation) as error:
        estates.estate_create(actor=leader, project=project, code="E1", name="重复")
    assert error.value.details[0]["field"] == "code"
    with pytest.raises(RuleViolation):
        estates.estate_create(actor=leader, project=project, code="E/2", name="斜杠")


def test_a_building_taller_than_the_floor_rule_is_refused(estate, leader):
    with pytest.raises(RuleViolation) as error:
        estates.building_create(actor=leader, estate=estate, code="9", sequence=9, floors=18)
    assert error.value.details[0]["field"] == "floors"
    assert "13层" in error.value.message


def test_an_apartment_type_area_cannot_change_once_chosen(types, leader, clerk, household):
    demands.demand_choose(actor=clerk, household=household, items={"T90": 1, "T60": 1})
    with pytest.raises(RuleViolation) as error:
        estates.apartment_type_update(
            actor=leader, apartment_type=types["T90"], name="90㎡", nominal_area="95"
        )
    assert error.value.details[0]["field"] == "nominal_area"
    estates.apartment_type_update(
        actor=leader, apartment_type=types["T90"], name="90㎡三室两厅", nominal_area="90.00"
    )


def test_withholding_an_apartment_and_releasing_it(apartment, leader, clerk):
    estates.apartment_set_status(actor=leader, apartment=apartment, status="withheld")
    apartment.refresh_from_db()
    assert apartment.status == "withheld"
    with pytest.raises(RuleViolation):
        estates.apartment_set_status(actor=leader, apartment=apartment, status="allocated")
    with pytest.raises(NotAllowed):
        estates.apartment_set_status(actor=clerk, apartment=apartment, status="available")


# -- demands ------------------------------------------------------------------------------


def test_a_choice_that_matches_the_entitlement_is_within(types, clerk, household):
    demand = demands.demand_choose(actor=clerk, household=household, items={"T90": 1, "T60": 1})
    assert demand.status == DemandStatus.DRAFT
    assert demand.entitlement_area == Decimal("150.00")
    assert demand.chosen_area == Decimal("150.00")
    assert demand.area_difference == Decimal("0.00")
    assert demand.area_fit == AreaFit.WITHIN
    assert demand.chosen_by == clerk and demand.chosen_at is not None
    assert {i.apartment_type.code: i.count for i in demand.items.all()} == {"T90": 1, "T60": 1}


def test_over_the_entitlement_within_the_cap_is_recorded_as_over(types, leader, clerk, household):
    demands.allocation_policy_update(actor=leader, project=household.project, over_area_cap="30")
    demand = demands.demand_choose(actor=clerk, household=household, items={"T120": 1, "T60": 1})
    assert (demand.chosen_area, demand.area_difference, demand.area_fit) == (
        Decimal("180.00"),
        Decimal("30.00"),
        AreaFit.OVER,
    )


def test_over_the_cap_is_refused(types, clerk, household):
    # The default cap is 15 ㎡: 180 chosen against 150 is 30 over.
    with pytest.raises(RuleViolation) as error:
        demands.demand_choose(actor=clerk, household=household, items={"T120": 1, "T60": 1})
    assert error.value.code == "over_cap"
    assert "15.00" in error.value.message and "30.00" in error.value.message
    assert not Demand.objects.filter(household=household).exists()


def test_the_policy_is_created_with_defaults_when_missing(types, clerk, household):
    assert not AllocationPolicy.objects.filter(project=household.project).exists()
    demands.demand_choose(actor=clerk, household=household, items={"T90": 1})
    policy = AllocationPolicy.objects.get(project=household.project)
    assert policy.over_area_cap == Decimal("15.00")


def test_under_the_entitlement_is_recorded_as_under(types, clerk, household):
    demand = demands.demand_choose(actor=clerk, household=household, items={"T90": 1})
    assert demand.area_difference == Decimal("-60.00")
    assert demand.area_fit == AreaFit.UNDER


def test_changing_a_choice_replaces_it(types, clerk, other_clerk, household):
    demands.demand_choose(actor=clerk, household=household, items={"T90": 1})
    demand = demands.demand_choose(actor=other_clerk, household=household, items={"T60": 2})
    assert {i.apartment_type.code: i.count for i in demand.items.all()} == {"T60": 2}
    assert demand.chosen_by == other_clerk
    assert Demand.objects.count() == 1


@pytest.mark.parametrize(
    ("items", "field", "code"),
    [
        ({"T75": 1}, "items.T75", "unknown"),
        ({"T90": 0}, "items.T90", "zero"),
        ({"T90": "两"}, "items.T90", "invalid"),
        ({"T90": 50}, "items.T90", "invalid"),
        ({}, "items", "required"),
    ],
    ids=["unknown-type", "zero-count", "not-a-number", "too-many", "nothing-chosen"],
)
def test_bad_items_are_refused_naming_the_field(types, clerk, household, items, field, code):
    with pytest.raises(RuleViolation) as error:
        demands.demand_choose(actor=clerk, household=household, items=items)
    assert error.value.details[0]["field"] == field
    assert error.value.details[0]["code"] == code
    assert not Demand.objects.exists()


def test_a_household_not_yet_approved_cannot_choose(types, clerk, register):
    household = register()
    with pytest.raises(RuleViolation) as error:
        demands.demand_choose(actor=clerk, household=household, items={"T90": 1})
    assert error.value.code == "not_approved"


def test_a_leader_or_outsider_cannot_record_a_choice(types, leader, outsider, household):
    for actor in (leader, outsider):
        with pytest.raises(NotAllowed):
            demands.demand_choose(actor=actor, household=household, items={"T90": 1})


def test_a_leader_locks_the_projects_choices(types, clerk, leader, household, approve_household):
    second = approve_household(2)
    demands.demand_choose(actor=clerk, household=household, items={"T90": 1, "T60": 1})
    demands.demand_choose(actor=clerk, household=second, items={"T90": 1})
    assert demands.demand_lock(actor=leader, project=household.project) == 2
    demand = Demand.objects.get(household=household)
    assert demand.status == DemandStatus.LOCKED
    assert demand.locked_by == leader and demand.locked_at is not None
    assert demands.demand_lock(actor=leader, project=household.project) == 0


def test_locking_only_some_households(types, clerk, leader, household, approve_household):
    second = approve_household(2)
    demands.demand_choose(actor=clerk, household=household, items={"T90": 1})
    demands.demand_choose(actor=clerk, household=second, items={"T90": 1})
    assert demands.demand_lock(actor=leader, project=household.project, households=[second]) == 1
    assert Demand.objects.get(household=household).status == DemandStatus.DRAFT


def test_a_locked_choice_cannot_change(types, clerk, leader, household):
    demands.demand_choose(actor=clerk, household=household, items={"T90": 1, "T60": 1})
    demands.demand_lock(actor=leader, project=household.project)
    with pytest.raises(RuleViolation) as error:
        demands.demand_choose(actor=clerk, household=household, items={"T90": 1})
    assert error.value.code == "demand_locked"
    assert Demand.objects.get(household=household).chosen_area == Decimal("150.00")


def test_whoever_entered_a_choice_may_not_lock_it(types, all_hats, other_leader, household):
    demands.demand_choose(actor=all_hats, household=household, items={"T90": 1})
    with pytest.raises(NotAllowed) as error:
        demands.demand_lock(actor=all_hats, project=household.project)
    assert error.value.code == "four_eyes"
    assert household.code in error.value.message
    assert Demand.objects.get(household=household).status == DemandStatus.DRAFT
    assert demands.demand_lock(actor=other_leader, project=household.project) == 1


def test_a_clerk_cannot_lock(types, clerk, other_clerk, household):
    demands.demand_choose(actor=clerk, household=household, items={"T90": 1})
    with pytest.raises(NotAllowed):
        demands.demand_lock(actor=other_clerk, project=household.project)


def test_a_choice_made_before_the_household_was_sent_back_cannot_be_locked(
    types, clerk, leader, household, reviewer
):
    demands.demand_choose(actor=clerk, household=household, items={"T90": 1})
    review.household_send_back(actor=reviewer, household=household, reason="异议成立")
    with pytest.raises(RuleViolation) as error:
        demands.demand_lock(actor=leader, project=household.project)
    assert error.value.code == "stale_demand"


def test_the_cap_must_be_a_non_negative_number(leader, project):
    with pytest.raises(RuleViolation) as error:
        demands.allocation_policy_update(actor=leader, project=project, over_area_cap="-1")
    assert error.value.details[0]["field"] == "over_area_cap"
