"""Four-eyes: who entered a record never reviews it; who reviewed it never approves it."""

import datetime as dt

import pytest

from households.models import Household, HouseholdStatus, Member, ReviewStatus
from households.services import members, review
from resettlement.errors import NotAllowed, RuleViolation
from tests.households.factories import hand_in_documents, member_data
from tests.people import make_user

HistoricalMember = Member.history.model


def test_reviewer_passes_and_leader_approves_a_household(register, reviewer, leader):
    household = register()
    head = household.members.get()
    review.member_review(actor=reviewer, member=head, decision=ReviewStatus.PASSED)
    household.refresh_from_db()
    assert household.status == HouseholdStatus.REVIEWED
    hand_in_documents(household)
    review.household_approve(actor=leader, household=household)
    household.refresh_from_db()
    assert household.status == HouseholdStatus.APPROVED
    assert household.resettlement_population == 1


def test_clerk_cannot_review_members_of_a_household_they_registered(register, all_hats):
    household = register(actor=all_hats)
    with pytest.raises(NotAllowed) as error:
        review.member_review(
            actor=all_hats, member=household.members.get(), decision=ReviewStatus.PASSED
        )
    assert error.value.code == "four_eyes"
    assert household.members.get().review_status == ReviewStatus.PENDING


# People who hold two roles at once: the rule is about the record, not the role.


@pytest.fixture
def clerk_and_reviewer(roles):
    return make_user("wu_clerk_reviewer", "clerk", "reviewer", first_name="吴登记兼审核")


@pytest.fixture
def reviewer_and_leader(roles):
    return make_user("zhou_reviewer_leader", "reviewer", "leader", first_name="周审核兼审批")


@pytest.fixture
def clerk_and_leader(roles):
    return make_user("zheng_clerk_leader", "clerk", "leader", first_name="郑登记兼审批")


def snapshot(household: Household) -> dict:
    """What a refused action must leave exactly as it was."""
    household = Household.objects.get(pk=household.pk)
    return {
        "household": (
            household.status,
            household.approved_by_id,
            household.resettlement_population,
            household.entitlement_area,
        ),
        "members": [
            (m.review_status, m.reviewed_by_id, m.review_reason, m.review_overridden)
            for m in household.members.order_by("id")
        ],
        "history": (household.history.count(), HistoricalMember.objects.count()),
    }


def refused(call, **kwargs) -> RuleViolation:
    with pytest.raises(RuleViolation) as error:
        call(**kwargs)
    return error.value


def test_a_clerk_who_is_also_a_reviewer_cannot_review_a_household_they_registered(
    register, clerk_and_reviewer
):
    household = register(actor=clerk_and_reviewer)
    before = snapshot(household)

    error = refused(
        review.member_review,
        actor=clerk_and_reviewer,
        member=household.members.get(),
        decision=ReviewStatus.PASSED,
    )

    assert error.code == "four_eyes"
    assert household.code in error.message
    assert snapshot(household) == before


def test_a_clerk_who_edited_a_member_cannot_review_that_member(
    register, clerk_and_reviewer, reviewer
):
    household = register(members=[member_data(), member_data(relation="spouse", sex="F")])
    head, wife = household.members.order_by("id")
    members.member_update(actor=clerk_and_reviewer, member=wife, data={"name": "李四妹"})
    before = snapshot(household)

    error = refused(
        review.member_review,
        actor=clerk_and_reviewer,
        member=wife,
        decision=ReviewStatus.PASSED,
    )

    assert error.code == "four_eyes"
    assert snapshot(household) == before
    # Someone else may review her; and the editor may still review the head, whom they
    # neither registered nor changed.
    review.member_review(actor=reviewer, member=wife, decision=ReviewStatus.PASSED)
    review.member_review(actor=clerk_and_reviewer, member=head, decision=ReviewStatus.PASSED)
    household.refresh_from_db()
    assert household.status == HouseholdStatus.REVIEWED


def test_a_clerk_who_added_a_member_cannot_review_that_member(register, clerk_and_reviewer):
    household = register()
    baby = members.member_add(
        actor=clerk_and_reviewer,
        household=household,
        data=member_data(
            relation="child",
            birth_date=dt.date(2013, 10, 1),
            marital_status="unmarried",
            special_status="newborn",
        ),
    )

    error = refused(review.member_review, actor=clerk_and_reviewer, member=baby, decision="passed")

    assert error.code == "four_eyes"


