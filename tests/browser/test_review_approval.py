"""Review and approval in the browser: a reviewer passes a member on the queue, and a
leader approves two households in bulk after the confirmation naming the count."""

from __future__ import annotations

import pytest

from households.models import Household, HouseholdStatus, ReviewStatus
from tests.browser.login import log_in
from tests.households.factories import pass_all

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_reviewer_passes_a_member_on_the_queue(page, live_server, register, reviewer):
    household = register(code="R-001")
    member = household.members.get()
    log_in(page, live_server, reviewer.username)
    page.click("header nav >> text=审核")
    page.wait_for_selector(f"#member-{member.pk}")
    assert "户口迁入时间" in page.inner_text(f"#member-{member.pk}")
    page.click(f"#member-{member.pk} button[type=submit]")
    page.wait_for_selector(".messages >> text=已记录对")
    member.refresh_from_db()
    assert member.review_status == ReviewStatus.PASSED


def test_a_leader_approves_two_households_after_confirming_the_count(
    page, live_server, register, reviewer, leader
):
    first, second, third = (
        pass_all(register(code=f"A-00{n}"), reviewer=reviewer) for n in (1, 2, 3)
    )
    log_in(page, live_server, leader.username)
    page.click("header nav >> text=审批")
    page.check(f"#household-{first.pk} input[type=checkbox]")
    page.check(f"#household-{second.pk} input[type=checkbox]")
    page.fill("#bulk-approval input[name=opinion]", "同意")
    page.click("#bulk-approval button:not([name=all])")
    page.wait_for_selector("#confirm-count")
    assert page.inner_text("#confirm-count") == "确认审批 2 户?"
    page.click("main form button[type=submit]")
    page.wait_for_selector(".messages >> text=已审批 2 户")
    statuses = dict(Household.objects.values_list("code", "status"))
    assert statuses == {
        "A-001": HouseholdStatus.APPROVED,
        "A-002": HouseholdStatus.APPROVED,
        "A-003": HouseholdStatus.REVIEWED,
    }
    assert third.code in page.inner_text("main")  # still waiting on the queue
