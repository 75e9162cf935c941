"""A villager group's statements approved in bulk at the step the user holds
(/staff/settlement/groups/<pk>/approve/): the page lists the statements at that step, a
confirmation names the count, each is approved through `statement_approve` with the step the
user saw, and each refusal is listed with its household."""

from __future__ import annotations

from django.urls import reverse

from resettlement.models import AuditEntry
from settlement.models import StatementApproval, StatementStatus
from tests.households.factories import VillagerGroupFactory
from tests.people import grant, make_user
from tests.reauth import recently_authenticated
from tests.settlement.factories import approve_next, make_household, make_statement, statement_of


def url(group) -> str:
    return reverse("settlement:group-approve", args=[group.pk])


def test_the_page_lists_the_groups_statements_at_the_users_step(client, money, chain):
    client.force_login(chain.reviewer)
    page = client.get(url(money.group)).content.decode()
    assert "第 1 步“补偿协议审核”:可审批 3 份" in page
    assert all(code in page for code in ("H001", "H002", "H003"))
    assert "H101" not in page  # another group's statement
    # The comment may be as long as the service allows (APPROVAL_COMMENT_MAX), not shorter.
    assert 'maxlength="2000"' in page
    client.force_login(chain.director)  # holds steps 2 and 3: nothing waits there yet
    page = client.get(url(money.group)).content.decode()
    assert "本组没有在您负责的审批步骤等待审批的结算单" in page


def test_bulk_approval_confirms_the_count_and_approves_exactly_those(client, money, chain):
    chosen = [statement_of(money.owes), statement_of(money.owed)]
    left = statement_of(money.owed_too)
    client.force_login(chain.reviewer)
    recently_authenticated(client)
    confirm = client.post(
        url(money.group),
        {"expected_position": 1, "statement": [s.pk for s in chosen], "comment": "协议无误"},
    )
    page = confirm.content.decode()
    assert "确认在“补偿协议审核”审批 2 份结算单?" in page
    assert "H001" in page and "H002" in page and "H003" not in page
    assert not StatementApproval.objects.exists()  # nothing approved before confirming
    response = client.post(
        url(money.group),
        {
            "expected_position": 1,
            "statements": ",".join(str(s.pk) for s in chosen),
            "comment": "协议无误",
            "confirmed": "1",
        },
        follow=True,
    )
    assert "已审批 2 份结算单(“补偿协议审核”)" in response.content.decode()
    approved = StatementApproval.objects.values_list("statement_id", "position", "comment")
    assert sorted(approved) == sorted((s.pk, 1, "协议无误") for s in chosen)
    left.refresh_from_db()
    assert left.status == StatementStatus.DRAFT
    assert AuditEntry.objects.filter(action="statement.approve").count() == 2


def test_a_statement_whose_step_moved_meanwhile_is_refused_and_named(client, money, chain):
    statements = [statement_of(money.owes), statement_of(money.owed)]
    client.force_login(chain.leader)
    recently_authenticated(client)
    for statement in statements:
        approve_next(actor=chain.reviewer, statement=statement)
    # The leader saw step 2 waiting; meanwhile the director took it on H002.
    approve_next(actor=chain.director, statement=statements[1])
    response = client.post(
        url(money.group),
        {
            "expected_position": 2,
            "statements": ",".join(str(s.pk) for s in statements),
            "confirmed": "1",
        },
        follow=True,
    )
    page = response.content.decode()
    assert "已审批 1 份结算单" in page
    assert "H002:您审批的是第 2 步" in page
    assert StatementApproval.objects.filter(actor=chain.leader).count() == 1


def test_statements_the_user_cannot_act_on_are_listed_without_a_form(client, money, chain):
    statement = statement_of(money.owes)
    approve_next(actor=chain.reviewer, statement=statement)
    approve_next(actor=chain.leader, statement=statement)  # step 2; step 3 is also a leader's
    client.force_login(chain.leader)
    page = client.get(url(money.group)).content.decode()
    assert "第 3 步“办公室主任审核”:可审批 0 份" in page
    assert "H001:您已审批过本结算单的“分管领导预审”" in page
    assert 'name="statement"' not in page


def test_another_projects_group_is_not_found(client, money, roles):
    other = VillagerGroupFactory()
    finance = make_user("scoped_reviewer", "reviewer", all_projects=False)
    grant(finance, other.project)
    make_statement(make_household(other, actor=finance), "100.00")
    client.force_login(finance)
    recently_authenticated(client)
    assert client.get(url(money.group)).status_code == 404
    response = client.post(
        url(money.group),
        {"expected_position": 1, "statements": str(statement_of(money.owes).pk), "confirmed": "1"},
    )
    assert response.status_code == 404
    assert not StatementApproval.objects.exists()
    assert client.get(url(other)).status_code == 200


def test_the_group_page_links_to_the_bulk_approval(client, money, chain):
    client.force_login(chain.reviewer)
    page = client.get(reverse("settlement:group-detail", args=[money.group.pk]))
    assert url(money.group) in page.content.decode()


def test_an_english_reader_sees_the_default_step_named_in_english(client, money, chain):
    from django.conf import settings

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    chosen = [statement_of(money.owes)]
    client.force_login(chain.reviewer)
    page = client.get(url(money.group)).content.decode()
    assert "Step 1 “Agreement review”: 3 you can approve" in page
    recently_authenticated(client)
    confirm = client.post(url(money.group), {"expected_position": 1, "statement": [chosen[0].pk]})
    assert "Approve 1 statement at “Agreement review”?" in confirm.content.decode()
    response = client.post(
        url(money.group),
        {"expected_position": 1, "statements": str(chosen[0].pk), "confirmed": "1"},
        follow=True,
    )
    assert "Agreement review" in response.content.decode()
    assert "补偿协议审核" not in response.content.decode()