def test_a_reviewer_cannot_approve_a_household_whose_members_they_reviewed(
    register, reviewer_and_leader
):
    household = register()
    review.member_review(
        actor=reviewer_and_leader, member=household.members.get(), decision=ReviewStatus.PASSED
    )
    before = snapshot(household)

    error = refused(review.household_approve, actor=reviewer_and_leader, household=household)

    assert error.code == "four_eyes"
    assert snapshot(household) == before


def test_a_reviewer_of_only_one_member_still_cannot_approve_the_household(
    register, reviewer, reviewer_and_leader
):
    household = register(members=[member_data(), member_data(relation="spouse", sex="F")])
    head, wife = household.members.order_by("id")
    review.member_review(actor=reviewer, member=head, decision=ReviewStatus.PASSED)
    review.member_review(actor=reviewer_and_leader, member=wife, decision=ReviewStatus.PASSED)

    error = refused(review.household_approve, actor=reviewer_and_leader, household=household)

    assert error.code == "four_eyes"


def test_the_registrar_cannot_approve_their_own_household(register, clerk_and_leader, reviewer):
    household = register(actor=clerk_and_leader)
    review.member_review(
        actor=reviewer, member=household.members.get(), decision=ReviewStatus.PASSED
    )
    before = snapshot(household)

    error = refused(review.household_approve, actor=clerk_and_leader, household=household)

    assert error.code == "four_eyes"
    assert snapshot(household) == before


def test_a_clerk_who_changed_a_member_cannot_approve_the_household(
    register, clerk_and_leader, reviewer, leader
):
    household = register()
    head = household.members.get()
    members.member_update(actor=clerk_and_leader, member=head, data={"name": "张叁"})
    review.member_review(actor=reviewer, member=head, decision=ReviewStatus.PASSED)

    error = refused(review.household_approve, actor=clerk_and_leader, household=household)

    assert error.code == "four_eyes"
    hand_in_documents(household)
    review.household_approve(actor=leader, household=household)  # another leader may


def test_one_person_holding_every_role_cannot_take_a_household_through_alone(
    register, all_hats, reviewer
):
    household = register(actor=all_hats)
    review.member_review(
        actor=reviewer, member=household.members.get(), decision=ReviewStatus.PASSED
    )

    error = refused(review.household_approve, actor=all_hats, household=household)

    assert error.code == "four_eyes"


# A written reason for rejecting or overriding


def test_rejecting_without_a_reason_is_refused(register, reviewer):
    household = register()
    before = snapshot(household)

    error = refused(
        review.member_review,
        actor=reviewer,
        member=household.members.get(),
        decision=ReviewStatus.REJECTED,
    )

    assert error.code == "reason_required"
    assert [d["field"] for d in error.details] == ["reason"]
    assert snapshot(household) == before


def test_a_reason_of_only_spaces_is_no_reason(register, reviewer):
    household = register()
    error = refused(
        review.member_review,
        actor=reviewer,
        member=household.members.get(),
        decision=ReviewStatus.REJECTED,
        reason="   ",
    )
    assert error.code == "reason_required"


def test_passing_someone_the_rules_failed_without_a_reason_is_refused(register, reviewer):
    household = register(members=[member_data(hukou_moved_in=dt.date(2013, 7, 1))])
    before = snapshot(household)

    error = refused(
        review.member_review,
        actor=reviewer,
        member=household.members.get(),
        decision=ReviewStatus.PASSED,
    )

    assert error.code == "reason_required"
    assert snapshot(household) == before


def test_an_override_with_a_reason_is_recorded_as_an_override(register, reviewer):
    household = register(members=[member_data(hukou_moved_in=dt.date(2013, 7, 1))])

    member = review.member_review(
        actor=reviewer,
        member=household.members.get(),
        decision=ReviewStatus.PASSED,
        reason="派出所证明:2013年6月28日已受理迁入申请",
    )

    member.refresh_from_db()
    assert member.review_status == ReviewStatus.PASSED
    assert member.review_overridden
    assert member.review_reason == "派出所证明:2013年6月28日已受理迁入申请"
    assert member.reviewed_by == reviewer
    assert "改变系统判定" in member.history.first().history_change_reason


def test_rejecting_someone_the_rules_passed_is_an_override_too(register, reviewer):
    household = register()
    member = review.member_review(
        actor=reviewer,
        member=household.members.get(),
        decision=ReviewStatus.REJECTED,
        reason="实际长期居住在外省",
    )
    assert member.review_overridden


