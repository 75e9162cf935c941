"""A household's settlement inputs page, reached from the group page: the move-out and
promised return dates (clerks), rewards and deductions with reasons (finance), the outcome
(finance or a leader), and the button that starts or recomputes the statement (finance).
A refusal is shown next to the field it concerns and nothing is saved; an outsider gets 403."""

from __future__ import annotations

import datetime as dt
import html as html_lib
import re

import pytest
from django.db.models import F
from django.test import Client

from households.models import Household, HouseholdStatus
from resettlement.models import AuditEntry
from resettlement.money import money_figure, money_text
from settlement.models import (
    Adjustment,
    Outcome,
    PriceRules,
    Statement,
    StatementStatus,
    Transition,
)
from settlement.services import prices
from settlement.services import statements as services_statements
from tests.settlement.factories import MOVED_OUT_ON, approve_next

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def errors_on(page: str, field: str) -> list[str]:
    """The error messages shown in the block of the field named `field` (under its input)."""
    for chunk in page.split('<div class="field')[1:]:
        chunk = chunk.split("<button")[0]
        if f'name="{field}"' in chunk:
            return [html_lib.unescape(m) for m in re.findall(r'<p class="error">(.*?)</p>', chunk)]
    raise AssertionError(f"no field {field} on the page")


def page_errors(page: str) -> str:
    return html_lib.unescape(" ".join(re.findall(r'<p class="error">(.*?)</p>', page)))


@pytest.fixture
def household(settlement_project) -> Household:
    return settlement_project.household("H1101")


def url(household: Household, action: str = "") -> str:
    return f"/staff/settlement/households/{household.pk}/{action}"


# -- reaching it, starting a statement ------------------------------------------------------


def test_the_group_page_offers_to_start_a_statement(settlement_project, household, finance_wu):
    page = client_for(finance_wu).get(f"/staff/settlement/groups/{household.group_id}/")
    row = re.search(rf'<tr id="h{household.pk}">.*?</tr>', page.content.decode(), re.S).group(0)
    assert "尚未计算" in row
    assert f'href="/staff/settlement/households/{household.pk}/"' in row
    assert "开始结算" in row


def test_finance_starts_a_statement_from_the_households_page(household, finance_wu):
    client = client_for(finance_wu)
    page = client.get(url(household)).content.decode()
    assert 'id="compute-form"' in page and "计算结算单" in page
    response = client.post(url(household, "compute/"))
    statement = Statement.objects.get(household=household)
    assert response.status_code == 302
    assert response.url == f"/staff/settlement/statements/{statement.pk}/"
    assert statement.status == StatementStatus.DRAFT and statement.computed_by == finance_wu
    followed = client.get(response.url).content.decode()
    assert "结算单已计算(第1次计算)" in followed


def test_a_statement_that_cannot_be_computed_says_why(settlement_project, household, finance_wu):
    PriceRules.objects.filter(project=settlement_project.project).delete()
    response = client_for(finance_wu).post(url(household, "compute/"))
    assert response.status_code == 200
    assert "尚未设置结算价格" in page_errors(response.content.decode())
    assert not Statement.objects.filter(household=household).exists()


def test_a_household_not_yet_approved_is_refused(household, finance_wu):
    Household.objects.filter(pk=household.pk).update(status=HouseholdStatus.REVIEWED)
    client = client_for(finance_wu)
    assert "尚未审批通过" in client.get(url(household)).content.decode()
    response = client.post(url(household, "compute/"))
    assert response.status_code == 200
    assert "尚未审批通过" in page_errors(response.content.decode())
    assert not Statement.objects.exists()


def test_outsiders_get_403_everywhere(household, outsider):
    client = client_for(outsider)
    assert client.get(url(household)).status_code == 403
    for action, data in (
        ("compute/", {}),
        ("transition/", {"moved_out_on": "2025-10-01"}),
        ("adjustments/", {"kind": "reward", "amount": "100", "reason": "x"}),
        ("outcome/", {"outcome": "apartment"}),
    ):
        assert client.post(url(household, action), data).status_code == 403
    assert not Statement.objects.exists() and not Adjustment.objects.exists()


