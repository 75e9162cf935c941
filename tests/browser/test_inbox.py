"""Each role's inbox (工作台), walked in Chromium on a phone to a decision: the person logs in,
lands on the inbox, taps the line of what waits for them, reaches the page where it is decided
and decides; afterwards the line is gone from their inbox."""

from __future__ import annotations

import datetime as dt

import pytest

from households.models import HouseholdStatus, ReviewStatus
from lottery.models import SessionStatus
from publicity.models import Objection, ObjectionStatus, PublicationStatus
from publicity.services.objections import objection_file
from publicity.services.publications import publication_create
from resettlement import periods
from settlement.models import DefectStatus, DefectTicket, StatementApproval
from tests.browser.login import log_in
from tests.households.factories import approve, member_data, pass_all
from tests.lottery.factories import clear_lottery_before_flush
from tests.publicity.factories import publish
from tests.settlement.factories import approve_through, statement_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _open_line(page, live_server, username: str, kind: str, label: str) -> None:
    """Log in (landing on the inbox), check the line is there and tap it."""
    log_in(page, live_server, username)
    line = page.locator(f"li[data-kind={kind}] a.inbox-open")
    assert label in line.inner_text()
    line.click()


def _line_gone(page, live_server, kind: str) -> None:
    page.goto(f"{live_server.url}/staff/")
    assert page.locator(f"li[data-kind={kind}]").count() == 0


def _family(register, clerk):
    return register(
        actor=clerk, members=[member_data(), member_data("spouse", name="李秀英", sex="F")]
    )


def test_a_reviewer_reviews_a_member_from_the_inbox(
    phone_page, live_server, register, clerk, reviewer
):
    page = phone_page
    household = _family(register, clerk)
    _open_line(page, live_server, reviewer.username, "members", "待审核成员")
    page.wait_for_url("**/staff/review/?project=*")
    head = household.members.get(relation="head")
    card = page.locator(f"#member-{head.pk}")
    assert "系统判定符合" in card.inner_text()
    card.locator("input[name=decision][value=passed]").check()
    card.locator("button[type=submit]").click()
    page.wait_for_selector(f"#member-{head.pk}", state="detached")
    head.refresh_from_db()
    assert head.review_status == ReviewStatus.PASSED and head.reviewed_by == reviewer
    page.goto(f"{live_server.url}/staff/")
    assert page.inner_text("li[data-kind=members] .count") == "1"


def test_a_leader_approves_a_reviewed_household_from_the_inbox(
    phone_page, live_server, register, clerk, reviewer, leader
):
    page = phone_page
    household = pass_all(_family(register, clerk), reviewer=reviewer)
    _open_line(page, live_server, leader.username, "households", "待审批安置户")
    page.wait_for_url("**/staff/approval/?project=*")
    page.click(f"#household-{household.pk} a.button")
    page.wait_for_url(f"**/staff/approval/households/{household.pk}/")
    page.fill("#approval-form [name=opinion]", "经审核,同意安置。")
    override = page.locator("#approval-form [name=documents_override_reason]")
    if override.count():  # the household has no scanned documents: approve with a reason
        override.fill("原件已现场核验,扫描件补交中。")
    page.click("#approval-form button[type=submit]")
    page.wait_for_load_state()
    household.refresh_from_db()
    assert household.status == HouseholdStatus.APPROVED
    _line_gone(page, live_server, "households")


def test_a_leader_publishes_a_roster_another_leader_drafted(
    phone_page, live_server, register, clerk, reviewer, leader, leader2, project
):
    page = phone_page
    approve(_family(register, clerk), reviewer=reviewer, leader=leader)
    publication = publication_create(actor=leader, project=project, kind="population")
    _open_line(page, live_server, leader2.username, "publications", "待发布公示")
    page.wait_for_url(f"**/staff/publicity/{publication.pk}/")
    page.check("#publish-form input[name=confirm]")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#publish-form button[type=submit]")
    page.wait_for_selector("text=公示已发布")
    publication.refresh_from_db()
    assert publication.status == PublicationStatus.PUBLISHED
    assert publication.published_by == leader2
    _line_gone(page, live_server, "publications")


