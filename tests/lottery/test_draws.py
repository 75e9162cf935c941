"""In the hall: check-in, draws revealed one by one in call order, proxies, pause, picks."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext

from households.models import Household, Member
from lottery import algorithm
from lottery.models import Allocation, CheckIn, Reveal
from lottery.selectors.draws import call_order, scheme_for
from lottery.selectors.sessions import session_state
from lottery.services.check_in import lottery_check_in
from lottery.services.draws import (
    lottery_draw_next,
    lottery_draw_remaining,
    lottery_pause,
    lottery_pick,
    lottery_resume,
)
from lottery.services.sessions import lottery_session_confirm
from lottery.services.sign_off import lottery_session_sign_off
from publicity.pdf.notices import lookup_code_display
from resettlement.errors import NotAllowed, RuleViolation
from tests.lottery.factories import create_session, pick_all, start_drawing


def draw(session, operator, position):
    return lottery_draw_next(actor=operator, session=session, expected_position=position)


def check_in(session, operator, credential, **kwargs):
    kwargs.setdefault("attendee", "王建国")
    kwargs.setdefault("identity_confirmed", True)
    return lottery_check_in(actor=operator, session=session, credential=credential, **kwargs)


def notary_who_operates(notary):
    """The witnessing notary given the operator role too (fresh, without cached perms)."""
    notary.groups.add(Group.objects.get(name="operator"))
    return type(notary).objects.get(pk=notary.pk)


# -- check-in -------------------------------------------------------------------------------


def test_check_in_by_the_notice_code(open_session, operator):
    household = Household.objects.get(code="H1101")
    made = check_in(open_session, operator, household.lookup_code.lower())
    assert made.household == household and made.method == "notice_code"
    assert made.checked_in_by == operator


def test_check_in_takes_the_code_exactly_as_printed_on_the_notice(open_session, operator):
    household = Household.objects.get(code="H1101")
    printed = lookup_code_display(household.lookup_code)  # e.g. LAM8-3DUZ-L6
    assert "-" in printed
    made = check_in(open_session, operator, printed)
    assert made.household == household and made.method == "notice_code"


def test_check_in_takes_the_printed_code_read_aloud_with_spaces_in_lower_case(
    open_session, operator
):
    household = Household.objects.get(code="H1101")
    typed = " " + lookup_code_display(household.lookup_code).replace("-", " ").lower() + " "
    assert check_in(open_session, operator, typed).household == household


def test_check_in_by_a_members_id_number_typed_full_width(open_session, operator):
    member = Member.objects.get(household__code="H2102")
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in member.id_number)
    made = check_in(open_session, operator, f" {full_width} ")
    assert made.household.code == "H2102" and made.method == "id_number"


def test_check_in_needs_the_identity_confirmed(open_session, operator):
    household = Household.objects.get(code="H1101")
    with pytest.raises(RuleViolation) as refused:
        check_in(open_session, operator, household.lookup_code, identity_confirmed=False)
    assert refused.value.code == "identity_not_confirmed"
    assert not CheckIn.objects.exists()


def test_check_in_twice_or_of_a_stranger_is_refused(open_session, operator, lottery_project):
    household = Household.objects.get(code="H1101")
    check_in(open_session, operator, household.lookup_code)
    with pytest.raises(RuleViolation) as twice:
        check_in(open_session, operator, household.lookup_code)
    assert twice.value.code == "already_checked_in" and "H1101" in twice.value.message
    with pytest.raises(RuleViolation) as unknown:
        check_in(open_session, operator, "ZZZZZZZZZZ")
    assert unknown.value.code == "credential_unknown"


def test_check_in_of_a_household_outside_the_session_is_refused(lottery_project, leader, operator):
    session = create_session(lottery_project, leader, communities=lottery_project.communities[:1])
    outside = Household.objects.get(code="H2101")
    with pytest.raises(RuleViolation) as refused:
        check_in(session, operator, outside.lookup_code)
    assert refused.value.code == "not_participant" and "H2101" in refused.value.message


def test_the_witnessing_notary_cannot_check_in(drawing_session, roles, notary):
    both = notary_who_operates(notary)
    household = Household.objects.get(code="H1101")
    with pytest.raises(NotAllowed) as refused:
        check_in(drawing_session, both, household.lookup_code)
    assert refused.value.code == "four_eyes"


# -- draws ----------------------------------------------------------------------------------


def test_draws_follow_the_call_order_one_by_one(drawing_session, operator):
    order = call_order(drawing_session)
    # village (2 communities) + 2 group steps of 2 + 12 households
    assert len(order) == 2 + 4 + 12
    assert [i.level for i in order[:2]] == ["village", "village"]
    assert [i.position for i in order] == list(range(1, 19))
    for item in order[:5]:
        reveal = draw(drawing_session, operator, item.position)
        assert (reveal.position, reveal.step_label, reveal.rank, reveal.participant) == (
            item.position,
            item.step_label,
            item.rank,
            item.participant,
        )
        assert reveal.revealed_by == operator


def test_a_draw_costs_the_same_queries_first_and_last(drawing_session, operator):
    order = call_order(drawing_session)
    households = [i for i in order if i.level == "household"]
    for household in Household.objects.filter(code__in=[h.participant for h in households[:6]]):
        check_in(drawing_session, operator, household.lookup_code)

    def queries_to_draw(position: int) -> int:
        with CaptureQueriesContext(connection) as captured:
            lottery_draw_next(actor=operator, session=drawing_session, expected_position=position)
        return len(captured.captured_queries)

    for position in range(1, households[0].position):
        queries_to_draw(position)
    first = queries_to_draw(households[0].position)
    for position in range(households[0].position + 1, len(order)):
        queries_to_draw(position)
    assert queries_to_draw(len(order)) == first <= 11


def test_a_stale_expected_position_is_refused_cleanly(drawing_session, operator):
    draw(drawing_session, operator, 1)
    with pytest.raises(RuleViolation) as again:
        draw(drawing_session, operator, 1)
    assert again.value.code == "already_drawn"
    with pytest.raises(RuleViolation) as ahead:
        draw(drawing_session, operator, 5)
    assert ahead.value.code == "already_drawn"
    assert Reveal.objects.filter(session=drawing_session).count() == 1


def test_direct_mode_household_draws_give_the_schemes_apartments(drawing_session, operator):
    scheme = scheme_for(drawing_session)
    order = call_order(drawing_session)
    for item in order:
        draw(drawing_session, operator, item.position)
    for item in order:
        if item.level != "household":
            continue
        rows = Allocation.objects.filter(session=drawing_session, household__code=item.participant)
        assert sorted(r.apartment.code for r in rows) == sorted(scheme.allocation[item.participant])
        assert {r.sequence for r in rows} == {item.position}
        assert all(r.binding for r in rows)


def test_absent_households_are_drawn_by_proxy_and_marked(drawing_session, operator):
    present = Household.objects.get(code="H1101")
    check_in(drawing_session, operator, present.lookup_code)
    lottery_draw_remaining(actor=operator, session=drawing_session)
    proxies = dict(
        Reveal.objects.filter(
            session=drawing_session, step_label__contains="household/"
        ).values_list("participant", "proxy")
    )
    assert proxies.pop("H1101") is False
    assert set(proxies.values()) == {True}
    others = Reveal.objects.exclude(step_label__contains="household/")
    assert not others.filter(session=drawing_session, proxy=True).exists()
    assert Allocation.objects.filter(household=present, proxy=False).exists()
    assert not Allocation.objects.filter(household=present, proxy=True).exists()


def test_drawing_the_rest_in_bulk_equals_drawing_one_by_one(drawing_session, operator):
    draw(drawing_session, operator, 1)
    draw(drawing_session, operator, 2)
    assert lottery_draw_remaining(actor=operator, session=drawing_session) == 16
    assert lottery_draw_remaining(actor=operator, session=drawing_session) == 0
    rows = list(
        Reveal.objects.filter(session=drawing_session)
        .order_by("position")
        .values_list("position", "step_label", "rank", "participant")
    )
    assert rows == [
        (i.position, i.step_label, i.rank, i.participant) for i in call_order(drawing_session)
    ]
    scheme = scheme_for(drawing_session)
    made = {}
    for household, apartment in Allocation.objects.filter(session=drawing_session).values_list(
        "household__code", "apartment__code"
    ):
        made.setdefault(household, []).append(apartment)
    assert {h: sorted(a) for h, a in made.items()} == {
        h: sorted(a) for h, a in scheme.allocation.items()
    }
    with pytest.raises(RuleViolation) as done:
        draw(drawing_session, operator, 19)
    assert done.value.code == "all_drawn"


def test_a_paused_session_refuses_draws_until_resumed(drawing_session, operator):
    lottery_pause(actor=operator, session=drawing_session)
    with pytest.raises(RuleViolation) as refused:
        draw(drawing_session, operator, 1)
    assert refused.value.code == "paused"
    with pytest.raises(RuleViolation):
        lottery_draw_remaining(actor=operator, session=drawing_session)
    with pytest.raises(RuleViolation):
        lottery_pause(actor=operator, session=drawing_session)
    lottery_resume(actor=operator, session=drawing_session)
    assert draw(drawing_session, operator, 1).position == 1


def test_pause_only_while_drawing(open_session, operator):
    with pytest.raises(RuleViolation) as refused:
        lottery_pause(actor=operator, session=open_session)
    assert refused.value.code == "wrong_status"


def test_draws_need_the_operator_role_and_not_the_witness(drawing_session, notary, leader):
    with pytest.raises(NotAllowed):
        draw(drawing_session, leader, 1)
    both = notary_who_operates(notary)
    with pytest.raises(NotAllowed) as four_eyes:
        draw(drawing_session, both, 1)
    assert four_eyes.value.code == "four_eyes"


def test_draws_before_the_entropy_are_refused(open_session, operator):
    with pytest.raises(RuleViolation) as refused:
        draw(open_session, operator, 1)
    assert refused.value.code == "public_value_missing"


def test_draws_of_a_v1_session_before_the_entropy_are_refused(v1_open_session, operator):
    with pytest.raises(RuleViolation) as refused:
        draw(v1_open_session, operator, 1)
    assert refused.value.code == "wrong_status"


def test_a_fixed_village_order_has_no_village_reveals(lottery_project, leader, notary):
    session = start_drawing(
        create_session(lottery_project, leader, fixed_village_order=["C2", "C1"]), notary
    )
    order = call_order(session)
    assert len(order) == 4 + 12
    assert order[0].level == "group" and order[0].step_label == "group/C2"


# -- order-then-choose ----------------------------------------------------------------------


def _picker(session):
    session.refresh_from_db()
    return session_state(session, public=False)["next_picker"]


def test_choose_mode_draws_give_no_apartments(choose_session, operator):
    lottery_draw_remaining(actor=operator, session=choose_session)
    assert not Allocation.objects.filter(session=choose_session).exists()


def test_households_pick_in_call_order_inside_their_groups_share(choose_session, operator):
    order = [i for i in call_order(choose_session) if i.level == "household"]
    first = order[0]
    # Not yet revealed: no pick.
    picker = _picker(choose_session)
    assert picker["household"] == first.participant and picker["revealed"] is False
    household = Household.objects.get(code=first.participant)
    with pytest.raises(RuleViolation) as early:
        lottery_pick(
            actor=operator,
            session=choose_session,
            household=household,
            apartment_codes=[a["code"] for a in picker["free_apartments"]][:1],
            expected_sequence=first.position,
        )
    assert early.value.code == "not_revealed"
    lottery_draw_remaining(actor=operator, session=choose_session)
    picker = _picker(choose_session)
    demand = picker["demand"]
    wanted = dict(demand)
    codes = []
    for apartment in picker["free_apartments"]:
        if wanted.get(apartment["type"], 0) > 0:
            wanted[apartment["type"]] -= 1
            codes.append(apartment["code"])
    # The second household cannot jump the queue.
    second = Household.objects.get(code=order[1].participant)
    with pytest.raises(RuleViolation) as jump:
        lottery_pick(
            actor=operator,
            session=choose_session,
            household=second,
            apartment_codes=codes,
            expected_sequence=first.position,
        )
    assert jump.value.code == "not_next_picker"
    made = lottery_pick(
        actor=operator,
        session=choose_session,
        household=household,
        apartment_codes=codes,
        expected_sequence=first.position,
    )
    assert sorted(a.apartment.code for a in made) == sorted(codes)
    assert all(a.proxy and a.binding and a.sequence == first.position for a in made)
    with pytest.raises(RuleViolation) as again:
        lottery_pick(
            actor=operator,
            session=choose_session,
            household=household,
            apartment_codes=codes,
            expected_sequence=first.position,
        )
    assert again.value.code == "already_picked"


def test_a_pick_outside_the_share_or_of_the_wrong_types_is_refused(choose_session, operator):
    lottery_draw_remaining(actor=operator, session=choose_session)
    picker = _picker(choose_session)
    household = Household.objects.get(code=picker["household"])
    scheme = scheme_for(choose_session)
    elsewhere = next(
        a["code"]
        for group, share in scheme.group_shares.items()
        if group != picker["group"]
        for a in share
    )

    def pick(codes):
        with pytest.raises(RuleViolation) as refused:
            lottery_pick(
                actor=operator,
                session=choose_session,
                household=household,
                apartment_codes=codes,
                expected_sequence=picker["sequence"],
            )
        return refused.value

    assert pick([elsewhere]).code == "not_in_share"
    assert pick([]).code == "pick_empty"
    free = picker["free_apartments"]
    wrong = [a["code"] for a in free if a["type"] not in picker["demand"]][:1] or [
        a["code"] for a in free
    ]
    assert pick(wrong).code == "pick_wrong_types"
    assert not Allocation.objects.filter(session=choose_session).exists()


def test_a_whole_choose_session_signs_off_and_verifies(choose_session, operator, notary):
    lottery_draw_remaining(actor=operator, session=choose_session)
    with pytest.raises(RuleViolation) as early:
        lottery_session_sign_off(actor=notary, session=choose_session, witnesses="王某")
    assert early.value.code == "picks_remaining"
    pick_all(choose_session, operator)
    signed = lottery_session_sign_off(actor=notary, session=choose_session, witnesses="王某")
    assert len(signed.bundle["picks"]) == 12
    scheme = scheme_for(signed)
    picks = signed.bundle["picks"]
    expected = algorithm.check_picks(scheme, signed.participants, signed.steps, picks)
    assert {r["household"]: r["apartments"] for r in signed.bundle["allocation"]} == {
        h: sorted(a) for h, a in expected.items()
    }


def test_picks_are_refused_in_direct_mode(drawing_session, operator):
    with pytest.raises(RuleViolation) as refused:
        lottery_pick(
            actor=operator,
            session=drawing_session,
            household=Household.objects.get(code="H1101"),
            apartment_codes=["E1-1-1-101"],
            expected_sequence=1,
        )
    assert refused.value.code == "not_choose_mode"


def test_whoever_checked_households_in_cannot_witness(open_session, notary):
    both = notary_who_operates(notary)
    check_in(open_session, both, Household.objects.get(code="H1101").lookup_code)
    with pytest.raises(NotAllowed) as refused:
        lottery_session_confirm(
            actor=both,
            session=open_session,
            participants_sha256=open_session.participants_sha256,
            inventory_sha256=open_session.inventory_sha256,
        )
    assert refused.value.code == "four_eyes"
