"""Registration (登记): a household and its members are saved whole or not at all; later
changes reopen review; the entitlement follows from the passed members."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from households.models import Household, HouseholdStatus, Member, ReviewStatus
from households.services import members as households_members
from households.services import registration, review
from resettlement.errors import RuleViolation
from tests.households.factories import (
    ProjectFactory,
    VillagerGroupFactory,
    hand_in_documents,
    member_data,
)


def a_family() -> list[dict]:
    """Head, wife and their son, all born here and qualified."""
    return [
        member_data(name="张三", birth_date=dt.date(1965, 4, 2)),
        member_data(relation="spouse", name="李四妹", sex="F", birth_date=dt.date(1967, 8, 19)),
        member_data(
            relation="child",
            name="张小明",
            birth_date=dt.date(1992, 1, 5),
            marital_status="unmarried",
        ),
    ]


def refusal(call, *args, **kwargs) -> RuleViolation:
    with pytest.raises(RuleViolation) as error:
        call(*args, **kwargs)
    return error.value


def problems(error: RuleViolation) -> set[tuple[int | None, str]]:
    """(member index or None for the household, field) of every problem reported."""
    return {(detail.get("member"), detail["field"]) for detail in error.details}


# Registering a household


def test_registering_saves_the_household_with_every_member_and_their_verdicts(register, clerk):
    household = register(members=a_family(), code="NGH-0001")

    household = Household.objects.get(pk=household.pk)
    assert household.code == "NGH-0001"
    assert household.status == HouseholdStatus.REGISTERED
    assert household.registered_by == clerk
    assert household.demolished_area == Decimal("180.50")
    members = list(household.members.order_by("id"))
    assert [m.name for m in members] == ["张三", "李四妹", "张小明"]
    assert all(m.entered_by == clerk for m in members)
    assert all(m.review_status == ReviewStatus.PENDING for m in members)
    assert all(m.verdict_qualified and len(m.verdict_checks) == 5 for m in members)
    assert household.history.first().history_change_reason == "登记"


def test_a_lowercase_x_in_an_id_number_is_saved_upper_case(register):
    household = register(
        members=[
            member_data(id_number="11010519491231002x", sex="F", birth_date=dt.date(1949, 12, 31))
        ]
    )
    assert household.members.get().id_number == "11010519491231002X"


def test_one_invalid_member_means_nothing_is_saved_and_every_problem_is_listed(register):
    family = a_family()
    family[1]["id_number"] = family[1]["id_number"][:17] + (
        "0" if family[1]["id_number"][17] != "0" else "1"
    )
    family[1]["name"] = ""
    family[2]["birth_date"] = dt.date(1992, 1, 6)
    family[2]["hukou_nature"] = "城镇"

    error = refusal(register, members=family, phone="12345")

    assert error.code == "invalid_input"
    assert problems(error) == {
        (None, "phone"),
        (1, "id_number"),
        (1, "name"),
        (2, "birth_date"),
        (2, "hukou_nature"),
    }
    assert "共 5 处" in error.message
    assert Household.objects.count() == 0
    assert Member.objects.count() == 0


def test_a_household_without_members_is_refused(register):
    error = refusal(register, members=[])
    assert problems(error) == {(None, "members")}


def test_a_household_without_a_head_is_refused(register):
    family = a_family()
    family[0]["relation"] = "parent"
    error = refusal(register, members=family)
    assert problems(error) == {(0, "relation")}
    assert "没有户主" in error.details[0]["message"]
    assert Household.objects.count() == 0


def test_a_household_with_two_heads_is_refused_on_the_second(register):
    family = a_family()
    family[2]["relation"] = "head"
    error = refusal(register, members=family)
    assert problems(error) == {(2, "relation")}
    assert Household.objects.count() == 0


def test_the_same_id_number_twice_in_one_household_is_refused(register):
    family = a_family()
    family[2] = {**family[2], "id_number": family[0]["id_number"], "birth_date": ""}
    error = refusal(register, members=family)
    assert {(d["member"], d["field"], d["code"]) for d in error.details} == {
        (2, "id_number", "duplicate_id")
    }


def test_an_id_number_already_registered_in_the_project_is_refused_naming_the_household(
    register,
):
    first = register(code="NGH-0001")
    head = first.members.get()

    error = refusal(
        register,
        code="NGH-0002",
        members=[member_data(id_number=head.id_number, birth_date=head.birth_date)],
    )

    assert [(d["member"], d["field"], d["code"]) for d in error.details] == [
        (0, "id_number", "duplicate_id")
    ]
    assert "NGH-0001" in error.details[0]["message"]
    assert Household.objects.count() == 1


def test_a_household_code_already_used_in_the_project_is_refused(register):
    register(code="NGH-0001")
    assert problems(refusal(register, code="NGH-0001")) == {(None, "code")}


def test_the_database_keeps_id_numbers_unique_per_project_even_without_the_service(register):
    head = register().members.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        Member.objects.create(
            project=head.project,
            household=head.household,
            name="冒名",
            id_number=head.id_number,
            sex=head.sex,
            birth_date=head.birth_date,
            relation="other",
            hukou_nature="agricultural",
            entered_by=head.entered_by,
        )
    assert Member.objects.filter(id_number=head.id_number).count() == 1


def test_the_same_id_number_may_be_registered_in_a_different_project(register, register_in):
    head = register().members.get()
    elsewhere = VillagerGroupFactory()

    again = register_in(
        elsewhere, members=[member_data(id_number=head.id_number, birth_date=head.birth_date)]
    )

    assert again.members.get().id_number == head.id_number
    assert again.project != head.project


def test_a_community_from_another_project_is_refused(clerk, group):
    foreign = VillagerGroupFactory()
    error = refusal(
        registration.household_register,
        actor=clerk,
        project=group.project,
        community=foreign.community,
        group=group,
        household={"code": "NGH-0009"},
        members=[member_data()],
    )
    assert problems(error) == {(None, "community"), (None, "group")}


def test_a_new_spouse_must_have_the_date_their_hukou_moved_in(register):
    family = a_family()
    family[1]["special_status"] = "new_spouse"
    family[1]["hukou_moved_in"] = None
    error = refusal(register, members=family)
    assert problems(error) == {(1, "hukou_moved_in")}


def test_a_new_spouse_must_be_married(register):
    family = a_family()
    family[1].update(
        special_status="new_spouse", hukou_moved_in=dt.date(2013, 8, 8), marital_status="unmarried"
    )
    assert problems(refusal(register, members=family)) == {(1, "marital_status")}


# Changes after review or approval reopen review (重新审核)


def test_changing_a_member_after_approval_reopens_review(register, approve, other_clerk, reviewer):
    household = approve(register(members=a_family()))
    assert household.entitlement_area is not None
    son = household.members.get(name="张小明")

    households_members.member_update(
        actor=other_clerk,
        member=son,
        data={"hukou_moved_out": dt.date(2013, 3, 1)},
        reason="派出所出具户口迁出证明",
    )

    household.refresh_from_db()
    son.refresh_from_db()
    assert household.status == HouseholdStatus.REGISTERED
    assert household.approved_by is None
    assert household.approved_at is None
    assert household.resettlement_population is None
    assert household.entitlement_area is None
    assert son.review_status == ReviewStatus.PENDING
    assert son.reviewed_by is None
    assert son.review_reason == ""
    assert son.verdict_failures == ",HUKOU_MOVED_OUT,"
    assert son.entered_by != other_clerk  # who entered it stays on record
    assert other_clerk.pk in son.editor_ids  # and who changed it is added
    # The other members keep their passes; only the changed one waits for review.
    assert household.members.filter(review_status=ReviewStatus.PASSED).count() == 2


def test_the_history_records_why_a_member_and_household_changed(register, approve, other_clerk):
    household = approve(register(members=a_family()))
    son = household.members.get(name="张小明")

    households_members.member_update(
        actor=other_clerk,
        member=son,
        data={"hukou_moved_out": dt.date(2013, 3, 1)},
        reason="派出所出具户口迁出证明",
    )

    latest = son.history.first()
    assert "hukou_moved_out" in latest.history_change_reason
    assert "重新审核" in latest.history_change_reason
    assert "派出所出具户口迁出证明" in latest.history_change_reason
    assert latest.history_user == other_clerk
    assert latest.hukou_moved_out == dt.date(2013, 3, 1)
    assert son.history.count() == 3  # registered, passed, changed
    reopened = household.history.first()
    assert reopened.history_change_reason == "成员 张小明 信息变更,重新审核"
    assert reopened.status == HouseholdStatus.REGISTERED


def test_saving_a_member_unchanged_keeps_the_approval(register, approve, other_clerk):
    household = approve(register())
    head = household.members.get()

    households_members.member_update(actor=other_clerk, member=head, data={"name": " 张三 "})

    household.refresh_from_db()
    assert household.status == HouseholdStatus.APPROVED
    assert head.history.count() == 2


def test_changing_a_member_to_an_id_already_in_the_project_is_refused(register, other_clerk):
    first = register().members.get()
    second = register(
        members=[member_data(name="赵六", birth_date=dt.date(1980, 1, 1))]
    ).members.get()

    error = refusal(
        households_members.member_update,
        actor=other_clerk,
        member=second,
        data={"id_number": first.id_number, "birth_date": first.birth_date},
    )

    assert [(d["field"], d["code"]) for d in error.details] == [("id_number", "duplicate_id")]
    second.refresh_from_db()
    assert second.name == "赵六"


def test_adding_a_member_after_approval_reopens_review(register, approve, other_clerk):
    household = approve(register())

    baby = households_members.member_add(
        actor=other_clerk,
        household=household,
        data=member_data(
            relation="child",
            name="张小宝",
            birth_date=dt.date(2013, 10, 1),
            marital_status="unmarried",
            special_status="newborn",
        ),
        reason="新生儿落户",
    )

    household.refresh_from_db()
    assert household.status == HouseholdStatus.REGISTERED
    assert household.entitlement_area is None
    assert baby.verdict_qualified
    assert baby.review_status == ReviewStatus.PENDING


def test_adding_a_second_head_is_refused_with_a_clear_message(register, other_clerk):
    household = register()

    error = refusal(
        households_members.member_add,
        actor=other_clerk,
        household=household,
        data=member_data(relation="head", name="张二", birth_date=dt.date(1972, 2, 2)),
    )

    assert error.code == "one_head"
    assert household.members.count() == 1


def test_making_a_second_member_head_is_refused_with_a_clear_message(register, other_clerk):
    household = register(members=a_family())
    son = household.members.get(name="张小明")

    error = refusal(
        households_members.member_update, actor=other_clerk, member=son, data={"relation": "head"}
    )

    assert error.code == "one_head"
    son.refresh_from_db()
    assert son.relation == "child"


def test_the_head_cannot_be_removed_while_the_household_has_no_other_head(register, other_clerk):
    household = register(members=a_family())
    head = household.members.get(relation="head")

    error = refusal(households_members.member_remove, actor=other_clerk, member=head)

    assert error.code == "one_head"
    assert household.members.count() == 3


def test_removing_a_member_after_approval_sends_the_household_back_to_the_leader(
    register, approve, other_clerk, leader
):
    household = approve(register(members=a_family()))

    households_members.member_remove(
        actor=other_clerk, member=household.members.get(name="张小明"), reason="已迁往外地落户"
    )

    household.refresh_from_db()
    assert household.members.count() == 2
    # The others' findings still hold, so it waits for approval, not for review.
    assert household.status == HouseholdStatus.REVIEWED
    assert household.entitlement_area is None
    hand_in_documents(household)
    review.household_approve(actor=leader, household=household)
    household.refresh_from_db()
    assert (household.resettlement_population, household.entitlement_area) == (
        2,
        Decimal("100.00"),
    )


# Entitlement (应安置面积) arithmetic: 50 ㎡ a person, 20 ㎡ one-child bonus, 15 ㎡ single


@pytest.fixture
def policy():
    return ProjectFactory.build(
        area_per_person=Decimal("50.00"),
        one_child_bonus_area=Decimal("20.00"),
        single_person_bonus_area=Decimal("15.00"),
    )


def passed(one_child_certificate: bool = False) -> Member:
    return Member(review_status=ReviewStatus.PASSED, one_child_certificate=one_child_certificate)


def rejected(one_child_certificate: bool = False) -> Member:
    return Member(review_status=ReviewStatus.REJECTED, one_child_certificate=one_child_certificate)


def test_three_passed_members_are_entitled_to_three_times_the_area_per_person(policy):
    assert review.entitlement_for(policy, [passed(), passed(), passed()]) == (
        3,
        Decimal("150.00"),  # 3 × 50
    )


def test_rejected_and_pending_members_do_not_count(policy):
    pending = Member(review_status=ReviewStatus.PENDING)
    members = [passed(), passed(), rejected(), pending]
    assert review.entitlement_for(policy, members) == (2, Decimal("100.00"))  # 2 × 50


def test_the_one_child_bonus_is_added_once_per_household(policy):
    # Both parents hold the certificate: 3 × 50 + 20 = 170, not 190.
    members = [passed(True), passed(True), passed()]
    assert review.entitlement_for(policy, members) == (3, Decimal("170.00"))


def test_a_one_child_certificate_held_only_by_a_rejected_member_earns_no_bonus(policy):
    assert review.entitlement_for(policy, [passed(), passed(), rejected(True)]) == (
        2,
        Decimal("100.00"),
    )


def test_a_single_person_household_gets_the_single_person_bonus(policy):
    assert review.entitlement_for(policy, [passed()]) == (1, Decimal("65.00"))  # 50 + 15


def test_a_single_person_with_a_one_child_certificate_gets_both_bonuses(policy):
    assert review.entitlement_for(policy, [passed(True)]) == (1, Decimal("85.00"))  # 50+20+15


def test_the_single_person_bonus_counts_passed_members_not_registered_ones(policy):
    assert review.entitlement_for(policy, [passed(), rejected()]) == (1, Decimal("65.00"))


def test_a_household_with_nobody_passed_is_entitled_to_nothing(policy):
    assert review.entitlement_for(policy, [rejected(True)]) == (0, Decimal("0.00"))


def test_fractional_areas_per_person_are_kept_to_the_hundredth(policy):
    policy.area_per_person = Decimal("43.75")
    assert review.entitlement_for(policy, [passed()] * 3) == (3, Decimal("131.25"))


def test_approval_stores_the_population_and_entitlement_area(register, approve, project):
    family = a_family()
    family[2]["one_child_certificate"] = True
    household = approve(register(members=family))

    assert household.status == HouseholdStatus.APPROVED
    assert household.resettlement_population == 3
    assert household.entitlement_area == Decimal("170.00")  # 3 × 50 + 20
    assert "170.00" in household.history.first().history_change_reason


def test_a_reviewer_who_rejects_someone_shrinks_the_entitlement(register, reviewer, leader):
    household = register(members=a_family())
    head, wife, son = household.members.order_by("id")
    review.member_review(actor=reviewer, member=head, decision=ReviewStatus.PASSED)
    review.member_review(actor=reviewer, member=wife, decision=ReviewStatus.PASSED)
    review.member_review(
        actor=reviewer, member=son, decision=ReviewStatus.REJECTED, reason="已在城区购买房改房"
    )

    hand_in_documents(household)
    review.household_approve(actor=leader, household=household)

    household.refresh_from_db()
    assert (household.resettlement_population, household.entitlement_area) == (
        2,
        Decimal("100.00"),
    )


def test_the_worked_example_in_the_qualification_guide(register, reviewer, leader):
    """docs/qualification.md §4: five registered, three passed, one-child bonus once."""
    household = register(
        code="NGH-0001",
        members=[
            member_data(name="张三", birth_date=dt.date(1965, 4, 2)),
            member_data(
                relation="spouse",
                name="李四妹",
                sex="F",
                birth_date=dt.date(1967, 8, 19),
                hukou_moved_in=dt.date(1988, 3, 8),
                one_child_certificate=True,
            ),
            member_data(
                relation="child",
                name="张小明",
                birth_date=dt.date(2005, 1, 5),
                marital_status="unmarried",
                one_child_certificate=True,
            ),
            member_data(
                relation="child_in_law",
                name="王丽",
                sex="F",
                birth_date=dt.date(1990, 5, 6),
                special_status="new_spouse",
                hukou_moved_in=dt.date(2014, 2, 14),
            ),
            member_data(
                relation="parent",
                name="张老汉",
                birth_date=dt.date(1940, 1, 1),
                hukou_moved_out=dt.date(2009, 6, 1),
                marital_status="widowed",
            ),
        ],
    )
    verdicts = {m.name: m.verdict_failures for m in household.members.all()}
    assert verdicts == {
        "张三": "",
        "李四妹": "",
        "张小明": "",
        "王丽": ",GROWTH_AFTER_DEADLINE,",
        "张老汉": ",HUKOU_MOVED_OUT,",
    }
    reasons = {"王丽": "婚入晚于自然增长截止日", "张老汉": "户口已迁往县城"}
    for member in household.members.all():
        decision = ReviewStatus.REJECTED if member.name in reasons else ReviewStatus.PASSED
        review.member_review(
            actor=reviewer, member=member, decision=decision, reason=reasons.get(member.name, "")
        )

    hand_in_documents(household)
    review.household_approve(actor=leader, household=household)

    household.refresh_from_db()
    assert household.resettlement_population == 3
    assert household.entitlement_area == Decimal("170.00")


def test_a_household_where_nobody_passed_is_approved_with_nothing(register, reviewer, leader):
    household = register(members=[member_data(housing_welfare="affordable")])
    review.member_review(
        actor=reviewer,
        member=household.members.get(),
        decision=ReviewStatus.REJECTED,
        reason="已购经济适用房",
    )

    hand_in_documents(household)
    review.household_approve(actor=leader, household=household)

    household.refresh_from_db()
    assert household.status == HouseholdStatus.APPROVED
    assert (household.resettlement_population, household.entitlement_area) == (
        0,
        Decimal("0.00"),
    )


def test_a_registration_racing_another_for_the_same_id_gets_a_message_not_an_error_page(
    register, monkeypatch
):
    first = register()
    taken = first.members.get().id_number
    # Simulate the other clerk's save landing between our check and our write.
    monkeypatch.setattr(registration, "id_numbers_taken", lambda *args, **kwargs: {})
    with pytest.raises(RuleViolation) as error:
        register(members=[member_data(id_number=taken)])
    assert error.value.code == "concurrent_registration"
    assert Household.objects.count() == 1


@pytest.mark.parametrize("written", ["2013-6-30", "2013/6/30", "2013.06.30", "20130630"])
def test_dates_are_read_the_ways_people_write_them(written):
    from households.validation import parse_date

    errors = []
    assert parse_date(written, "hukou_moved_in", errors) == dt.date(2013, 6, 30)
    assert errors == []


def test_an_impossible_date_is_named_in_the_error():
    from households.validation import parse_date

    errors = []
    assert parse_date("2013-02-30", "hukou_moved_in", errors) is None
    assert errors[0].field == "hukou_moved_in"
    assert "2013-02-30" in errors[0].message
