"""The bank account and overdue stage of the demo (`demo.overdue.seed_overdue`), run after the
other stages as `seed_demo` would run it: every household in transition has a confirmed bank
account recorded and confirmed by two people, one change waits for finance, and one overdue
household switched to cash."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from demo import households as demo_households
from demo.lottery import hall_users, seed_lottery
from demo.overdue import seed_overdue
from demo.oversight import seed_oversight
from demo.publicity import seed_publicity
from demo.settlement import seed_settlement, settlement_users
from oversight.selectors.inbox import inbox
from settlement.models import (
    BankAccount,
    BankAccountStatus,
    Outcome,
    OverdueCashSwitch,
    Statement,
    StatementStatus,
    Transition,
)
from tests.demo.seeding import HOUSEHOLDS, SEED, demo_settings


@pytest.fixture
def seeded(db, settings, tmp_path):
    for name, value in demo_settings(tmp_path / "media").items():
        setattr(settings, name, value)
    call_command("create_demo_users", stdout=None)
    users = settlement_users(hall_users(demo_households.demo_actors()))
    lines = []
    demo_households.seed_demo(
        households=HOUSEHOLDS,
        seed=SEED,
        users=users,
        progress=lines.append,
        later_stages=[seed_publicity, seed_lottery, seed_settlement, seed_oversight, seed_overdue],
    )
    return users, lines


def test_the_demo_records_confirms_and_switches_through_the_services(seeded):
    users, lines = seeded
    in_transition = Transition.objects.filter(household__project__code="YH2013").count()
    confirmed = BankAccount.objects.filter(status=BankAccountStatus.CONFIRMED)
    assert confirmed.count() == in_transition > 0
    assert all(a.recorded_by_id != a.confirmed_by_id for a in confirmed)
    assert BankAccount.objects.filter(status=BankAccountStatus.PENDING).count() == 1
    finance_lines = [
        line for p in inbox(users["finance"]) for line in p.lines if line.kind == "bank_accounts"
    ]
    assert [line.count for line in finance_lines] == [1]

    switch = OverdueCashSwitch.objects.get()
    statement = Statement.objects.get(household=switch.household)
    assert statement.outcome == Outcome.MONETISED
    assert statement.status == StatementStatus.DRAFT
    assert statement.inputs["cash_valued_on"] == switch.valued_on.isoformat()
    assert any("switched to cash" in line for line in lines)