def test_each_role_gets_only_its_own_forms(household, clerk, finance_wu, leader):
    clerk_page = client_for(clerk).get(url(household)).content.decode()
    assert 'id="transition-form"' in clerk_page
    for form in ("compute-form", "adjustment-form", "outcome-form"):
        assert f'id="{form}"' not in clerk_page
    finance_page = client_for(finance_wu).get(url(household)).content.decode()
    assert 'id="transition-form"' not in finance_page
    for form in ("compute-form", "adjustment-form", "outcome-form"):
        assert f'id="{form}"' in finance_page
    leader_page = client_for(leader).get(url(household)).content.decode()
    assert 'id="outcome-form"' in leader_page and 'id="compute-form"' not in leader_page


def test_roles_without_the_permission_are_refused_on_post(household, clerk, finance_wu):
    assert client_for(clerk).post(url(household, "compute/")).status_code == 403
    assert (
        client_for(clerk)
        .post(url(household, "adjustments/"), {"kind": "reward", "amount": "1", "reason": "x"})
        .status_code
        == 403
    )
    assert (
        client_for(finance_wu)
        .post(url(household, "transition/"), {"moved_out_on": "2025-10-01"})
        .status_code
        == 403
    )
    assert not Statement.objects.exists() and not Adjustment.objects.exists()


# -- the transition dates -------------------------------------------------------------------


def test_a_clerk_corrects_the_move_out_date_and_the_draft_follows(household, clerk, finance_wu):
    statement = services_statements.statement_compute(actor=finance_wu, household=household)
    client = client_for(clerk)
    response = client.post(
        url(household, "transition/"), {"moved_out_on": "2025-08-20", "promised_by": "2027-08-20"}
    )
    assert response.status_code == 302
    transition = Transition.objects.get(household=household)
    assert (transition.moved_out_on, transition.promised_by) == (
        dt.date(2025, 8, 20),
        dt.date(2027, 8, 20),
    )
    statement.refresh_from_db()
    assert statement.version == 2  # three more months of subsidy
    page = client.get(url(household)).content.decode()
    assert "2025-08-20 搬迁腾房" in page and "承诺 2027-08-20 前回迁" in page


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"moved_out_on": "2025-02-30"}, "moved_out_on", "有效的日期"),
        ({"moved_out_on": ""}, "moved_out_on", "必填"),
        ({"moved_out_on": "2099-01-01"}, "moved_out_on", "搬迁腾房日期不能晚于今天"),
        (
            {"moved_out_on": "2025-10-01", "promised_by": "2025-09-30"},
            "promised_by",
            "承诺回迁日期不能早于搬迁腾房日期",
        ),
    ],
)
def test_wrong_dates_are_shown_next_to_the_field(household, clerk, data, field, message):
    response = client_for(clerk).post(url(household, "transition/"), data)
    assert response.status_code == 200
    assert any(message in error for error in errors_on(response.content.decode(), field))
    assert Transition.objects.get(household=household).moved_out_on == MOVED_OUT_ON


# -- rewards and deductions -----------------------------------------------------------------


def test_finance_adds_a_reward_and_sees_it_listed(household, finance_wu):
    statement = services_statements.statement_compute(actor=finance_wu, household=household)
    client = client_for(finance_wu)
    response = client.post(
        url(household, "adjustments/"),
        {"kind": "reward", "amount": "2000.00", "reason": "提前腾房奖励"},
        follow=True,
    )
    page = response.content.decode()
    assert "已添加奖励 2,000.00 元" in page
    listed = re.search(r'<section class="card" id="adjustments">.*?</section>', page, re.S).group(0)
    assert "提前腾房奖励" in listed and "2,000.00 元" in listed and "吴财务" in listed
    statement.refresh_from_db()
    assert statement.lines.filter(rule="reward", amount="2000.00").exists()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"kind": "reward", "amount": "-5", "reason": "x"}, "amount", "必须是大于0的数字"),
        ({"kind": "reward", "amount": "abc", "reason": "x"}, "amount", "必须是大于0的数字"),
        ({"kind": "reward", "amount": "1.001", "reason": "x"}, "amount", "最多2位小数"),
        ({"kind": "deduction", "amount": "1e20", "reason": "x"}, "amount", "金额不能超过"),
        (
            {"kind": "deduction", "amount": "123456789012345.00", "reason": "x"},
            "amount",
            "金额不能超过",
        ),
        ({"kind": "reward", "amount": "100", "reason": "  "}, "reason", "请填写奖励或扣减的原因"),
        ({"kind": "reward", "amount": "100", "reason": "长" * 201}, "reason", "原因最多200字"),
        ({"kind": "bonus", "amount": "100", "reason": "x"}, "kind", "选择一个有效的选项"),
    ],
)
def test_bad_adjustments_are_shown_next_to_the_field(household, finance_wu, data, field, message):
    response = client_for(finance_wu).post(url(household, "adjustments/"), data)
    assert response.status_code == 200
    assert any(message in error for error in errors_on(response.content.decode(), field))
    assert not Adjustment.objects.exists()


