"""A finance officer, on a phone, takes the last step of the fund-approval chain on a
household's statement, records the payment and sees the household and its group settled;
and starts a household's statement from its villager group's page."""

import pytest

from lottery.services.draws import lottery_draw_remaining
from lottery.services.sign_off import lottery_session_sign_off
from settlement.models import Adjustment, Payment, Statement, StatementStatus, Transition
from tests.browser.login import log_in
from tests.lottery.factories import (
    build_lottery_project,
    clear_lottery_before_flush,
    create_session,
    start_drawing,
)
from tests.people import make_user
from tests.settlement.factories import MOVED_OUT_ON, approve_through, set_price_rules, statement_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_finance_officer_approves_the_last_step_and_records_the_payment(
    phone_page,
    live_server,
    money,
    chain,
):
    page = phone_page
    statement = approve_through(statement_of(money.elsewhere), chain, steps=6)
    assert statement.status == StatementStatus.APPROVING
    log_in(page, live_server, chain.cashier.username)

    page.goto(f"{live_server.url}/staff/settlement/")
    page.click(f"#group-{money.other_group.pk} >> text=第二组")
    page.click("text=H101")
    assert "待审批" in page.inner_text("#step-7")
    page.fill("#id_comment", "已拨付至安置户账户")
    page.click("#approve-form button[type=submit]")
    page.wait_for_selector("text=结算单审批完毕")
    assert page.inner_text("#statement-status") == "已审批"
    assert "郑出纳" in page.inner_text("#step-7")

    assert page.input_value("#id_amount") == "8000.00"
    page.fill("#id_reference", "BANK-20260101-001")
    # An impatient double tap sends the form twice, with the same hidden key: paid once.
    page.dblclick("#payment-form button[type=submit]")
    page.wait_for_selector("#statement-status >> text=已结清")
    assert "BANK-20260101-001" in page.inner_text("#payments")
    payment = Payment.objects.get()
    assert payment.amount == 8000 and payment.recorded_by == chain.cashier

    page.goto(f"{live_server.url}/staff/settlement/groups/{money.other_group.pk}/")
    assert "本组已整组结清" in page.inner_text("#group-state")


@pytest.fixture
def household_with_an_apartment(clerk, leader, notary):
    """An approved household with its apartment from a signed lottery, the project's prices
    and its moving-out date: everything a statement needs, but no statement yet."""
    operator = make_user("operator_zhou", "operator")
    small = build_lottery_project(clerk, communities=1, groups_per_community=1)
    session = start_drawing(create_session(small, leader), notary)
    lottery_draw_remaining(actor=operator, session=session)
    lottery_session_sign_off(actor=notary, session=session, witnesses="王某")
    set_price_rules(small.project, leader)
    household = sorted(small.households, key=lambda h: h.code)[0]
    Transition.objects.create(household=household, moved_out_on=MOVED_OUT_ON, recorded_by=clerk)
    yield household
    clear_lottery_before_flush()  # lets the closing flush empty the signed session on SQLite


def test_finance_officer_starts_a_statement_from_the_group_page(
    phone_page,
    live_server,
    household_with_an_apartment,
    roles,
):
    page = phone_page
    household = household_with_an_apartment
    finance_wu = make_user("finance_wu", "finance", first_name="吴财务")
    log_in(page, live_server, finance_wu.username)

    page.goto(f"{live_server.url}/staff/settlement/groups/{household.group_id}/")
    assert "尚未计算" in page.inner_text(f"#h{household.pk}")
    page.click(f"#h{household.pk} >> text=开始结算")
    page.wait_for_selector("#compute-form")

    # A reward first: a negative amount is refused next to the field, nothing is saved.
    page.select_option("#id_kind", "reward")
    page.fill("#id_amount", "-200")
    page.fill("#id_reason", "提前腾房奖励")
    page.click("#adjustment-form button[type=submit]")
    assert "必须是大于0的数字" in page.inner_text("#adjustment-form .has-error")
    assert page.input_value("#id_reason") == "提前腾房奖励"  # what was typed is kept
    assert not Adjustment.objects.exists()
    page.fill("#id_amount", "2000")
    page.click("#adjustment-form button[type=submit]")
    page.wait_for_selector("text=已添加奖励 2,000.00 元")
    assert "提前腾房奖励" in page.inner_text("#adjustments table")

    page.click("#compute-form button[type=submit]")
    page.wait_for_selector("text=结算单已计算(第1次计算)")
    assert page.inner_text("#statement-status") == "待审批"
    assert "奖励:提前腾房奖励" in page.inner_text("#lines")
    statement = Statement.objects.get(household=household)
    assert statement.computed_by == finance_wu

    page.goto(f"{live_server.url}/staff/settlement/groups/{household.group_id}/")
    assert "待审批" in page.inner_text(f"#h{household.pk}")
