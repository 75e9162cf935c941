"""A session's life: created with a public commitment, confirmed by the notary, drawn,
signed off or voided with a reason — and what each step refuses."""

from __future__ import annotations

import hashlib
import unicodedata
from decimal import Decimal

import pytest
from django.db.models import F

from allocation.models import Apartment, ApartmentStatus, Demand, DemandStatus
from households.models import Household
from lottery import algorithm
from lottery.models import Allocation, LotterySession, SessionEvent, SessionStatus
from lottery.services.draws import lottery_draw_next, lottery_draw_remaining, lottery_pause
from lottery.services.sessions import (
    lottery_session_confirm,
    lottery_session_enter_entropy,
    lottery_session_void,
)
from lottery.services.sign_off import lottery_session_sign_off
from resettlement.errors import NotAllowed, RuleViolation
from tests.lottery.factories import create_session, make_estate, make_participant, start_drawing
from tests.people import make_user


def test_creating_a_session_publishes_the_commitment_of_a_fresh_secret(v1_open_session):
    open_session = v1_open_session
    secret = bytes.fromhex(open_session.server_secret)
    assert len(secret) == 32
    assert open_session.commitment == hashlib.sha256(secret).hexdigest()
    assert open_session.committed_at is not None
    assert open_session.status == SessionStatus.COMMITTED
    assert open_session.step_prefix == ""
    assert SessionEvent.objects.filter(session=open_session, kind="created").exists()


def test_the_snapshots_hold_codes_only_in_the_documented_form(open_session):
    first = open_session.participants[0]
    assert first == {"code": "H1101", "community": "C1", "group": "G11", "demand": {"T90": 1}}
    codes = [p["code"] for p in open_session.participants]
    assert codes == sorted(codes) and len(codes) == 12
    apartment = open_session.inventory[0]
    assert apartment == {
        "code": "E1-1-1-101",
        "building": "1",
        "stair": "1",
        "floor": 1,
        "type": "T90",
        "tier": "C",
        "area": "90.37",
    }
    assert len(open_session.inventory) == 24
    assert open_session.participants_sha256 == algorithm.snapshot_hash(open_session.participants)
    assert open_session.inventory_sha256 == algorithm.snapshot_hash(open_session.inventory)


def test_only_a_leader_creates_sessions(lottery_project, operator):
    with pytest.raises(NotAllowed):
        create_session(lottery_project, operator)


@pytest.mark.parametrize("code", ["new", "NEW", "a b", "S1?x", "场次1", "x" * 33])
def test_a_session_code_must_be_usable_in_the_address_bar(lottery_project, leader, code):
    with pytest.raises(RuleViolation, match="场次编号只能由字母"):
        create_session(lottery_project, leader, code=code)
    assert not LotterySession.objects.exists()


def test_a_household_without_a_locked_choice_is_named(lottery_project, leader):
    Demand.objects.filter(household__code__in=["H1102", "H2203"]).update(
        status=DemandStatus.DRAFT, locked_by=None, locked_at=None
    )
    with pytest.raises(RuleViolation) as refused:
        create_session(lottery_project, leader)
    assert refused.value.code == "demand_not_locked"
    assert "H1102" in refused.value.message and "H2203" in refused.value.message


def _nobody_qualified(household: Household) -> None:
    """As household_approve leaves a household none of whose members passed review."""
    Household.objects.filter(pk=household.pk).update(
        resettlement_population=0, entitlement_area=Decimal("0.00")
    )


def test_a_household_where_nobody_qualified_and_that_chose_nothing_takes_no_part(
    lottery_project, leader
):
    nobody = lottery_project.household("H1101")
    Demand.objects.filter(household=nobody).delete()
    _nobody_qualified(nobody)

    session = create_session(lottery_project, leader)

    codes = [p["code"] for p in session.participants]
    assert "H1101" not in codes and len(codes) == 11


def test_a_choice_made_by_a_household_where_nobody_qualified_must_still_be_locked(
    lottery_project, leader
):
    nobody = lottery_project.household("H1101")
    _nobody_qualified(nobody)
    Demand.objects.filter(household=nobody).update(
        status=DemandStatus.DRAFT,
        locked_by=None,
        locked_at=None,
        entitlement_area=Decimal("0.00"),
        area_difference=F("chosen_area"),
    )
    with pytest.raises(RuleViolation) as refused:
        create_session(lottery_project, leader)
    assert refused.value.code == "demand_not_locked" and "H1101" in refused.value.message


def test_too_few_apartments_of_a_type_names_the_type_and_the_numbers(lottery_project, leader):
    Apartment.objects.filter(apartment_type__code="T120").exclude(floor=1).update(
        status=ApartmentStatus.WITHHELD
    )
    with pytest.raises(RuleViolation) as refused:
        create_session(lottery_project, leader)
    assert refused.value.code == "not_enough_apartments"
    assert "T120" in refused.value.message
    assert "需要 4 套" in refused.value.message and "可分配 1 套" in refused.value.message


