"""Four-eyes: who entered a record never reviews it; who reviewed it never approves it."""

import pytest

from households import services
from households.models import HouseholdStatus, ReviewStatus
from resettlement.errors import NotAllowed


def test_reviewer_passes_and_leader_approves_a_household(register, reviewer, leader):
    household = register()
    head = household.members.get()
    services.member_review(actor=reviewer, member=head, decision=ReviewStatus.PASSED)
    household.refresh_from_db()
    assert household.status == HouseholdStatus.REVIEWED
    services.household_approve(actor=leader, household=household)
    household.refresh_from_db()
    assert household.status == HouseholdStatus.APPROVED
    assert household.resettlement_population == 1


def test_clerk_cannot_review_members_of_a_household_they_registered(register, all_hats):
    household = register(actor=all_hats)
    with pytest.raises(NotAllowed) as error:
        services.member_review(
            actor=all_hats, member=household.members.get(), decision=ReviewStatus.PASSED
        )
    assert error.value.code == "four_eyes"
    assert household.members.get().review_status == ReviewStatus.PENDING
