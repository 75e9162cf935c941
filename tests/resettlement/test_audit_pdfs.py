"""The chain head as of printing is on paper: on every publicity roster PDF and on the
notarial record of a lottery session, read back from the real PDF as text. Whoever holds
the paper can later check the chain still contains that entry (verify_audit --printed)."""

from __future__ import annotations

import datetime as dt

import pytest

from households.models import ReviewStatus
from households.services import review
from lottery.pdf.notarial_record import notarial_record_pdf
from lottery.services.draws import lottery_draw_remaining
from lottery.services.sign_off import lottery_session_sign_off
from publicity.pdf import rosters
from publicity.services import publications
from resettlement.audit import audit_head
from resettlement.models import AuditEntry
from tests.households.factories import hand_in_documents, member_data
from tests.lottery.factories import build_lottery_project, create_session, start_drawing
from tests.pdf import pdf_pages, squeezed
from tests.people import make_user
from tests.publicity.factories import drafter
from tests.resettlement.audit_helpers import verify_command

pytestmark = pytest.mark.django_db


def _text(pdf: bytes) -> str:
    assert pdf.startswith(b"%PDF")
    return "".join(squeezed(page) for page in pdf_pages(pdf))


def test_a_publicity_roster_prints_the_chain_head(register, reviewer, leader):
    household = register(
        members=[
            member_data(name="王建国"),
            member_data("spouse", name="李秀英", sex="F", birth_date=dt.date(1972, 4, 5)),
        ]
    )
    for member in household.members.all():
        review.member_review(actor=reviewer, member=member, decision=ReviewStatus.PASSED)
    hand_in_documents(household)
    review.household_approve(actor=leader, household=household)
    draft = publications.publication_create(
        actor=drafter(), project=household.project, kind="population"
    )
    publication = publications.publication_publish(actor=leader, publication=draft)
    head = audit_head()
    assert head.sequence == 4  # two reviews, the approval, the publication

    community = rosters.roster_communities(publication)[0]
    pdf, _pages = rosters.roster_pdf(publication, community)
    text = _text(pdf)
    assert f"审计链头:第4条{head.hash}" in text
    status, _out, _err = verify_command("--printed", f"{head.sequence}:{head.hash}")
    assert status == 0


def test_the_notarial_record_prints_the_chain_head_after_the_sign_off(clerk, leader, notary):
    operator = make_user("operator_zhou", "operator")
    session = start_drawing(create_session(build_lottery_project(clerk), leader), notary)
    lottery_draw_remaining(actor=operator, session=session)
    session = lottery_session_sign_off(actor=notary, session=session, witnesses="村民代表 王某")
    head = audit_head()
    signed = AuditEntry.objects.get(sequence=head.sequence)  # the sign-off itself is on paper
    assert (signed.action, signed.object_id) == ("lottery.sign_off", str(session.pk))

    text = _text(notarial_record_pdf(session))
    assert "审计链头(打印时)" in text
    assert f"第{head.sequence}条{head.hash}" in text
    status, _out, _err = verify_command("--printed", f"{head.sequence}:{head.hash}")
    assert status == 0
