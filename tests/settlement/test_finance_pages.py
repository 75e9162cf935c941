"""The finance pages: groups and their settlement, a group's households, a statement with
its chain, the approve form for whoever may take the next step, and a payment form whose
hidden key makes a double submit pay once. Refusals are messages, never an error page."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from settlement.models import Payment, StatementStatus
from settlement.services import approvals, payments
from tests.reauth import recently_authenticated
from tests.settlement.factories import (
    approve_next,
    approve_through,
    make_household,
    make_statement,
    statement_of,
)

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return recently_authenticated(client)


def key_of(html: str) -> str:
    return re.search(r'name="idempotency_key" value="([0-9a-f]+)"', html).group(1)


def test_the_project_page_lists_groups_with_their_settlement(money, chain):
    approve_through(statement_of(money.elsewhere), chain)
    payments.payment_record(
        actor=chain.cashier,
        statement=statement_of(money.elsewhere),
        amount="8000.00",
        idempotency_key="k1",
    )
    response = client_for(chain.cashier).get(f"/staff/settlement/projects/{money.project.code}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "第一组" in html and "第二组" in html
    assert "已结清" in html
    assert "8,000.00 元" in html
    assert "补偿款拨付至安置户账户" in html  # the chain is shown


def test_the_project_page_and_the_group_api_cost_the_same_for_more_households(money, chain):
    """The project page lists the groups with their counts and links to each group's
    households; neither it nor the group API reads a row per household."""
    client = client_for(chain.cashier)
    url = f"/staff/settlement/projects/{money.project.code}/"
    api = f"/api/settlement/groups/?project={money.project.pk}"
    with CaptureQueriesContext(connection) as page_few:
        client.get(url)
    with CaptureQueriesContext(connection) as api_few:
        client.get(api)
    for n in range(12):
        make_statement(make_household(money.group, actor=chain.reviewer, code=f"X{n:02d}"), "10")
    with CaptureQueriesContext(connection) as page_many:
        html = client.get(url).content.decode()
    with CaptureQueriesContext(connection) as api_many:
        listing = client.get(api).json()
    assert len(page_many) == len(page_few)
    assert len(api_many) == len(api_few)
    row = html[html.index(f'id="group-{money.group.pk}"') :]
    row = row[: row.index("</tr>")]
    assert f'href="/staff/settlement/groups/{money.group.pk}/"' in row
    assert '<td data-label="户数">15</td>' in row
    assert listing["results"][0]["totals"]["households"] == 15


def test_the_home_page_goes_to_the_only_project(money, chain):
    response = client_for(chain.cashier).get("/staff/settlement/")
    assert response.status_code == 302
    assert response.url.endswith(f"/projects/{money.project.code}/")


def test_the_group_page_shows_each_household(money, chain):
    response = client_for(chain.cashier).get(f"/staff/settlement/groups/{money.group.pk}/")
    html = response.content.decode()
    assert response.status_code == 200
    for code in ("H001", "H002", "H003"):
        assert code in html
    assert "-20,000.00 元" in html
    assert "先收后支" in html


def test_outsiders_see_no_finance_page(money, outsider):
    client = client_for(outsider)
    assert client.get(f"/staff/settlement/groups/{money.group.pk}/").status_code == 403
    statement = statement_of(money.owed)
    assert client.get(f"/staff/settlement/statements/{statement.pk}/").status_code == 403
    assert Client().get("/staff/settlement/").status_code == 302  # to the login page


def test_the_statement_page_offers_the_next_step_to_whoever_may_take_it(money, chain):
    statement = statement_of(money.owed)
    url = f"/staff/settlement/statements/{statement.pk}/"
    html = client_for(chain.reviewer).get(url).content.decode()
    assert "被拆迁房屋补偿" in html
    assert 'id="approve-form"' in html
    # A finance officer may not take the reviewer's step: no form, the reason instead.
    html = client_for(chain.cashier).get(url).content.decode()
    assert 'id="approve-form"' not in html
    assert "补偿协议审核" in html

    assert (
        'name="expected_position" value="1"' in client_for(chain.reviewer).get(url).content.decode()
    )
    response = client_for(chain.reviewer).post(
        url + "approve/", {"comment": "协议无误", "expected_position": 1}
    )
    assert response.status_code == 302
    html = client_for(chain.reviewer).get(url).content.decode()
    assert "协议无误" in html
    assert 'id="approve-form"' not in html  # the same person never takes a second step


def test_a_refused_approval_is_a_message(money, chain):
    statement = statement_of(money.owed)
    url = f"/staff/settlement/statements/{statement.pk}/"
    response = client_for(chain.cashier).post(
        url + "approve/", {"expected_position": 1}, follow=True
    )
    assert response.status_code == 200
    # The step's name is on the page anyway (the chain): the refusal is in the messages.
    shown = [str(m) for m in response.context["messages"]]
    assert len(shown) == 1 and "补偿协议审核" in shown[0] and "须由" in shown[0]
    assert shown[0] in response.content.decode()
    assert statement.approvals.count() == 0


def test_a_double_submitted_payment_is_recorded_once(money, chain):
    statement = approve_through(statement_of(money.elsewhere), chain)
    url = f"/staff/settlement/statements/{statement.pk}/"
    client = client_for(chain.cashier)
    html = client.get(url).content.decode()
    assert 'id="payment-form"' in html
    form = {"amount": "8000.00", "reference": "BANK-9", "idempotency_key": key_of(html)}
    first = client.post(url + "pay/", form, follow=True)
    assert "该户已结清" in first.content.decode()
    second = client.post(url + "pay/", form, follow=True)
    assert second.status_code == 200
    assert "没有重复登记" in second.content.decode()
    assert Payment.objects.count() == 1
    assert statement_of(money.elsewhere).status == StatementStatus.SETTLED


def test_the_payment_form_is_shown_only_to_who_may_record_one(money, chain):
    draft = statement_of(money.owes)
    approved = approve_through(statement_of(money.elsewhere), chain)
    draft_url = f"/staff/settlement/statements/{draft.pk}/"
    url = f"/staff/settlement/statements/{approved.pk}/"
    # Not before it is approved, and not to someone without the payment permission.
    assert 'id="payment-form"' not in client_for(chain.cashier).get(draft_url).content.decode()
    assert 'id="payment-form"' not in client_for(chain.leader).get(url).content.decode()
    html = client_for(chain.cashier).get(url).content.decode()
    assert 'id="payment-form"' in html
    assert "尚未收付 8,000.00 元" in html
    # Once settled there is nothing left to record.
    payments.payment_record(
        actor=chain.cashier, statement=approved, amount="8000.00", idempotency_key="k1"
    )
    html = client_for(chain.cashier).get(url).content.decode()
    assert 'id="payment-form"' not in html
    assert "尚未收付 0.00 元" in html


def test_each_rendering_of_the_form_has_its_own_key(money, chain):
    statement = approve_through(statement_of(money.elsewhere), chain)
    client = client_for(chain.cashier)
    url = f"/staff/settlement/statements/{statement.pk}/"
    assert key_of(client.get(url).content.decode()) != key_of(client.get(url).content.decode())


def test_collect_first_on_the_statement_page(money, chain):
    for household in (money.owes, money.owed, money.owed_too):
        approve_through(statement_of(household), chain)
    statement = statement_of(money.owed)
    url = f"/staff/settlement/statements/{statement.pk}/"
    client = client_for(chain.cashier)
    html = client.get(url).content.decode()
    assert 'id="blockers"' in html and "H001" in html
    form = {"amount": "30000.00", "reference": "", "idempotency_key": key_of(html)}
    response = client.post(url + "pay/", form, follow=True)
    assert response.status_code == 200
    assert "先收后支" in response.content.decode()
    assert Payment.objects.count() == 0


def test_an_over_payment_and_a_bad_amount_are_messages(money, chain):
    statement = approve_through(statement_of(money.elsewhere), chain)
    url = f"/staff/settlement/statements/{statement.pk}/pay/"
    client = client_for(chain.cashier)
    over = client.post(url, {"amount": "9000.00", "idempotency_key": "a1"}, follow=True)
    assert "超过" in over.content.decode()
    bad = client.post(url, {"amount": "abc", "idempotency_key": "a2"}, follow=True)
    assert bad.status_code == 200 and "未登记" in bad.content.decode()
    assert Payment.objects.count() == 0


def test_a_leader_edits_the_chain_on_its_page(money, chain, leader):
    url = f"/staff/settlement/projects/{money.project.code}/chain/"
    client = client_for(leader)
    html = client.get(url).content.decode()
    assert "分管领导预审" in html
    data = {
        "steps-TOTAL_FORMS": "3",
        "steps-INITIAL_FORMS": "0",
        "steps-MIN_NUM_FORMS": "0",
        "steps-MAX_NUM_FORMS": "30",
        "steps-0-position": "2",
        "steps-0-code": "leader_sign",
        "steps-0-label": "领导签批",
        "steps-0-role": "leader",
        "steps-1-position": "1",
        "steps-1-code": "finance_check",
        "steps-1-label": "财务初审",
        "steps-1-role": "finance",
        "steps-2-position": "",
        "steps-2-code": "",
        "steps-2-label": "",
        "steps-2-role": "",
    }
    response = client.post(url, data)
    assert response.status_code == 302
    steps = approvals.approval_chain(money.project)
    assert [(s.label, s.role) for s in steps] == [("财务初审", "finance"), ("领导签批", "leader")]
    # A role that may not approve is refused with a message.
    data["steps-0-role"] = "clerk"
    response = client.post(url, data)
    assert response.status_code == 200
    assert "没有审批结算单的权限" in response.content.decode()
    # Finance officers do not change the chain.
    assert client_for(chain.cashier).get(url).status_code == 403


def test_the_chain_page_is_read_only_once_a_statement_is_in_it(money, chain, leader):
    approve_next(actor=chain.reviewer, statement=statement_of(money.owed))
    html = client_for(leader).get(f"/staff/settlement/projects/{money.project.code}/chain/")
    assert "不能再修改" in html.content.decode()
    response = client_for(leader).post(
        f"/staff/settlement/projects/{money.project.code}/chain/",
        {
            "steps-TOTAL_FORMS": "1",
            "steps-INITIAL_FORMS": "0",
            "steps-0-position": "1",
            "steps-0-code": "a",
            "steps-0-label": "一步",
            "steps-0-role": "leader",
        },
    )
    assert response.status_code == 200
    assert "不能再修改" in response.content.decode()
    assert len(approvals.approval_chain(money.project)) == 8


def test_the_statement_page_links_its_pdf(money, chain):
    statement = approve_through(statement_of(money.owed), chain, steps=3)
    client = client_for(chain.cashier)
    html = client.get(f"/staff/settlement/statements/{statement.pk}/").content.decode()
    pdf_url = f"/staff/settlement/statements/{statement.pk}/statement.pdf"
    assert pdf_url in html
    response = client.get(pdf_url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    # Shown in the browser's PDF viewer, never cached or sniffed (personal money matters).
    assert response["Content-Disposition"] == 'inline; filename="statement-H002.pdf"'
    assert response["Cache-Control"] == "private, no-store"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_the_approve_form_carries_the_step_shown_and_a_stale_one_is_refused(money, chain):
    """Two leaders have the page open at step 2; the second click is refused with a message
    instead of taking step 3, which the second leader never saw."""
    statement = approve_through(statement_of(money.owed), chain, steps=1)
    url = f"/staff/settlement/statements/{statement.pk}/"
    first, second = client_for(chain.leader), client_for(chain.director)
    for client in (first, second):
        html = client.get(url).content.decode()
        shown = re.search(r'name="expected_position" value="(\d+)"', html).group(1)
        assert shown == "2"
    assert first.post(url + "approve/", {"expected_position": "2"}).status_code == 302
    response = second.post(url + "approve/", {"expected_position": "2"}, follow=True)
    shown = [str(m) for m in response.context["messages"]]
    assert len(shown) == 1 and "第 3 步“办公室主任审核”" in shown[0] and "刷新" in shown[0]
    assert sorted(statement.approvals.values_list("position", flat=True)) == [1, 2]
    # A post without the step (an old page, a hand-made request) approves nothing either.
    response = second.post(url + "approve/", {"comment": "同意"}, follow=True)
    shown = [str(m) for m in response.context["messages"]]
    assert len(shown) == 1 and "缺少审批步骤" in shown[0]
    assert statement.approvals.count() == 2
