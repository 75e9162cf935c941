"""A household's timeline (oversight.selectors.timeline and its page): every event of its
case, in order, with the audit chain's sequence numbers."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from allocation.services.demands import demand_choose, demand_lock
from households.models import Household, VillagerGroup
from households.services.registration import household_register
from lottery.services.check_in import lottery_check_in
from lottery.services.draws import lottery_draw_remaining
from lottery.services.sign_off import lottery_session_sign_off
from oversight.selectors.timeline import household_timeline
from publicity.services.objections import objection_answer, objection_file
from resettlement.models import AuditEntry
from settlement.models import Statement
from settlement.services import agreements, payments, statements
from settlement.services.defects import defect_report
from settlement.services.handover import move_in_record
from tests.households.factories import approve, household_data, member_data
from tests.lottery.factories import build_lottery_project, create_session, start_drawing
from tests.people import make_user
from tests.publicity.factories import publish
from tests.settlement.factories import approve_through, hand_over, set_price_rules

pytestmark = pytest.mark.django_db


@pytest.fixture
def walked(clerk, other_clerk, reviewer, leader, operator, notary, chain, finance_wu):
    """A household taken through every stage by the services, from registration to a defect
    report after moving in."""
    lp = build_lottery_project(clerk, communities=1, groups_per_community=1, households_per_group=1)
    # A group of its own: the group is settled together (collect first, pay later).
    group = VillagerGroup.objects.create(
        project=lp.project, community=lp.communities[0], code="GW", name="走访组"
    )
    household = household_register(
        actor=clerk,
        project=lp.project,
        community=group.community,
        group=group,
        household=household_data(code="W001", phone="13812345678"),
        members=[member_data(name="李走完")],
    )
    household = approve(household, reviewer=reviewer, leader=leader)
    roster = publish(leader, lp.project, "entitlement")
    objection = objection_file(
        publication=roster,
        contact_name="李走完",
        contact_phone="13900001111",
        text="面积有误,请联系 13900001111",
        household_code="W001",
    )
    objection_answer(actor=leader, objection=objection, answer="经核实面积无误。", upheld=False)
    demand_choose(actor=clerk, household=household, items={"T60": 1})
    demand_lock(actor=leader, project=lp.project, households=[household])
    session = start_drawing(create_session(lp, leader), notary)
    lottery_check_in(
        actor=operator,
        session=session,
        credential=household.lookup_code,
        attendee="李走完",
        identity_confirmed=True,
    )
    lottery_draw_remaining(actor=operator, session=session)
    lottery_session_sign_off(actor=notary, session=session, witnesses="村民代表 王某")
    set_price_rules(lp.project, leader)
    statements.transition_record(
        actor=clerk, household=household, moved_out_on=dt.date(2025, 11, 20)
    )
    statement = statements.statement_compute(actor=finance_wu, household=household)
    approve_through(statement, chain)
    statement = Statement.objects.get(pk=statement.pk)
    payments.payment_record(
        actor=chain.cashier,
        statement=statement,
        amount=abs(statement.net),
        idempotency_key="walk-1",
        reference="BANK-0001",
    )
    agreement, _pdf = agreements.agreement_issue(actor=clerk, household=household)
    agreements.agreement_sign(
        actor=clerk, agreement=agreement, signed_on=dt.date(2026, 1, 5), signer_name="李走完"
    )
    hand_over(household, clerk)
    move_in_record(actor=clerk, household=household, moved_in_on=dt.date(2026, 1, 20))
    defect_report(household=household, location="卫生间", description="漏水,电话 13900001111")
    return Household.objects.get(pk=household.pk)


def test_a_household_walked_through_every_stage_shows_its_events_in_order(walked):
    timeline = household_timeline(walked)
    kinds = [e.kind for e in timeline.events]
    order = [
        "registration",
        "review",
        "approval",
        "publication",
        "objection",
        "objection_answer",
        "choice",
        "check_in",
        "draw",
        "sign_off",
        "statement",
        "statement_approval",
        "payment",
        "agreement",
        "keys",
        "moved_in",
        "defect",
    ]
    positions = [kinds.index(kind) for kind in order]
    assert positions == sorted(positions), kinds
    assert str(timeline.stage.label) == "已入住"
    audited = {e.kind: e.sequence for e in timeline.events if e.sequence}
    for kind in ("review", "approval", "publication", "objection_answer", "sign_off"):
        assert audited[kind] == AuditEntry.objects.get(sequence=audited[kind]).sequence
    for kind in ("statement", "statement_approval", "payment"):
        assert kind in audited
    sequences = [e.sequence for e in timeline.events if e.sequence]
    assert sequences == sorted(sequences)
    approval = next(e for e in timeline.events if e.kind == "approval")
    assert approval.actor and approval.actor != "leader"


def test_the_timeline_page_shows_the_events_masked_and_the_pdf_downloads(walked, roles):
    finance = make_user("t_finance", "finance", first_name="看时间线")
    client = Client()
    client.force_login(finance)
    before = AuditEntry.objects.count()
    response = client.get(f"/staff/oversight/households/{walked.pk}/timeline/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "W001 办理时间线" in html
    assert "已入住" in html
    assert "公示期" in html and "内容哈希" in html
    assert "13900001111" not in html  # free text masked for a role without the full view
    first = AuditEntry.objects.filter(object_id=str(walked.pk)).order_by("sequence").first()
    assert f"#{first.sequence}" in html
    pdf = client.get(f"/staff/oversight/households/{walked.pk}/timeline.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert AuditEntry.objects.count() == before


def test_the_household_page_links_to_its_timeline(walked, clerk):
    client = Client()
    client.force_login(clerk)
    html = client.get(f"/staff/households/{walked.pk}/").content.decode()
    assert f"/staff/oversight/households/{walked.pk}/timeline/" in html
    assert "已入住" in html


def test_another_projects_household_has_no_timeline(walked, roles):
    outsider = make_user("t_outsider", "clerk", all_projects=False)
    client = Client()
    client.force_login(outsider)
    assert client.get(f"/staff/oversight/households/{walked.pk}/timeline/").status_code == 404
    assert client.get(f"/staff/oversight/households/{walked.pk}/timeline.pdf").status_code == 404