# -- the outcome ----------------------------------------------------------------------------


def test_finance_chooses_apartments_and_the_statement_is_computed(household, finance_wu):
    response = client_for(finance_wu).post(url(household, "outcome/"), {"outcome": "apartment"})
    assert response.status_code == 302
    statement = Statement.objects.get(household=household)
    assert statement.outcome == Outcome.APARTMENT and statement.outcome_chosen_by == finance_wu


def test_monetised_is_refused_next_to_the_outcome_for_a_household_with_an_apartment(
    household, finance_wu
):
    response = client_for(finance_wu).post(url(household, "outcome/"), {"outcome": "monetised"})
    assert response.status_code == 200
    assert "已分得安置房" in " ".join(errors_on(response.content.decode(), "outcome"))
    assert not Statement.objects.exists()


# -- once frozen ----------------------------------------------------------------------------


def test_a_frozen_statement_takes_no_change_and_the_page_says_so(
    household, finance_wu, clerk, reviewer
):
    statement = services_statements.statement_compute(actor=finance_wu, household=household)
    approve_next(actor=reviewer, statement=statement)
    client = client_for(finance_wu)
    page = client.get(url(household)).content.decode()
    assert 'id="frozen"' in page and "退回" in page
    assert 'id="adjustment-form"' not in page and 'id="compute-form"' not in page
    # A form left open in another tab: refused, nothing saved, no error page.
    response = client.post(
        url(household, "adjustments/"), {"kind": "reward", "amount": "100", "reason": "迟到的奖励"}
    )
    assert response.status_code == 200
    assert "已进入审批" in page_errors(response.content.decode())
    assert not Adjustment.objects.exists()
    response = client_for(clerk).post(url(household, "transition/"), {"moved_out_on": "2025-01-01"})
    assert response.status_code == 200
    assert Transition.objects.get(household=household).moved_out_on == MOVED_OUT_ON
    assert client.post(url(household, "compute/")).status_code == 200
    statement.refresh_from_db()
    assert statement.version == 1 and statement.status == StatementStatus.APPROVING


def test_the_statement_page_links_back_to_its_inputs(household, finance_wu):
    statement = services_statements.statement_compute(actor=finance_wu, household=household)
    page = client_for(finance_wu).get(f"/staff/settlement/statements/{statement.pk}/")
    assert f'href="/staff/settlement/households/{household.pk}/"' in page.content.decode()


def test_a_draft_statement_page_shows_the_numbers_as_the_inputs_are_now(
    settlement_project, household, finance_wu
):
    statement = services_statements.statement_compute(actor=finance_wu, household=household)
    page_url = f"/staff/settlement/statements/{statement.pk}/"
    client = client_for(finance_wu)
    assert f"<dd>{money_text(statement.income_total)}</dd>" in client.get(page_url).content.decode()
    old_demolition = statement.lines.get(rule="demolition").amount
    # A price changed behind the statement's back (no refresh): the page says so and offers
    # finance a recompute; the GET itself writes nothing (issue 12, item 6).
    PriceRules.objects.filter(project=settlement_project.project).update(
        demolition_price=F("demolition_price") + 100
    )
    stale = client.get(page_url).content.decode()
    assert 'id="stale"' in stale and 'id="recompute-form"' in stale
    assert Statement.objects.get(pk=statement.pk).version == 1
    response = client.post(url(household, "compute/"))
    assert response.status_code == 302 and response["Location"] == page_url
    page = client.get(page_url).content.decode()
    statement.refresh_from_db()
    assert statement.version == 2
    assert 'id="stale"' not in page
    assert f"<dd>{money_text(statement.income_total)}</dd>" in page
    demolition = statement.lines.get(rule="demolition").amount
    assert demolition == old_demolition + 15000  # 150.00 ㎡ × 100 元 more
    assert f">{money_text(demolition)}</td>" in page
    assert f">{money_text(old_demolition)}</td>" not in page


