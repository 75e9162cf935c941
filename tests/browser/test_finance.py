"""A finance officer, on a phone, takes the last step of the fund-approval chain on a
household's statement, records the payment and sees the household and its group settled."""

import pytest

from settlement.models import Payment, StatementStatus
from tests.browser.conftest import log_in
from tests.settlement.money_fixtures import (  # noqa: F401 (fixtures)
    approve_through,
    chain,
    money,
    statement_of,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_finance_officer_approves_the_last_step_and_records_the_payment(
    phone_page,
    live_server,
    money,  # noqa: F811
    chain,  # noqa: F811
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