def test_a_decision_other_than_pass_or_reject_is_refused(register, reviewer):
    household = register()
    error = refused(
        review.member_review,
        actor=reviewer,
        member=household.members.get(),
        decision=ReviewStatus.PENDING,
        reason="再看看",
    )
    assert error.code == "bad_decision"


# Roles: nobody without the right role may register, review or approve


def test_a_user_with_no_role_cannot_register_a_household(register, outsider):
    error = refused(register, actor=outsider)
    assert isinstance(error, NotAllowed)
    assert error.code == "permission_denied"
    assert Household.objects.count() == 0


def test_a_user_with_no_role_cannot_review(register, outsider):
    household = register()
    before = snapshot(household)
    error = refused(
        review.member_review,
        actor=outsider,
        member=household.members.get(),
        decision=ReviewStatus.PASSED,
    )
    assert (type(error), error.code) == (NotAllowed, "permission_denied")
    assert snapshot(household) == before


def test_a_user_with_no_role_cannot_approve(register, reviewer, outsider):
    household = register()
    review.member_review(
        actor=reviewer, member=household.members.get(), decision=ReviewStatus.PASSED
    )
    before = snapshot(household)
    error = refused(review.household_approve, actor=outsider, household=household)
    assert (type(error), error.code) == (NotAllowed, "permission_denied")
    assert snapshot(household) == before


def test_a_clerk_cannot_review(register, other_clerk):
    household = register()
    error = refused(
        review.member_review,
        actor=other_clerk,
        member=household.members.get(),
        decision=ReviewStatus.PASSED,
    )
    assert error.code == "permission_denied"


def test_a_reviewer_cannot_approve(register, reviewer, roles):
    household = register()
    review.member_review(
        actor=reviewer, member=household.members.get(), decision=ReviewStatus.PASSED
    )
    second_reviewer = make_user("reviewer_qian", "reviewer")
    error = refused(review.household_approve, actor=second_reviewer, household=household)
    assert error.code == "permission_denied"


def test_a_reviewer_cannot_change_a_member(register, reviewer):
    household = register()
    error = refused(
        members.member_update,
        actor=reviewer,
        member=household.members.get(),
        data={"name": "改名"},
    )
    assert error.code == "permission_denied"
    assert household.members.get().name == "张三"


def test_a_deactivated_leader_cannot_approve(register, reviewer, leader):
    household = register()
    review.member_review(
        actor=reviewer, member=household.members.get(), decision=ReviewStatus.PASSED
    )
    leader.is_active = False
    leader.save()
    error = refused(review.household_approve, actor=leader, household=household)
    assert error.code == "permission_denied"


# Order of the steps


def test_a_household_cannot_be_approved_before_every_member_is_reviewed(register, reviewer, leader):
    household = register(members=[member_data(), member_data(relation="spouse", sex="F")])
    review.member_review(
        actor=reviewer, member=household.members.first(), decision=ReviewStatus.PASSED
    )
    before = snapshot(household)

    error = refused(review.household_approve, actor=leader, household=household)

    assert error.code == "not_reviewed"
    assert snapshot(household) == before


def test_an_approved_household_cannot_be_re_reviewed_without_a_change(register, reviewer, leader):
    household = register()
    head = household.members.get()
    review.member_review(actor=reviewer, member=head, decision=ReviewStatus.PASSED)
    hand_in_documents(household)
    review.household_approve(actor=leader, household=household)
    before = snapshot(household)

    error = refused(
        review.member_review,
        actor=reviewer,
        member=head,
        decision=ReviewStatus.REJECTED,
        reason="改变主意",
    )

    assert error.code == "already_approved"
    assert snapshot(household) == before


def test_a_clerk_who_added_a_member_cannot_review_it_after_another_clerk_edited_it(
    register, roles, other_clerk
):
    clerk_reviewer = make_user("clerk_reviewer", "clerk", "reviewer")
    household = register()
    added = members.member_add(
        actor=clerk_reviewer,
        household=household,
        data=member_data("child", name="张小红", birth_date=dt.date(1999, 1, 2), sex="F"),
    )
    members.member_update(actor=other_clerk, member=added, data={"name": "张晓红"})
    with pytest.raises(NotAllowed) as error:
        review.member_review(actor=clerk_reviewer, member=added, decision=ReviewStatus.PASSED)
    assert error.value.code == "four_eyes"
