"""Settlement defects found in the browser (issue 13, item 7): amounts written one way
everywhere, statement lines and steps in words in both languages, approval steps by
direction, the issued agreement shown on its page, empty groups and amounts awaiting
approval, people named by name, and a group filter naming each group with its community."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal as D

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from households.models import Community, Project, VillagerGroup
from publicity.services.notices import default_options
from resettlement.money import money_text
from resettlement.people import issuing_body, person_name
from settlement import calculation as c
from settlement.models import Agreement, StatementStatus
from settlement.pdf.statement import statement_pdf
from settlement.services import agreements, approvals, payments, statements
from settlement.services import defects as settlement_defects
from settlement.services.approvals import StepSpec
from settlement.services.corrections import correction_open
from settlement.wording import line_basis, line_label
from tests.households.factories import ProjectFactory
from tests.pdf import pdf_pages, squeezed
from tests.reauth import recently_authenticated
from tests.settlement.factories import (
    approve_next,
    approve_through,
    settle,
    statement_of,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _back_to_the_system_language():
    """A page asked for in English leaves English active in the test's thread."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


# An amount as the pages printed it before: a figure of four or more digits without
# thousands separators ("256096.00", "8000.00"), or more than two decimals on an amount
# ("256096.0000000000", "57885.3800000000").
RAW_AMOUNT = re.compile(r"(?<![\d,.])\d{4,}\.\d+|\d{2,}\.\d{3,}")


def client_for(user, *, language: str | None = None) -> Client:
    client = Client()
    client.force_login(user)
    if language:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return recently_authenticated(client)