def test_a_second_open_binding_session_on_the_estate_is_refused(
    open_session, lottery_project, leader
):
    with pytest.raises(RuleViolation) as refused:
        create_session(lottery_project, leader, code="S9")
    assert refused.value.code == "session_open"
    # A rehearsal may run beside it.
    rehearsal = create_session(lottery_project, leader, code="R1", rehearsal=True)
    assert rehearsal.rehearsal


def test_the_fixed_village_order_must_list_each_community_once(lottery_project, leader):
    with pytest.raises(RuleViolation) as refused:
        create_session(lottery_project, leader, fixed_village_order=["C1", "C1"])
    assert refused.value.code == "invalid_input"
    session = create_session(lottery_project, leader, fixed_village_order=["C2", "C1"])
    start_drawing(session, make_user("notary_li", "notary"))
    session.refresh_from_db()
    assert session.steps[0] == {
        "label": "village",
        "participants": ["C1", "C2"],
        "order": ["C2", "C1"],
        "fixed": True,
    }
    assert session.steps[1]["label"] == "group/C2"


def test_a_project_with_several_estates_prefixes_the_step_labels(lottery_project, leader, notary):
    make_estate(lottery_project.project, "E2")
    session = start_drawing(create_session(lottery_project, leader), notary)
    assert session.step_prefix == "E1/"
    labels = [s["label"] for s in session.steps]
    assert labels[0] == "E1/village"
    assert all(label.startswith("E1/") for label in labels)
    assert "E1/household/G11" in labels


def test_the_notary_confirms_the_hashes_they_saw(open_session, notary):
    with pytest.raises(RuleViolation) as refused:
        lottery_session_confirm(
            actor=notary,
            session=open_session,
            participants_sha256="0" * 64,
            inventory_sha256=open_session.inventory_sha256,
        )
    assert refused.value.code == "hash_mismatch"
    session = lottery_session_confirm(
        actor=notary,
        session=open_session,
        participants_sha256=open_session.participants_sha256.upper(),
        inventory_sha256=open_session.inventory_sha256,
    )
    assert session.status == SessionStatus.CONFIRMED and session.confirmed_by == notary


def test_confirming_is_refused_when_the_data_moved_since_the_snapshot(open_session, notary):
    Apartment.objects.filter(code="E1-1-1-101").update(status=ApartmentStatus.WITHHELD)
    with pytest.raises(RuleViolation) as refused:
        lottery_session_confirm(
            actor=notary,
            session=open_session,
            participants_sha256=open_session.participants_sha256,
            inventory_sha256=open_session.inventory_sha256,
        )
    assert refused.value.code == "snapshot_changed"


def test_an_operator_cannot_witness(open_session, operator):
    with pytest.raises(NotAllowed):
        lottery_session_confirm(
            actor=operator,
            session=open_session,
            participants_sha256=open_session.participants_sha256,
            inventory_sha256=open_session.inventory_sha256,
        )


def test_the_entropy_is_nfc_normalised_and_fixes_the_seed_and_steps(v1_open_session, notary):
    open_session = v1_open_session
    lottery_session_confirm(
        actor=notary,
        session=open_session,
        participants_sha256=open_session.participants_sha256,
        inventory_sha256=open_session.inventory_sha256,
    )
    with pytest.raises(RuleViolation) as refused:
        lottery_session_enter_entropy(actor=notary, session=open_session, witness_entropy="   ")
    assert refused.value.code == "entropy_blank"
    decomposed = unicodedata.normalize("NFD", "骰子 é 3 5")
    session = lottery_session_enter_entropy(
        actor=notary, session=open_session, witness_entropy=f" {decomposed} "
    )
    assert session.witness_entropy == unicodedata.normalize("NFC", "骰子 é 3 5")
    secret = bytes.fromhex(session.server_secret)
    assert session.seed == algorithm.seed_of(secret, "骰子 é 3 5").hex()
    assert session.steps == algorithm.draw_all(bytes.fromhex(session.seed), session.participants)
    assert session.status == SessionStatus.DRAWING and session.entropy_by == notary


def test_entropy_before_confirmation_is_refused(open_session, notary):
    with pytest.raises(RuleViolation) as refused:
        lottery_session_enter_entropy(actor=notary, session=open_session, witness_entropy="1 2 3")
    assert refused.value.code == "wrong_status"


# -- sign-off -------------------------------------------------------------------------------


def test_sign_off_is_refused_before_every_draw_is_revealed(drawing_session, operator, notary):
    lottery_draw_next(actor=operator, session=drawing_session, expected_position=1)
    with pytest.raises(RuleViolation) as refused:
        lottery_session_sign_off(actor=notary, session=drawing_session, witnesses="王某")
    assert refused.value.code == "draws_remaining"


