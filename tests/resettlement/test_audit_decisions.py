"""Every decision appends one audit entry, in the decision's transaction, naming who decided
what: member reviews, household approvals and send-backs, publications published, withdrawn
and closed, objections answered, lottery sign-offs and voidings, each step of a statement's
approval and each payment, and who was given or lost access to a project. A refused decision
leaves no entry; a repeated (idempotent) payment or grant adds none."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from households.models import ReviewStatus
from households.services import review
from households.services.access import project_access_grant, project_access_revoke
from lottery.services.draws import lottery_draw_remaining
from lottery.services.sessions import lottery_session_void
from lottery.services.sign_off import lottery_session_sign_off
from publicity.services import objections, publications
from resettlement.audit import audit_verify
from resettlement.errors import RuleViolation
from resettlement.models import AuditEntry
from settlement.services import approvals, payments
from tests.lottery.factories import build_lottery_project, create_session, start_drawing
from tests.people import make_user
from tests.resettlement.audit_helpers import entries, only_entry
from tests.settlement.factories import approve_through, statement_of

pytestmark = pytest.mark.django_db


# -- qualification --------------------------------------------------------------------------


def test_each_member_review_is_recorded_with_the_reviewer_and_verdict(reviewed, reviewer):
    reviews = list(AuditEntry.objects.filter(action="member.review").order_by("sequence"))
    assert len(reviews) == 2
    head = reviewed.members.get(name="王建国")
    entry = next(e for e in reviews if e.object_id == str(head.pk))
    assert entry.actor == reviewer and entry.actor_username == "reviewer_zhao"
    assert entry.object_type == "households.member" and entry.object_label == "王建国"
    assert entry.payload == {
        "household": reviewed.code,
        "member_id": head.pk,
        "decision": "passed",
        "computed_qualified": True,
        "overridden": False,
        "reason": "",
    }


def test_an_override_is_recorded_with_its_written_reason(register, reviewer):
    household = register()
    member = household.members.get()
    review.member_review(
        actor=reviewer, member=member, decision=ReviewStatus.REJECTED, reason="户口实为空挂"
    )
    entry = only_entry("member.review")
    assert entry.payload["decision"] == "rejected"
    assert entry.payload["overridden"] is True and entry.payload["computed_qualified"] is True
    assert entry.payload["reason"] == "户口实为空挂"


def test_a_household_approval_records_the_leader_and_the_entitlement(approved, leader):
    entry = only_entry("household.approve")
    assert entry.actor == leader and entry.object_label == approved.code
    assert entry.payload["household"] == approved.code
    assert entry.payload["project"] == approved.project.code
    assert entry.payload["population"] == 2
    assert entry.payload["entitlement_area"] == str(approved.entitlement_area)
    assert sorted(entry.payload["members"].values()) == ["passed", "passed"]
    # the approval came after the two reviews
    assert [e.action for e in entries()] == ["member.review", "member.review", "household.approve"]
    assert audit_verify().ok


def test_a_refused_approval_leaves_no_entry(reviewed, clerk):
    before = AuditEntry.objects.count()
    with pytest.raises(RuleViolation):
        review.household_approve(actor=clerk, household=reviewed)
    assert AuditEntry.objects.count() == before


def test_sending_a_household_back_is_recorded_with_the_reason(approved, leader):
    review.household_send_back(actor=leader, household=approved, reason="公示异议成立")
    entry = only_entry("household.send_back")
    assert entry.actor == leader
    assert entry.payload == {"household": approved.code, "reason": "公示异议成立"}


# -- publicity ------------------------------------------------------------------------------


def test_publishing_records_the_kind_period_and_content_hash(published, leader):
    entry = only_entry("publication.publish")
    assert entry.actor == leader and entry.object_type == "publicity.publication"
    assert entry.object_id == str(published.pk)
    assert entry.payload["kind"] == "population"
    assert entry.payload["starts_on"] == published.starts_on.isoformat()
    assert entry.payload["ends_on"] == published.ends_on.isoformat()
    assert entry.payload["content_hash"] == published.content_hash
    assert entry.payload["row_count"] == published.row_count == 2


def test_withdrawing_records_the_public_reason(published, leader):
    publications.publication_withdraw(actor=leader, publication=published, reason="数据有误")
    entry = only_entry("publication.withdraw")
    assert entry.actor == leader and entry.payload["reason"] == "数据有误"
    assert entry.payload["content_hash"] == published.content_hash


def test_closing_at_the_end_of_the_period_is_recorded_as_the_systems_act(published):
    later = published.ends_on + dt.timedelta(days=1)
    assert publications.publications_close_expired(today=later) == 1
    entry = only_entry("publication.close")
    assert entry.actor is None and entry.actor_username == ""
    assert entry.object_id == str(published.pk)
    assert publications.publications_close_expired(today=later) == 0
    assert AuditEntry.objects.filter(action="publication.close").count() == 1


def test_answering_an_objection_is_recorded_and_an_upheld_one_is_followed_by_the_send_back(
    published, approved, leader
):
    objection = objections.objection_file(
        publication=published,
        contact_name="张明",
        contact_phone="13612345678",
        household_code=approved.code,
        text="李秀英的户口已于2012年迁出本村。",
        today=published.starts_on,
    )
    objections.objection_answer(
        actor=leader, objection=objection, answer="经核实,异议成立。", upheld=True
    )
    entry = only_entry("objection.answer")
    assert entry.actor == leader and entry.object_id == str(objection.pk)
    assert entry.payload == {
        "project": approved.project.code,
        "publication_id": published.pk,
        "household": approved.code,
        "upheld": True,
        "answer": "经核实,异议成立。",
    }
    # the objector's name and phone stay out of the trail
    assert "张明" not in str(entry.payload) and "13612345678" not in str(entry.payload)
    assert [e.action for e in entries()][-2:] == ["objection.answer", "household.send_back"]
    assert audit_verify().ok


def test_an_objection_answer_refused_for_want_of_text_leaves_no_entry(published, leader):
    objection = objections.objection_file(
        publication=published,
        contact_name="张明",
        contact_phone="13612345678",
        text="名单有误。",
        today=published.starts_on,
    )
    count = AuditEntry.objects.count()
    with pytest.raises(RuleViolation, match="书面答复"):
        objections.objection_answer(actor=leader, objection=objection, answer=" ", upheld=False)
    assert AuditEntry.objects.count() == count


# -- lottery --------------------------------------------------------------------------------


@pytest.fixture
def drawing(clerk, leader, notary):
    return start_drawing(create_session(build_lottery_project(clerk), leader), notary)


def test_a_lottery_sign_off_records_the_notary_commitment_and_seed(drawing, notary, roles):
    operator = make_user("operator_zhou", "operator")
    lottery_draw_remaining(actor=operator, session=drawing)
    session = lottery_session_sign_off(
        actor=notary, session=drawing, witnesses="村民代表 王某、李某"
    )
    entry = only_entry("lottery.sign_off")
    assert entry.actor == notary and entry.object_label == session.code
    assert entry.payload["session"] == session.code
    assert entry.payload["commitment"] == session.commitment
    assert entry.payload["seed"] == session.seed
    assert entry.payload["bundle_sha256"] == session.bundle_sha256
    assert entry.payload["witnesses"] == "村民代表 王某、李某"
    assert entry.payload["rehearsal"] is False


def test_voiding_a_session_is_recorded_with_its_reason(drawing, notary):
    lottery_session_void(actor=notary, session=drawing, reason="停电中断")
    entry = only_entry("lottery.void")
    assert entry.actor == notary
    assert entry.payload["reason"] == "停电中断"
    assert entry.payload["commitment"] == drawing.commitment


# -- settlement -----------------------------------------------------------------------------


def test_each_approval_step_is_recorded_with_its_approver(money, chain):
    statement = approve_through(statement_of(money.elsewhere), chain)
    steps = list(AuditEntry.objects.filter(action="statement.approve").order_by("sequence"))
    assert [e.actor for e in steps] == chain.people
    assert [e.payload["step"] for e in steps] == [1, 2, 3, 4, 5, 6, 7]
    assert {e.object_id for e in steps} == {str(statement.pk)}
    assert steps[-1].payload["status"] == "approved"
    assert steps[0].payload["household"] == "H101" and steps[0].payload["net"] == "8000.00"


def test_a_statement_sent_back_is_recorded_with_the_step_and_reason(money, chain):
    statement = approve_through(statement_of(money.owed), chain, steps=2)
    approvals.statement_send_back(
        actor=chain.director, statement=statement, reason="协议面积与登记不符"
    )
    entry = only_entry("statement.send_back")
    assert entry.actor == chain.director and entry.object_id == str(statement.pk)
    assert entry.payload["round"] == 1 and entry.payload["step"] == 3
    assert entry.payload["reason"] == "协议面积与登记不符"
    approve_through(statement, chain, steps=1)  # the new round's first step
    last = AuditEntry.objects.order_by("-sequence").first()
    assert last.action == "statement.approve" and last.payload["round"] == 2
    assert audit_verify().ok


def test_a_payment_is_recorded_once_and_its_repeat_adds_nothing(money, chain):
    statement = approve_through(statement_of(money.elsewhere), chain)
    payment, created = payments.payment_record(
        actor=chain.cashier,
        statement=statement,
        amount=Decimal("3000.00"),
        idempotency_key="pay-1",
        reference="BANK-42",
    )
    assert created
    entry = only_entry("payment.record")
    assert entry.actor == chain.cashier and entry.object_id == str(payment.pk)
    assert entry.payload["amount"] == "3000.00" and entry.payload["reference"] == "BANK-42"
    assert entry.payload["household"] == "H101" and entry.payload["direction"] == "pay"
    count = AuditEntry.objects.count()

    again, created = payments.payment_record(
        actor=chain.cashier,
        statement=statement,
        amount=Decimal("3000.00"),
        idempotency_key="pay-1",
        reference="BANK-42",
    )
    assert not created and again.pk == payment.pk
    assert AuditEntry.objects.count() == count


def test_a_refused_payment_leaves_no_entry(money, chain):
    statement = approve_through(statement_of(money.elsewhere), chain)
    count = AuditEntry.objects.count()
    with pytest.raises(RuleViolation):
        payments.payment_record(
            actor=chain.cashier,
            statement=statement,
            amount=Decimal("9000.00"),  # more than the 8,000 owed
            idempotency_key="pay-too-much",
        )
    assert AuditEntry.objects.count() == count
    assert audit_verify().ok


# -- project access -------------------------------------------------------------------------


def test_granting_and_revoking_project_access_are_recorded_with_who_and_which_project(
    approved, clerk
):
    admin = make_user("district_admin", is_superuser=True, is_staff=True)
    grant = project_access_grant(actor=admin, user=clerk, project=approved.project)
    project_access_grant(actor=admin, user=clerk, project=approved.project)  # twice: one grant

    given = only_entry("access.grant")
    assert given.actor == admin and given.object_id == str(grant.pk)
    assert given.payload == {
        "user_id": clerk.pk,
        "username": clerk.username,
        "project": approved.project.code,
    }

    project_access_revoke(actor=admin, grant=grant)
    project_access_revoke(actor=admin, grant=grant)  # already taken back: nothing more
    taken = only_entry("access.revoke")
    assert taken.actor == admin and taken.payload == given.payload
    assert audit_verify().ok