def visible_text(html: str) -> str:
    """The page's text, without tags, attributes, styles and scripts."""
    html = re.sub(r"<(script|style)\b.*?</\1>", "", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def pdf_text(pdf: bytes) -> str:
    return "".join(squeezed(page) for page in pdf_pages(pdf))


# -- 1. money -------------------------------------------------------------------------------


def test_the_settlement_pages_show_every_amount_with_separators_and_the_unit(money, chain):
    approve_through(statement_of(money.elsewhere), chain)
    approve_through(statement_of(money.owes), chain)
    payments.payment_record(
        actor=chain.cashier,
        statement=statement_of(money.owes),
        amount="5000.00",
        idempotency_key="part",
    )
    client = client_for(chain.cashier)
    pages = {
        "project": f"/staff/settlement/projects/{money.project.code}/",
        "group": f"/staff/settlement/groups/{money.group.pk}/",
        "statement": f"/staff/settlement/statements/{statement_of(money.owes).pk}/",
        "household": f"/staff/settlement/households/{money.owes.pk}/",
    }
    for name, url in pages.items():
        response = client.get(url)
        assert response.status_code == 200, name
        text = visible_text(response.content.decode())
        assert not RAW_AMOUNT.findall(text), (name, RAW_AMOUNT.findall(text))
    group = visible_text(client.get(pages["group"]).content.decode())
    assert "-20,000.00 元" in group and "30,000.00 元" in group
    statement = visible_text(client.get(pages["statement"]).content.decode())
    assert "80,000.00 元" in statement and "100,000.00 元" in statement  # its two lines
    assert "已收付 5,000.00 元,尚未收付 15,000.00 元。" in statement


def test_a_correction_on_the_household_page_shows_its_amounts_and_who_opened_it(money, chain):
    settle(money.owed)  # 30,000.00 元 paid
    User.objects.filter(pk=chain.leader.pk).update(first_name="分管", last_name="陈")
    chain.leader.refresh_from_db()
    correction_open(actor=chain.leader, household=money.owed, reason="漏测附房")
    url = f"/staff/settlement/households/{money.owed.pk}/"
    text = visible_text(client_for(chain.leader).get(url).content.decode())
    assert not RAW_AMOUNT.findall(text), RAW_AMOUNT.findall(text)
    assert "应付(+)/应收(−)30,000.00 元,已收付 30,000.00 元" in text
    assert f"结算后更正进行中({person_name(chain.leader)}," in text
    assert text.count(person_name(chain.leader)) >= 2  # the notice and the corrections table
    assert "m_leader" not in text


def test_the_group_approval_pages_show_amounts_with_separators(money, chain):
    client = client_for(chain.reviewer)
    url = reverse("settlement:group-approve", args=[money.group.pk])
    text = visible_text(client.get(url).content.decode())
    assert not RAW_AMOUNT.findall(text), RAW_AMOUNT.findall(text)
    assert "30,000.00 元" in text and "15,000.00 元" in text


def test_the_statement_and_agreement_pdfs_print_amounts_the_same_way(
    settlement_project, household, finance_wu, clerk, private_media
):
    statement = statements.statement_compute(actor=finance_wu, household=household)
    text = pdf_text(statement_pdf(statement))
    assert not RAW_AMOUNT.findall(text), RAW_AMOUNT.findall(text)
    assert squeezed(money_text(statement.income_total)) in text
    _agreement, pdf = agreements.agreement_issue(actor=clerk, household=household)
    text = pdf_text(pdf)
    assert not RAW_AMOUNT.findall(text), RAW_AMOUNT.findall(text)
    assert squeezed(money_text(statement.income_total).removesuffix(" 元")) in text


def test_money_is_two_decimals_thousands_separated_with_the_unit():
    assert money_text("256096.0000000000") == "256,096.00 元"
    assert money_text("57885.3800000000") == "57,885.38 元"
    assert money_text(195090) == "195,090.00 元"
    assert money_text("-20000") == "-20,000.00 元"
    assert money_text(None) == ""
    with translation.override("en"):
        assert money_text("1234.5") == "1,234.50 yuan"


# -- 2. statement lines and steps in words ----------------------------------------------------

BAND = {"area": "7.83", "price": "6000.00", "band_from": "10.00", "band_to": None}


def test_a_line_says_how_it_was_reached_in_words_in_both_languages():
    assert line_label("over_area_band_2", "x", BAND) == "超面积购房款(第2档)"
    assert line_basis("over_area_band_2", BAND) == (
        "7.83 ㎡ × 6,000.00 元/㎡(超出应安置面积 10.00 ㎡ 以上的部分)"
    )
    with translation.override("en"):
        assert line_label("over_area_band_2", "超面积购房款(第2档)", BAND) == (
            "Over-area purchase price (band 2)"
        )
        basis = line_basis("over_area_band_2", BAND)
        assert (
            basis == "7.83 m² × 6,000.00 yuan/m² (the part more than 10.00 m² over the entitlement)"
        )
        subsidy = line_basis(
            "transition_subsidy",
            {
                "rate": "500.00",
                "persons": 3,
                "months": 2,
                "moved_out_on": "2025-11-20",
                "until": "2026-01-20",
            },
        )
        assert subsidy.startswith("3 persons × 500.00 yuan per person per month × 2 months")


def test_the_statement_page_shows_lines_and_steps_in_words_not_codes(money, chain):
    statement = statement_of(money.owed)
    approve_next(actor=chain.reviewer, statement=statement)
    url = f"/staff/settlement/statements/{statement.pk}/"
    html = client_for(chain.leader).get(url).content.decode()
    # money.owed nets 30,000.00 元: 130.00 ㎡ of demolished house at 1,000.00 元/㎡.
    assert "area=" not in html and "130.00 ㎡ × 1,000.00 元/㎡" in html
    english = client_for(chain.leader, language="en").get(url).content.decode()
    assert "Compensation for the demolished house" in english
    assert "被拆迁房屋补偿" not in english
    assert "Agreement review" in english and "补偿协议审核" not in english
    assert ">Item</th>" in english


def test_the_resident_statement_pdf_names_no_rule_code(settlement_project, household, finance_wu):
    statement = statements.statement_compute(actor=finance_wu, household=household)
    text = pdf_text(statement_pdf(statement))
    assert "规则" not in text
    for line in statement.lines.all():
        assert line.rule not in text
        assert squeezed(line.display_label) in text


# -- 3. approval steps by direction ---------------------------------------------------------


def test_a_collection_goes_through_no_bank_payment_step(money, chain):
    owes = approve_through(statement_of(money.owes), chain)
    assert owes.status == StatementStatus.APPROVED
    labels = list(owes.approvals.order_by("position").values_list("label", flat=True))
    assert labels[-1] == "确认收款入账"
    assert "代理银行付款" not in labels and "补偿款拨付至安置户账户" not in labels
    assert len(labels) == 6
    owed = approve_through(statement_of(money.owed), chain)
    labels = list(owed.approvals.order_by("position").values_list("label", flat=True))
    assert labels[-2:] == ["代理银行付款", "补偿款拨付至安置户账户"]
    assert "确认收款入账" not in labels


def test_the_collection_statement_page_lists_only_its_own_steps(money, chain):
    url = f"/staff/settlement/statements/{statement_of(money.owes).pk}/"
    html = client_for(chain.reviewer).get(url).content.decode()
    assert "确认收款入账" in html and "代理银行付款" not in html


def test_a_leader_sets_which_statements_a_step_applies_to(money, chain, leader):
    approvals.approval_chain_set(
        actor=leader,
        project=money.project,
        steps=[
            StepSpec("check", "财务初审", "reviewer"),
            StepSpec("pay", "银行付款", "finance", applies_to="pay"),
            StepSpec("receive", "收款入账", "finance", applies_to="collect"),
        ],
    )
    owes = statement_of(money.owes)
    approve_next(actor=chain.reviewer, statement=owes)
    approve_next(actor=chain.cashier, statement=owes)
    owes.refresh_from_db()
    assert [a.label for a in owes.approvals.order_by("position")] == ["财务初审", "收款入账"]
    assert owes.status == StatementStatus.APPROVED


# -- 4. the issued agreement on its page: tests/settlement/test_agreements.py ---------------


# -- 5. groups ------------------------------------------------------------------------------


def test_a_group_without_households_is_not_shown_as_collected_and_paying(money, chain):
    empty = VillagerGroup.objects.create(
        project=money.project, community=money.group.community, code="G9", name="第九组"
    )
    html = client_for(chain.cashier).get(f"/staff/settlement/projects/{money.project.code}/")
    row = html.content.decode().split(f'id="group-{empty.pk}"')[1].split("</tr>")[0]
    assert "已收齐,付款中" not in row and "本组没有已审批的安置户" in row
    page = client_for(chain.cashier).get(f"/staff/settlement/groups/{empty.pk}/")
    assert "本组应收款已收齐" not in page.content.decode()


def test_the_group_header_shows_what_waits_for_approval(money, chain):
    html = client_for(chain.cashier).get(f"/staff/settlement/groups/{money.group.pk}/")
    awaiting = html.content.decode().split('id="awaiting">')[1].split("</dd>")[0]
    assert "3 户未审批完成" in awaiting
    assert "应收 20,000.00 元" in awaiting and "应付 45,000.00 元" in awaiting


# -- 6. issuers and people's names -----------------------------------------------------------


def test_an_issuer_named_after_its_project_does_not_say_安置_twice():
    assert issuing_body("%(project)s安置工作领导小组", "南宫河公寓安置") == (
        "南宫河公寓安置工作领导小组"
    )
    assert issuing_body("%(project)s安置工作领导小组", "南宫河") == "南宫河安置工作领导小组"
    assert issuing_body("%(project)s安置工作领导小组", "长安") == "长安安置工作领导小组"
    project = ProjectFactory(name="南宫河公寓安置")
    assert default_options(project=project, notice_type="allocation")["issuer"] == (
        "南宫河公寓安置工作领导小组"
    )


def test_the_agreement_names_its_office_once_and_the_clerk_by_name(
    settlement_project, household, clerk, private_media
):
    Project.objects.filter(pk=household.project_id).update(name="南宫河公寓安置")
    household.refresh_from_db()
    _agreement, pdf = agreements.agreement_issue(actor=clerk, household=household)
    text = pdf_text(pdf)
    assert "甲方:南宫河公寓安置工作办公室" in text and "安置安置工作" not in text
    client = client_for(clerk)
    agreement = agreements.agreement_sign(
        actor=clerk,
        agreement=Agreement.objects.get(household=household),
        signed_on=timezone.localdate(),
        signer_name="王建国",
    )
    assert agreement.recorded_by == clerk
    page = client.get(reverse("settlement:handover-detail", args=[household.pk]))
    html = page.content.decode()
    assert "录入:李登记" in html and "clerk_li" not in html


def test_answers_and_approvals_show_names_not_usernames(
    settlement_project, handed_over, clerk, money, chain, private_media
):
    ticket = settlement_defects.defect_report(
        household=handed_over, location="主卧窗户", description="漏水", photos=(), actor=clerk
    )
    settlement_defects.defect_answer(actor=clerk, ticket=ticket, answer="已安排维修。")
    html = client_for(clerk).get(f"/staff/settlement/defects/{ticket.pk}/").content.decode()
    assert "李登记" in html and "clerk_li" not in html
    statement = statement_of(money.owed)
    approve_next(actor=chain.reviewer, statement=statement)
    url = f"/staff/settlement/statements/{statement.pk}/"
    html = client_for(chain.leader).get(url).content.decode()
    assert "赵审核 于" in html and "m_reviewer" not in html
    assert person_name(chain.reviewer) == "赵审核"


# -- 7. the handover group filter ------------------------------------------------------------


def test_the_handover_group_filter_names_each_group_once_with_its_community(money, chain, clerk):
    other = Community.objects.create(project=money.project, code="C2", name="北关社区")
    for community in (money.group.community, other):
        VillagerGroup.objects.create(
            project=money.project,
            community=community,
            code=f"{community.code}-1",
            name="第一村民小组",
        )
    html = client_for(clerk).get(f"/staff/settlement/handover/?project={money.project.code}")
    options = re.findall(r"<option value=\"\d+\"[^>]*>([^<]*)</option>", html.content.decode())
    assert options.count("南宫河村 第一村民小组") == 1
    assert options.count("北关社区 第一村民小组") == 1
    assert "第一村民小组" not in options
    assert len(options) == len(set(options))


# -- 10. what docs/settlement.md says, as the code does it -----------------------------------


def test_floor_price_lines_follow_apartment_codes_and_rewards_the_order_they_were_added():
    prices = c.Prices(
        base_price=D("3000"),
        unused_area_price=D("2000"),
        demolition_price=D("1500"),
        monetised_price=D("5000"),
        tier_coefficients={"A": D("1.02"), "B": D("1.01"), "C": D("0.98")},
        subsidy_basis="persons",
        subsidy_rate=D("500"),
        bands=(c.BandInput(None, D("4500")),),
    )
    inputs = c.StatementInputs(
        entitlement_area=D("150"),
        population=3,
        demolished_area=D("100"),
        outcome=c.APARTMENT,
        prices=prices,
        # As binding_allocations gives them: by apartment code.
        apartments=(
            c.ApartmentInput("E1-101", D("60"), "C", "T60"),
            c.ApartmentInput("E1-501", D("60"), "A", "T60"),
            c.ApartmentInput("E2-301", D("40"), "B", "T40"),
        ),
        adjustments=(
            c.AdjustmentInput("reward", D("2000"), "提前腾房"),
            c.AdjustmentInput("deduction", D("300"), "水电欠费"),
            c.AdjustmentInput("reward", D("1000"), "签约奖励"),
        ),
    )
    rules = [
        (line.rule, line.inputs.get("apartment") or line.inputs.get("reason"))
        for line in c.statement_lines(inputs)
    ]
    assert rules == [
        ("demolition", None),
        ("tier_difference", "E1-101"),
        ("reward", "提前腾房"),
        ("reward", "签约奖励"),
        ("within_entitlement", None),
        ("over_area_band_1", None),
        ("tier_difference", "E1-501"),
        ("tier_difference", "E2-301"),
        ("deduction", "水电欠费"),
    ]
    doc = (settings.BASE_DIR / "docs" / "settlement.md").read_text()
    assert "apartment code order" in doc and "order they were added" in doc


def test_a_statements_day_is_the_date_in_shanghai(settlement_project, household, finance_wu, clerk):
    # 16:30 UTC on 31 January is 00:30 on 1 February in Beijing.
    with time_machine.travel(dt.datetime(2026, 1, 31, 16, 30, tzinfo=dt.UTC), tick=False):
        statements.transition_record(
            actor=clerk, household=household, moved_out_on=dt.date(2025, 12, 31)
        )
        statement = statements.statement_compute(actor=finance_wu, household=household)
    assert statement.inputs["subsidy_until"] == "2026-02-01"
    # 31 Dec + 1 month = 31 Jan: 1 February is one day into the second month.
    assert statement.lines.get(rule="transition_subsidy").inputs["months"] == 2
    doc = (settings.BASE_DIR / "docs" / "settlement.md").read_text()
    assert "Asia/Shanghai" in doc
    triggers = doc.split("**What triggers a recomputation.**")[1].split("- `statement_compute`")[0]
    for field in ("entitlement area", "resettlement population", "demolished area"):
        assert field in triggers


def test_a_statement_computed_in_english_stores_its_labels_in_the_source_language():
    prices = c.Prices(
        base_price=D("3000"),
        unused_area_price=D("2000"),
        demolition_price=D("1500"),
        monetised_price=D("5000"),
        tier_coefficients={},
        subsidy_basis="persons",
        subsidy_rate=D("500"),
    )
    inputs = c.StatementInputs(
        entitlement_area=D("90"),
        population=3,
        demolished_area=D("100"),
        outcome=c.MONETISED,
        prices=prices,
    )
    with translation.override("en"):
        labels = [line.label for line in c.statement_lines(inputs)]
        assert [line_label(r, "", {}) for r in ("demolition", "monetised")] == [
            "Compensation for the demolished house",
            "Monetised resettlement (house ticket)",
        ]
    assert labels == ["被拆迁房屋补偿", "货币化安置(房票)"]