def test_an_officer_answers_an_overdue_objection(
    phone_page, live_server, register, clerk, reviewer, leader, project
):
    page = phone_page
    approve(_family(register, clerk), reviewer=reviewer, leader=leader)
    today = periods.today()
    publication = publish(leader, project, starts_on=today - dt.timedelta(days=29))
    objection = objection_file(
        publication=publication,
        contact_name="王建国",
        contact_phone="13800000000",
        text="我家人口数不对",
        today=publication.starts_on,
    )
    Objection.objects.filter(pk=objection.pk).update(
        filed_at=dt.datetime.combine(today - dt.timedelta(days=28), dt.time(10), periods.SHANGHAI)
    )
    log_in(page, live_server, reviewer.username)
    assert "已逾期" in page.inner_text("li[data-kind=objections]")
    page.click("li[data-kind=objections] a.inbox-open")
    page.wait_for_url(f"**/staff/objections/{objection.pk}/")
    page.check("#answer-form input[name=upheld][value=no]")
    page.fill("#answer-form textarea[name=answer]", "经核实,您家人口数与户籍记录一致。")
    page.click("#answer-form button[type=submit]")
    page.wait_for_selector("text=已答复")
    objection.refresh_from_db()
    assert objection.status == ObjectionStatus.ANSWERED and objection.answered_by == reviewer
    _line_gone(page, live_server, "objections")


def test_a_finance_leader_takes_the_approval_step_their_role_holds(
    phone_page, live_server, money, chain
):
    page = phone_page
    statement = approve_through(statement_of(money.elsewhere), chain, steps=3)
    _open_line(page, live_server, chain.finance_leader.username, "approvals", "待我审批的结算单")
    page.wait_for_url(f"**/staff/settlement/statements/{statement.pk}/")
    assert "待审批" in page.inner_text("#step-4")
    page.fill("#id_comment", "同意")
    page.click("#approve-form button[type=submit]")
    page.wait_for_selector("#step-4 >> text=孙财务领导")
    assert StatementApproval.objects.filter(
        statement=statement, position=4, actor=chain.finance_leader
    ).exists()
    _line_gone(page, live_server, "approvals")


def test_a_cashier_records_a_payment_waiting_in_the_inbox(phone_page, live_server, money, chain):
    page = phone_page
    statement = approve_through(statement_of(money.elsewhere), chain)
    _open_line(page, live_server, chain.cashier.username, "payments", "待登记收付款")
    page.wait_for_url(f"**/staff/settlement/statements/{statement.pk}/")
    page.fill("#id_reference", "BANK-20260101-009")
    page.click("#payment-form button[type=submit]")
    page.wait_for_selector("#statement-status >> text=已结清")
    _line_gone(page, live_server, "payments")


def test_a_clerk_answers_a_defect_waiting_in_the_inbox(phone_page, live_server, money, clerk):
    page = phone_page
    ticket = DefectTicket.objects.create(
        household=money.owed, location="卫生间", description="漏水", reported_by=clerk
    )
    _open_line(page, live_server, clerk.username, "defects", "待答复报修")
    page.wait_for_url(f"**/staff/settlement/defects/{ticket.pk}/")
    page.fill("textarea[name=answer]", "已安排维修人员周三上门。")
    page.click("button:has-text('提交答复')")
    page.wait_for_load_state()
    ticket.refresh_from_db()
    assert ticket.status != DefectStatus.OPEN and ticket.answered_by == clerk
    _line_gone(page, live_server, "defects")


@pytest.fixture
def flushable_lottery():
    yield
    clear_lottery_before_flush()


def test_a_notary_confirms_a_session_from_the_inbox(
    phone_page, live_server, flushable_lottery, open_session, notary
):
    page = phone_page
    _open_line(page, live_server, notary.username, "sessions_confirm", "待确认摇号场次")
    page.wait_for_url(f"**/staff/lottery/{open_session.code}/")
    page.click("#confirm-form button")
    page.wait_for_selector("#entropy-form textarea", state="visible")
    open_session.refresh_from_db()
    assert open_session.status == SessionStatus.CONFIRMED
    _line_gone(page, live_server, "sessions_confirm")
