"""A household taken through every stage by the services, from registration to a defect
report after moving in: `walk_every_stage` (the timeline and the resident's page read it)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from allocation.services.demands import demand_choose, demand_lock
from households.models import Household, VillagerGroup
from households.services.registration import household_register
from lottery.services.check_in import lottery_check_in
from lottery.services.draws import lottery_draw_remaining
from lottery.services.sign_off import lottery_session_sign_off
from publicity.services import publications
from publicity.services.objections import objection_answer, objection_file
from settlement.models import Statement
from settlement.services import agreements, payments, statements
from settlement.services.defects import defect_report
from settlement.services.handover import move_in_record
from tests.households.factories import approve, household_data, member_data
from tests.lottery.factories import build_lottery_project, create_session, start_drawing
from tests.people import Chain
from tests.settlement.factories import approve_through, hand_over, set_price_rules


def walk_every_stage(
    *, clerk, reviewer, leader, publisher, operator, notary, chain: Chain, finance
) -> Household:
    """Household W001 (head 李走完, phone 13812345678): registered, reviewed, approved,
    published in the entitlement roster (its period ended) and the population roster (an
    objection filed and answered; drafter and publisher differ), its choice locked, checked
    in and drawn in signed session S1, its statement computed, approved through the chain
    and paid, its agreement signed, keys handed over, moved in, and a defect reported."""
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
    # The entitlement roster's period has ended (the lottery needs it); the population
    # roster is still open for the objection. Drafted by one leader, published by another.
    today = timezone.localdate()
    for kind, starts_on, ends_on in (
        ("entitlement", today - dt.timedelta(days=40), today - dt.timedelta(days=11)),
        ("population", today, None),
    ):
        roster = publications.publication_publish(
            actor=publisher,
            publication=publications.publication_create(
                actor=leader,
                project=lp.project,
                kind=kind,
                starts_on=starts_on,
                ends_on=ends_on,
            ),
        )
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
    statement = statements.statement_compute(actor=finance, household=household)
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
