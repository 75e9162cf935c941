"""Sending a statement back (退回): while it is in the approval chain, whoever may take the
step it waits for may send it back to draft with a written reason. The approvals given so far
stay on record; the draft can be corrected and recomputed, and the chain starts again from
step 1, whose approval freezes it again. On the statement page, over the API and in the PDF."""

from __future__ import annotations

import re

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from rest_framework.test import APIClient

from resettlement.errors import NotAllowed, RuleViolation
from settlement.models import StatementApproval, StatementSendBack, StatementStatus
from settlement.pdf.statement import statement_pdf
from settlement.services import approvals, statements
from tests.pdf import pdf_pages, squeezed
from tests.settlement.factories import approve_next, approve_through, statement_of

pytestmark = pytest.mark.django_db


def send_back(person, statement, reason="协议面积与登记不符,请核对"):
    return approvals.statement_send_back(actor=person, statement=statement, reason=reason)


def pdf_text(statement) -> str:
    return "".join(squeezed(page) for page in pdf_pages(statement_pdf(statement)))


# -- the service ----------------------------------------------------------------------------


def test_the_next_steps_approver_sends_a_statement_back_to_draft(money, chain):
    statement = approve_through(statement_of(money.owed), chain, steps=2)
    record = send_back(chain.director, statement)  # step 3 is the office director's
    statement.refresh_from_db()
    assert statement.status == StatementStatus.DRAFT
    assert statement.approval_round == 2
    assert (record.round, record.position, record.label) == (1, 3, "办公室主任审核")
    assert record.actor == chain.director
    assert record.reason == "协议面积与登记不符,请核对"


def test_the_approvals_already_given_stay_on_record(money, chain):
    statement = approve_through(statement_of(money.owed), chain, steps=2)
    send_back(chain.director, statement)
    kept = StatementApproval.objects.filter(statement=statement).order_by("position")
    assert [(a.round, a.actor) for a in kept] == [(1, chain.reviewer), (1, chain.leader)]


def test_the_chain_starts_again_from_step_one(money, chain):
    statement = approve_through(statement_of(money.owed), chain, steps=3)
    send_back(chain.finance_leader, statement)
    statement.refresh_from_db()
    assert approvals.next_step(statement).position == 1
    # The same people approve again in the new round; separation of duties holds per round.
    statement = approve_through(statement, chain)
    assert statement.status == StatementStatus.APPROVED
    rounds = list(statement.approvals.order_by("round", "position").values_list("round", flat=True))
    assert rounds == [1, 1, 1] + [2] * 7


def test_a_statement_sent_back_twice_keeps_both_rounds(money, chain):
    statement = approve_through(statement_of(money.owed), chain, steps=1)
    send_back(chain.leader, statement, "第一次退回")
    approve_through(statement, chain, steps=2)
    send_back(chain.director, statement, "第二次退回")
    statement.refresh_from_db()
    assert statement.approval_round == 3
    assert list(statement.send_backs.values_list("round", "reason")) == [
        (1, "第一次退回"),
        (2, "第二次退回"),
    ]
    assert statement.approvals.count() == 3


def test_a_reason_is_required(money, chain):
    statement = approve_through(statement_of(money.owed), chain, steps=1)
    for empty in ("", "   "):
        with pytest.raises(RuleViolation) as refused:
            send_back(chain.leader, statement, empty)
        assert refused.value.code == "send_back_reason_required"
        assert refused.value.details[0]["field"] == "reason"
    statement.refresh_from_db()
    assert statement.status == StatementStatus.APPROVING
    assert not StatementSendBack.objects.exists()


def test_only_who_may_take_the_waiting_step_sends_back(money, chain, clerk, outsider):
    statement = approve_through(statement_of(money.owed), chain, steps=2)  # waits for step 3
    for person, code in (
        (chain.cashier, "wrong_role"),  # finance: step 3 is a leader's
        (chain.leader, "separation_of_duties"),  # a leader, but took step 2
        (clerk, "permission_denied"),
        (outsider, "permission_denied"),
    ):
        with pytest.raises(NotAllowed) as refused:
            send_back(person, statement)
        assert refused.value.code == code
    statement.refresh_from_db()
    assert statement.status == StatementStatus.APPROVING and statement.approval_round == 1


def test_only_a_statement_in_the_chain_is_sent_back(money, chain):
    draft = statement_of(money.owed)
    with pytest.raises(RuleViolation) as refused:
        send_back(chain.reviewer, draft)
    assert refused.value.code == "not_in_chain"
    approved = approve_through(statement_of(money.owed_too), chain)
    with pytest.raises(RuleViolation) as refused:
        send_back(chain.cashier, approved)
    assert refused.value.code == "not_in_chain"