def test_the_households_page_shows_its_draft_as_the_inputs_are_now(
    settlement_project, household, finance_wu
):
    statement = services_statements.statement_compute(actor=finance_wu, household=household)
    # A price changed behind the statement's back (no refresh): the inputs page says the
    # draft is behind its inputs; the compute button brings it up to date.
    PriceRules.objects.filter(project=settlement_project.project).update(
        demolition_price=F("demolition_price") + 100
    )
    client = client_for(finance_wu)
    stale = client.get(url(household)).content.decode()
    assert 'id="stale"' in stale
    assert Statement.objects.get(pk=statement.pk).version == 1
    client.post(url(household, "compute/"))
    page = client.get(url(household)).content.decode()
    statement.refresh_from_db()
    assert statement.version == 2
    state = re.search(r'<dd id="statement-state">.*?</dd>', page, re.S).group(0)
    assert "第2次计算" in state and 'id="stale"' not in state
    assert f"收入合计 {money_figure(statement.income_total)} 元" in page


# -- a GET only reads (issue 12, item 6) ------------------------------------------------------


def _snapshot(statement: Statement) -> tuple:
    statement = Statement.objects.get(pk=statement.pk)
    lines = list(statement.lines.order_by("position").values_list("pk", "rule", "amount", "inputs"))
    return (
        statement.version,
        statement.computed_at,
        statement.net,
        statement.inputs,
        lines,
        AuditEntry.objects.count(),
    )


def test_the_statement_page_its_pdf_and_the_inputs_page_change_no_row(
    settlement_project, household, finance_wu
):
    statement = services_statements.statement_compute(actor=finance_wu, household=household)
    # Inputs changed outside settlement's services: a page used to recompute here.
    PriceRules.objects.filter(project=settlement_project.project).update(
        demolition_price=F("demolition_price") + 100
    )
    before = _snapshot(statement)
    client = client_for(finance_wu)
    for page_url in (
        f"/staff/settlement/statements/{statement.pk}/",
        f"/staff/settlement/statements/{statement.pk}/statement.pdf",
        url(household),
    ):
        assert client.get(page_url).status_code == 200, page_url
        assert _snapshot(statement) == before, page_url


def test_the_recompute_records_the_finance_officer_in_the_audit_chain(
    settlement_project, household, finance_wu
):
    statement = services_statements.statement_compute(actor=finance_wu, household=household)
    PriceRules.objects.filter(project=settlement_project.project).update(
        demolition_price=F("demolition_price") + 100
    )
    client_for(finance_wu).post(url(household, "compute/"))
    entry = AuditEntry.objects.filter(action="statement.compute").order_by("sequence").last()
    assert entry.actor == finance_wu
    assert (entry.object_id, entry.payload["version"], entry.payload["changed"]) == (
        str(statement.pk),
        2,
        True,
    )
    assert entry.payload["household"] == household.code


def test_a_price_change_through_the_service_shows_at_once(
    settlement_project, household, finance_wu, leader
):
    statement = services_statements.statement_compute(actor=finance_wu, household=household)
    rules = PriceRules.objects.get(project=settlement_project.project)
    prices.price_rules_set(
        actor=leader,
        project=settlement_project.project,
        base_price=rules.base_price,
        unused_area_price=rules.unused_area_price,
        demolition_price=rules.demolition_price + 100,
        monetised_price=rules.monetised_price,
        subsidy_rate=rules.subsidy_rate,
        tier_a_coefficient=rules.tier_a_coefficient,
        tier_b_coefficient=rules.tier_b_coefficient,
        tier_c_coefficient=rules.tier_c_coefficient,
        subsidy_basis=rules.subsidy_basis,
        bands=[(b.up_to, b.price) for b in rules.project.over_area_bands.order_by("position")],
    )
    statement.refresh_from_db()
    assert statement.version == 2  # the service recomputed the draft
    page = client_for(finance_wu).get(f"/staff/settlement/statements/{statement.pk}/")
    page = page.content.decode()
    assert 'id="stale"' not in page
    assert f"<dd>{money_text(statement.income_total)}</dd>" in page
