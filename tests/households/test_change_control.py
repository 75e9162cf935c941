"""Change control after review (docs/qualification.md §6): once a household or any of its
members is reviewed, a change to what feeds the entitlement or a statement needs a written
reason, is audited, sends the case back, and is heard by the later stages."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from households.models import HouseholdStatus, ReviewStatus
from households.services import members as households_members
from households.services import registration, review
from households.signals import facts_changed, facts_changing
from resettlement.audit import AuditEntry
from resettlement.errors import RuleViolation
from tests.households.factories import member_data


@pytest.fixture
def approved(register, approve):
    return approve(
        register(members=[member_data(name="王建国"), member_data("child", name="王小明")])
    )


@pytest.fixture
def heard():
    """What the later stages hear: (signal name, household code, fields, reason)."""
    calls = []

    def changing(sender, household, fields, actor, reason, **kwargs):
        calls.append(("changing", household.code, fields, reason))

    def changed(sender, household, fields, actor, reason, **kwargs):
        calls.append(("changed", household.code, fields, reason))

    facts_changing.connect(changing, weak=False, dispatch_uid="test-changing")
    facts_changed.connect(changed, weak=False, dispatch_uid="test-changed")
    yield calls
    facts_changing.disconnect(dispatch_uid="test-changing")
    facts_changed.disconnect(dispatch_uid="test-changed")


def refused(call, **kwargs) -> RuleViolation:
    with pytest.raises(RuleViolation) as caught:
        call(**kwargs)
    return caught.value


def test_changing_the_demolished_area_of_an_approved_household_needs_a_reason(
    approved, other_clerk, heard
):
    error = refused(
        registration.household_update,
        actor=other_clerk,
        household=approved,
        data={"demolished_area": Decimal("200.00")},
    )

    assert error.code == "reason_required"
    assert approved.code in error.message
    assert [d["field"] for d in error.details] == ["reason"]
    approved.refresh_from_db()
    assert approved.demolished_area == Decimal("180.50")
    assert approved.status == HouseholdStatus.APPROVED
    assert heard == []


def test_with_a_reason_the_change_is_audited_re_approved_and_heard(approved, other_clerk, heard):
    registration.household_update(
        actor=other_clerk,
        household=approved,
        data={"demolished_area": Decimal("200.00")},
        reason="重新测绘,面积更正",
    )

    approved.refresh_from_db()
    assert approved.demolished_area == Decimal("200.00")
    assert approved.status == HouseholdStatus.REVIEWED  # back to the leader
    assert approved.entitlement_area is None
    assert approved.facts_changed_at is not None
    entry = AuditEntry.objects.filter(action="household.facts_change").latest("sequence")
    assert entry.payload["reason"] == "重新测绘,面积更正"
    assert entry.payload["demolished_area"] == ["180.50", "200.00"]
    assert "修改户信息:重新测绘,面积更正" in [
        h.history_change_reason for h in approved.history.all()
    ]
    assert heard == [
        ("changing", approved.code, ["demolished_area"], "重新测绘,面积更正"),
        ("changed", approved.code, ["demolished_area"], "重新测绘,面积更正"),
    ]


def test_address_and_phone_change_freely_after_approval(approved, other_clerk, heard):
    registration.household_update(
        actor=other_clerk, household=approved, data={"phone": "13900000000"}
    )

    approved.refresh_from_db()
    assert approved.status == HouseholdStatus.APPROVED
    assert approved.facts_changed_at is None
    assert heard == []


def test_a_member_change_once_one_member_is_reviewed_needs_a_reason(
    register, reviewer, other_clerk, heard
):
    household = register(members=[member_data(name="王建国"), member_data("child", name="王小明")])
    head = household.members.get(name="王建国")
    review.member_review(actor=reviewer, member=head, decision=ReviewStatus.PASSED)

    error = refused(
        households_members.member_update,
        actor=other_clerk,
        member=household.members.get(name="王小明"),
        data={"hukou_moved_out": dt.date(2013, 3, 1)},
    )

    assert error.code == "reason_required"
    households_members.member_update(
        actor=other_clerk,
        member=household.members.get(name="王小明"),
        data={"hukou_moved_out": dt.date(2013, 3, 1)},
        reason="派出所出具迁出证明",
    )
    household.refresh_from_db()
    assert household.facts_changed_at is not None
    assert [call[0] for call in heard] == ["changing", "changed"]


def test_removing_a_member_after_approval_is_audited_with_its_reason(approved, other_clerk, heard):
    households_members.member_remove(
        actor=other_clerk, member=approved.members.get(name="王小明"), reason="已迁往外地落户"
    )

    entry = AuditEntry.objects.filter(action="household.facts_change").latest("sequence")
    assert entry.payload == {
        "household": approved.code,
        "fields": ["members"],
        "reason": "已迁往外地落户",
        "member_removed": "王小明",
    }
    assert heard[-1] == ("changed", approved.code, ["members"], "已迁往外地落户")


def test_a_receiver_that_refuses_leaves_nothing_saved(approved, other_clerk):
    def settled(sender, household, **kwargs):
        raise RuleViolation("settled", f"{household.code} 户已结算,须先开启更正")

    facts_changing.connect(settled, weak=False, dispatch_uid="test-settled")
    try:
        error = refused(
            households_members.member_add,
            actor=other_clerk,
            household=approved,
            data=member_data("child", name="王小宝", birth_date=dt.date(2013, 10, 1)),
            reason="新生儿落户",
        )
    finally:
        facts_changing.disconnect(dispatch_uid="test-settled")

    assert error.code == "settled"
    approved.refresh_from_db()
    assert approved.status == HouseholdStatus.APPROVED
    assert approved.facts_changed_at is None
    assert approved.members.count() == 2
    assert not AuditEntry.objects.filter(action="household.facts_change").exists()


def test_sending_a_household_back_is_heard_as_a_status_change(approved, leader, heard):
    review.household_send_back(actor=leader, household=approved, reason="异议成立")

    assert heard == [("changed", approved.code, ["status"], "异议成立")]


def test_the_edit_page_asks_for_the_reason_and_shows_a_refusal_as_a_form_error(
    client, approved, other_clerk
):
    client.force_login(other_clerk)
    url = reverse("staff:household-edit", args=[approved.pk])
    data = {
        "code": approved.code,
        "address": approved.address,
        "phone": approved.phone,
        "agreement_number": approved.agreement_number,
        "demolished_area": "200.00",
    }

    page = client.get(url).content.decode()
    assert "变更原因" in page
    refused_page = client.post(url, data)
    assert refused_page.status_code == 200
    assert "请填写变更原因" in refused_page.content.decode()

    saved = client.post(url, {**data, "reason": "重新测绘,面积更正"})
    assert saved.status_code == 302
    approved.refresh_from_db()
    assert approved.demolished_area == Decimal("200.00")


def test_the_remove_button_asks_for_the_reason_once_reviewed(client, approved, other_clerk):
    client.force_login(other_clerk)
    son = approved.members.get(name="王小明")
    detail = reverse("staff:household-detail", args=[approved.pk])
    assert 'name="reason"' in client.get(detail).content.decode()

    response = client.post(reverse("staff:member-remove", args=[approved.pk, son.pk]), follow=True)

    assert "请填写变更原因" in response.content.decode() or "变更原因" in response.content.decode()
    assert approved.members.filter(pk=son.pk).exists()
    client.post(
        reverse("staff:member-remove", args=[approved.pk, son.pk]), {"reason": "已迁往外地落户"}
    )
    assert not approved.members.filter(pk=son.pk).exists()