def test_the_database_keeps_one_send_back_per_round(money, chain):
    statement = approve_through(statement_of(money.owed), chain, steps=1)
    send_back(chain.leader, statement)
    with pytest.raises(IntegrityError), transaction.atomic():
        StatementSendBack.objects.create(
            statement=statement, round=1, position=2, label="x", actor=chain.leader, reason="y"
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        StatementSendBack.objects.create(
            statement=statement, round=2, position=2, label="x", actor=chain.leader, reason=""
        )


# -- with a statement computed from its inputs ------------------------------------------------


def test_a_sent_back_statement_is_corrected_recomputed_and_frozen_again(
    settlement_project, finance_wu, reviewer, leader
):
    household = settlement_project.households[0]
    statement = statements.statement_compute(actor=finance_wu, household=household)
    approve_next(actor=reviewer, statement=statement)
    with pytest.raises(RuleViolation) as refused:
        statements.adjustment_add(
            actor=finance_wu, household=household, kind="reward", amount="1000", reason="提前腾房"
        )
    assert refused.value.code == "statement_frozen"

    send_back(leader, statement, "漏计提前腾房奖励")
    statements.adjustment_add(
        actor=finance_wu, household=household, kind="reward", amount="1000", reason="提前腾房"
    )
    statement.refresh_from_db()
    assert statement.status == StatementStatus.DRAFT
    assert statement.lines.filter(rule="reward").exists()
    net = statement.net

    approve_next(actor=reviewer, statement=statement)
    statement.refresh_from_db()
    assert statement.status == StatementStatus.APPROVING and statement.net == net
    with pytest.raises(RuleViolation) as refused:
        statements.adjustment_add(
            actor=finance_wu, household=household, kind="reward", amount="5", reason="再加"
        )
    assert refused.value.code == "statement_frozen"


# -- the statement page ---------------------------------------------------------------------


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_page_offers_send_back_only_to_the_next_steps_approver(money, chain):
    statement = approve_through(statement_of(money.owed), chain, steps=2)
    url = f"/staff/settlement/statements/{statement.pk}/"
    assert 'id="send-back-form"' in client_for(chain.director).get(url).content.decode()
    for person in (chain.leader, chain.cashier):
        assert 'id="send-back-form"' not in client_for(person).get(url).content.decode()


def test_sending_back_on_the_page(money, chain):
    statement = approve_through(statement_of(money.owed), chain, steps=2)
    client = client_for(chain.director)
    response = client.post(
        f"/staff/settlement/statements/{statement.pk}/send-back/",
        {"reason": "请补充腾房证明"},
        follow=True,
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "结算单已在“办公室主任审核”退回" in html
    assert 'id="statement-status">待审批<' in html
    history = re.search(r'<section class="card" id="send-backs">.*?</section>', html, re.S).group(0)
    assert "请补充腾房证明" in history and "钱主任" in history
    assert "赵审核" in history and "陈分管" in history  # the superseded approvals
    statement.refresh_from_db()
    assert statement.status == StatementStatus.DRAFT


def test_an_empty_reason_is_shown_on_the_field(money, chain):
    statement = approve_through(statement_of(money.owed), chain, steps=2)
    response = client_for(chain.director).post(
        f"/staff/settlement/statements/{statement.pk}/send-back/", {"reason": " "}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert re.search(r'id="send-back-form".*请填写退回原因', html, re.S)
    statement.refresh_from_db()
    assert statement.status == StatementStatus.APPROVING


def test_outsiders_and_wrong_roles_cannot_send_back(money, chain, outsider):
    statement = approve_through(statement_of(money.owed), chain, steps=2)
    url = f"/staff/settlement/statements/{statement.pk}/send-back/"
    for person in (outsider, chain.cashier):
        assert client_for(person).post(url, {"reason": "不同意"}).status_code == 403
    statement.refresh_from_db()
    assert statement.status == StatementStatus.APPROVING


def test_a_statement_not_in_the_chain_is_a_message_not_an_error(money, chain):
    statement = statement_of(money.owed)  # a draft
    response = client_for(chain.reviewer).post(
        f"/staff/settlement/statements/{statement.pk}/send-back/", {"reason": "不同意"}, follow=True
    )
    assert response.status_code == 200
    assert "不在审批中,不能退回" in response.content.decode()


# -- the API --------------------------------------------------------------------------------


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_sending_back_over_the_api(money, chain):
    statement = approve_through(statement_of(money.owed), chain, steps=2)
    response = api_for(chain.director).post(
        f"/api/settlement/statements/{statement.pk}/send-back/",
        {"reason": "金额有误"},
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "draft" and body["approval_round"] == 2
    assert body["approvals"] == []
    assert body["next_step"]["position"] == 1
    (sent_back,) = body["send_backs"]
    assert sent_back["reason"] == "金额有误" and sent_back["actor"]["username"] == "m_director"
    assert [a["actor"]["username"] for a in sent_back["superseded_approvals"]] == [
        "m_reviewer",
        "m_leader",
    ]


def test_the_api_refuses_a_send_back_without_reason_or_by_the_wrong_person(money, chain):
    statement = approve_through(statement_of(money.owed), chain, steps=2)
    url = f"/api/settlement/statements/{statement.pk}/send-back/"
    response = api_for(chain.director).post(url, {}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "send_back_reason_required"
    response = api_for(chain.cashier).post(url, {"reason": "不同意"}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "wrong_role"
    statement.refresh_from_db()
    assert statement.status == StatementStatus.APPROVING


# -- the PDF --------------------------------------------------------------------------------


def test_the_pdf_shows_the_send_back_history(money, chain):
    statement = approve_through(statement_of(money.owed), chain, steps=2)
    send_back(chain.director, statement, "请补充腾房证明")
    approve_next(actor=chain.reviewer, statement=statement)
    text = pdf_text(statement)
    assert "第2轮审批" in text
    assert "请补充腾房证明" in text and "钱主任" in text
    assert "(已作废)2.分管领导预审" in text  # the superseded approval of step 2