def test_the_notary_who_operated_cannot_sign(drawing_session, roles, notary):
    both = make_user("both_hats", "operator", "notary")
    lottery_draw_remaining(actor=both, session=drawing_session)
    with pytest.raises(NotAllowed) as refused:
        lottery_session_sign_off(actor=both, session=drawing_session, witnesses="王某")
    assert refused.value.code == "four_eyes"
    signed = lottery_session_sign_off(actor=notary, session=drawing_session, witnesses="王某")
    assert signed.status == SessionStatus.SIGNED


def test_sign_off_needs_the_witnesses(drawing_session, operator, notary):
    lottery_draw_remaining(actor=operator, session=drawing_session)
    with pytest.raises(RuleViolation) as refused:
        lottery_session_sign_off(actor=notary, session=drawing_session, witnesses=" ")
    assert refused.value.code == "witnesses_blank"


def test_signing_off_stores_the_bundle_and_allocates_the_apartments(signed_session):
    assert signed_session.signed_by is not None and signed_session.closed_at is not None
    assert signed_session.bundle_sha256 == algorithm.sha256_hex(
        algorithm.canonical_json(signed_session.bundle)
    )
    allocated = Apartment.objects.filter(status=ApartmentStatus.ALLOCATED)
    assert allocated.count() == Allocation.objects.filter(session=signed_session).count() == 16
    assert not Allocation.objects.filter(session=signed_session, binding=False).exists()


def test_after_sign_off_the_services_refuse_everything(signed_session, operator, notary, leader):
    with pytest.raises(RuleViolation):
        lottery_session_void(actor=leader, session=signed_session, reason="重来")
    with pytest.raises(RuleViolation):
        lottery_pause(actor=operator, session=signed_session)
    with pytest.raises(RuleViolation):
        lottery_session_sign_off(actor=notary, session=signed_session, witnesses="x")


def test_signed_households_do_not_take_part_again(signed_session, lottery_project, leader):
    with pytest.raises(RuleViolation) as refused:
        create_session(lottery_project, leader, code="S3")
    assert refused.value.code == "no_participants"


# -- rehearsals and voiding -----------------------------------------------------------------


def test_a_rehearsal_is_never_binding(lottery_project, leader, notary, operator):
    session = start_drawing(
        create_session(lottery_project, leader, code="R1", rehearsal=True), notary
    )
    lottery_draw_remaining(actor=operator, session=session)
    signed = lottery_session_sign_off(actor=notary, session=session, witnesses="演练")
    assert signed.status == SessionStatus.SIGNED and signed.rehearsal
    assert signed.bundle["session"]["rehearsal"] is True
    assert Allocation.objects.filter(session=session).count() == 16
    assert not Allocation.objects.filter(binding=True).exists()
    assert not Apartment.objects.filter(status=ApartmentStatus.ALLOCATED).exists()
    # The real session afterwards has everyone and everything.
    real = create_session(lottery_project, leader, code="S1")
    assert len(real.participants) == 12 and len(real.inventory) == 24


def test_voiding_needs_a_written_reason(drawing_session, leader):
    with pytest.raises(RuleViolation) as refused:
        lottery_session_void(actor=leader, session=drawing_session, reason="  ")
    assert refused.value.code == "reason_required"
    drawing_session.refresh_from_db()
    assert drawing_session.status == SessionStatus.DRAWING


def test_voiding_releases_the_apartments_and_a_new_session_gets_a_new_commitment(
    drawing_session, lottery_project, operator, notary, leader
):
    lottery_draw_remaining(actor=operator, session=drawing_session)
    assert Allocation.objects.filter(session=drawing_session, binding=True).count() == 16
    voided = lottery_session_void(actor=notary, session=drawing_session, reason="现场停电,摇号中断")
    assert voided.status == SessionStatus.VOIDED and voided.voided_by == notary
    assert voided.void_reason == "现场停电,摇号中断"
    assert not Allocation.objects.filter(binding=True).exists()
    again = create_session(lottery_project, leader, code="S1B", replaces=voided)
    assert again.replaces == voided
    assert again.commitment != voided.commitment
    assert again.server_secret != voided.server_secret
    assert len(again.participants) == 12 and len(again.inventory) == 24


def test_only_a_voided_session_can_be_replaced(open_session, lottery_project, leader):
    with pytest.raises(RuleViolation) as refused:
        create_session(lottery_project, leader, code="S1B", rehearsal=True, replaces=open_session)
    assert "未作废" in refused.value.message


def test_an_operator_cannot_void(drawing_session, operator):
    with pytest.raises(NotAllowed):
        lottery_session_void(actor=operator, session=drawing_session, reason="x")


def test_a_late_household_in_another_group_does_not_change_an_open_session(
    open_session, lottery_project, clerk
):
    make_participant(
        lottery_project.groups[0], "H1199", {"T90": 1}, actor=clerk, types=lottery_project.types
    )
    open_session.refresh_from_db()
    assert "H1199" not in [p["code"] for p in open_session.participants]
    assert LotterySession.objects.get(pk=open_session.pk).participants_sha256 == (
        open_session.participants_sha256
    )
