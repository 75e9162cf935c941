"""The settlement statement (结算单) PDF read back as text: household, head, apartments,
every line with its rule and inputs, totals, the net in figures and in capitals, the approval
steps taken and the signature boxes; never an ID number."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
import time_machine

from households.models import Member, Relation
from resettlement.people import person_name
from settlement.calculation import amount_in_words
from settlement.pdf.statement import figure, inputs_text, statement_pdf
from settlement.services import statements
from tests.pdf import pdf_pages, squeezed
from tests.settlement.factories import approve_next

pytestmark = pytest.mark.django_db

FULL_ID = re.compile(r"\d{17}[\dX]")
TODAY = dt.datetime(2026, 2, 10, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def text_of(statement) -> str:
    pdf = statement_pdf(statement)
    assert pdf.startswith(b"%PDF")
    return "".join(squeezed(page) for page in pdf_pages(pdf))


def test_figures_and_inputs_text():
    assert figure(D("1234567.89")) == "1,234,567.89"
    assert figure(D("0")) == "0.00"
    assert (
        inputs_text({"area": "90.00", "price": "3000.00"}) == "面积(㎡) 90.00;单价(元/㎡) 3000.00"
    )
    assert inputs_text({"band_to": None, "reason": "x"}) == "至(㎡) 以上全部"


@time_machine.travel(TODAY, tick=False)
def test_a_draft_statement_reads_back(settlement_project, finance_wu):
    household = settlement_project.household("H1102")
    statements.adjustment_add(
        actor=finance_wu, household=household, kind="reward", amount="8000", reason="提前搬迁奖励"
    )
    statement = statements.statement_compute(actor=finance_wu, household=household)
    text = text_of(statement)

    assert "安置结算单" in text
    assert "草稿—尚未审批" in text
    assert squeezed(settlement_project.project.name) in text
    assert household.code in text
    head = Member.objects.get(household=household, relation=Relation.HEAD)
    assert head.name in text
    assert not FULL_ID.search(text)
    for apartment in settlement_project.apartments_of(household):
        assert apartment.code in text
    for line in statement.lines.all():
        assert squeezed(line.label) in text
        assert line.rule not in text  # people read words, not the rule's code
        assert figure(line.amount) in text
    assert "规则" not in text
    assert "150.00㎡×1,500.00元/㎡" in text  # the demolition line, in words
    assert "×3个月" in text  # the subsidy's months
    assert f"收入合计:{figure(statement.income_total)}元" in text
    assert f"支出合计:{figure(statement.expenditure_total)}元" in text
    net = statement.net
    label = "应付安置户" if net > 0 else "应向安置户收取"
    assert f"{label}:{figure(abs(net))}元" in text
    assert f"人民币{amount_in_words(abs(net))}" in text
    assert "尚未审批" in text
    assert "安置户(户主)签字、手印" in text and "财务签字" in text


def test_an_approving_statement_lists_the_steps_taken(
    settlement_project, finance_wu, reviewer, leader
):
    household = settlement_project.household("H1101")
    statement = statements.statement_compute(actor=finance_wu, household=household)
    approve_next(actor=reviewer, statement=statement, comment="协议已核对")
    approve_next(actor=leader, statement=statement)
    statement.refresh_from_db()
    text = text_of(statement)
    assert "草稿" not in text
    for approval in statement.approvals.all():
        assert squeezed(approval.label) in text
        assert person_name(approval.actor) in text
    assert "协议已核对" in text
