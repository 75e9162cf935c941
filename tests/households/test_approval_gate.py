"""Approval (审批): the leader's opinion, the required-document gate with its written
override, approving several households at once, and the missing-documents selector."""

import datetime as dt

import pytest

from households.models import Document, DocumentKind, HouseholdStatus
from households.selectors import documents
from households.services import review
from resettlement.audit import AuditEntry
from resettlement.errors import RuleViolation
from tests.households.factories import hand_in_documents, member_data


def refused(call, **kwargs) -> RuleViolation:
    with pytest.raises(RuleViolation) as caught:
        call(**kwargs)
    return caught.value


@pytest.fixture
def reviewed(register, pass_all):
    """A head and his wife, both passed; documents handed in (pass_all does)."""
    household = register(
        members=[
            member_data(name="王建国"),
            member_data(relation="spouse", name="李秀英", sex="F", birth_date=dt.date(1972, 1, 2)),
        ]
    )
    return pass_all(household)


def test_the_leader_approves_with_an_opinion_kept_on_the_household_and_in_the_audit(
    reviewed, leader
):
    review.household_approve(actor=leader, household=reviewed, opinion="同意按政策安置")

    reviewed.refresh_from_db()
    assert reviewed.status == HouseholdStatus.APPROVED
    assert reviewed.approval_opinion == "同意按政策安置"
    entry = AuditEntry.objects.filter(action="household.approve").latest("sequence")
    assert entry.payload["opinion"] == "同意按政策安置"


def test_a_household_without_id_scans_cannot_be_approved(reviewed, leader):
    Document.objects.filter(household=reviewed, kind=DocumentKind.ID_CARD).delete()

    error = refused(review.household_approve, actor=leader, household=reviewed)

    assert error.code == "documents_missing"
    assert reviewed.code in error.message
    assert "身份证(王建国)" in error.message and "身份证(李秀英)" in error.message
    reviewed.refresh_from_db()
    assert reviewed.status == HouseholdStatus.REVIEWED


def test_a_written_reason_lets_the_leader_approve_without_the_documents_and_is_recorded(
    reviewed, leader
):
    Document.objects.filter(household=reviewed, kind=DocumentKind.HUKOU_BOOK).delete()

    review.household_approve(
        actor=leader, household=reviewed, documents_override_reason="户口簿原件已现场核验"
    )

    reviewed.refresh_from_db()
    assert reviewed.status == HouseholdStatus.APPROVED
    assert reviewed.documents_override_reason == "户口簿原件已现场核验"
    payload = AuditEntry.objects.filter(action="household.approve").latest("sequence").payload
    assert payload["documents_missing"] == ["户口簿"]
    assert payload["documents_override_reason"] == "户口簿原件已现场核验"


def test_a_project_chooses_its_required_documents(reviewed, leader, project):
    project.required_documents = [DocumentKind.AGREEMENT]
    project.save()

    error = refused(review.household_approve, actor=leader, household=reviewed)

    assert "拆迁补偿安置协议" in error.message and "身份证" not in error.message


def test_approving_many_approves_each_it_can_and_lists_the_refusals(
    register, pass_all, leader, reviewer
):
    ready = pass_all(register())
    unreviewed = register()
    missing = pass_all(register())
    Document.objects.filter(household=missing).delete()

    batch = review.households_approve_many(
        actor=leader, households=[ready, unreviewed, missing], opinion="同意"
    )

    assert [h.code for h in batch.approved] == [ready.code]
    assert [(r.household.code, r.code) for r in batch.refused] == [
        (unreviewed.code, "not_reviewed"),
        (missing.code, "documents_missing"),
    ]
    assert missing.code in batch.refused[1].message
    ready.refresh_from_db()
    assert ready.approval_opinion == "同意"


def test_missing_documents_of_many_households_in_a_constant_number_of_queries(
    register, django_assert_max_num_queries
):
    households = [register() for _ in range(5)]
    hand_in_documents(households[0])

    with django_assert_max_num_queries(3):
        missing = documents.missing_documents(households)

    assert missing[households[0].pk] == []
    assert missing[households[1].pk] == ["户口簿", "身份证(张三)"]
