"""Configuration is a decision too: every service that sets what the rules, prices and chains
read (beyond the registry's own, tests/households/test_configuration.py) writes one audit
entry naming the person, and a refused call writes none."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest

from allocation.services import demands, estates
from oversight.services import ledger, teams
from resettlement.errors import NotAllowed
from resettlement.models import AuditEntry
from settlement.services import prices
from settlement.services.approvals import StepSpec, approval_chain_set
from tests.households.factories import VillagerGroupFactory
from tests.people import grant, make_user

PRICES = {
    "base_price": "3000.00",
    "unused_area_price": "2000.00",
    "monetised_price": "5000.00",
    "subsidy_rate": "500.00",
}


def estate(actor, project):
    return estates.estate_create(actor=actor, project=project, code="E1", name="一期")


def apartment_type(actor, project):
    return estates.apartment_type_create(
        actor=actor, project=project, code="T90", name="90㎡", nominal_area="90"
    )


CALLS: dict[str, Callable] = {
    "price_rules.set": lambda actor, project: prices.price_rules_set(
        actor=actor, project=project, **PRICES, bands=[(None, "6000")]
    ),
    "approval_chain.set": lambda actor, project: approval_chain_set(
        actor=actor, project=project, steps=[StepSpec("sign", "领导签批", "leader")]
    ),
    "estate.create": estate,
    "allocation_policy.update": lambda actor, project: demands.allocation_policy_update(
        actor=actor, project=project, over_area_cap="12.5"
    ),
    "apartment_type.create": apartment_type,
    "team.save": lambda actor, project: teams.team_save(
        actor=actor, project=project, code="T1", name="第一工作组", leader=actor, members=[actor]
    ),
    "return_plan.set": lambda actor, project: ledger.return_plan_set(
        actor=actor, project=project, department="区住建局", person="张科长", targets=[(2020, 100)]
    ),
}


def trail() -> list[tuple[str, int | None]]:
    return list(AuditEntry.objects.order_by("sequence").values_list("action", "actor"))


@pytest.mark.parametrize("action", CALLS)
def test_a_configuration_service_writes_one_entry_naming_the_leader(leader, project, action):
    CALLS[action](leader, project)

    assert trail() == [(action, leader.pk)]
    assert AuditEntry.objects.get().payload["project"] == project.code


@pytest.mark.parametrize("action", CALLS)
def test_a_refused_configuration_writes_no_entry(clerk, project, action):
    with pytest.raises(NotAllowed):
        CALLS[action](clerk, project)

    assert trail() == []


def test_changes_to_estates_types_and_floor_rules_are_recorded_with_what_changed(leader, project):
    built, kind = estate(leader, project), apartment_type(leader, project)

    estates.estate_update(actor=leader, estate=built, data={"name": "一期北区"})
    estates.floor_rule_set(actor=leader, estate=built, bands=[estates.Band("A", 1, 30)])
    estates.apartment_type_update(
        actor=leader, apartment_type=kind, name="九十平", nominal_area="90"
    )

    assert [action for action, _actor in trail()][2:] == [
        "estate.update",
        "floor_rule.set",
        "apartment_type.update",
    ]
    changes = AuditEntry.objects.get(action="estate.update").payload["changed"]
    assert changes == {"name": ["一期", "一期北区"]}
    kind.refresh_from_db()
    assert kind.nominal_area == Decimal("90.00")


def test_setting_the_same_cap_again_records_nothing_new(leader, project):
    CALLS["allocation_policy.update"](leader, project)
    CALLS["allocation_policy.update"](leader, project)

    assert len(trail()) == 1


def test_a_scoped_leader_cannot_change_another_projects_estate(roles, leader, project):
    built = estate(leader, project)
    elsewhere = make_user("leader_elsewhere", "leader", all_projects=False)
    grant(elsewhere, VillagerGroupFactory().project)

    with pytest.raises(NotAllowed):
        estates.estate_update(actor=elsewhere, estate=built, data={"name": "改名"})
    with pytest.raises(NotAllowed):
        estates.floor_rule_set(actor=elsewhere, estate=built, bands=[estates.Band("A", 1, 9)])
    assert [action for action, _actor in trail()] == ["estate.create"]
