"""The finance export of a project's statements (xlsx), read back with openpyxl: one row per
household with what was paid and what is outstanding, group and project totals that add up
to the rows, names a spreadsheet would run as formulas kept as text, and the download from
the project's finance page."""

from __future__ import annotations

import io
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse

from households.models import Member, Relation, VillagerGroup
from resettlement.money import money_text
from settlement.export.statements import HEADER_ROW, headers, statements_workbook
from settlement.services import payments
from tests.settlement.factories import approve_through, make_household, make_statement, statement_of

pytestmark = pytest.mark.django_db
AMOUNTS = ["收入合计(元)", "支出合计(元)", "净额(元)", "已收付(元)", "未收付(元)"]


def _pay(statement, chain, amount: str, key: str) -> None:
    payments.payment_record(
        actor=chain.cashier, statement=statement, amount=Decimal(amount), idempotency_key=key
    )


@pytest.fixture
def paid_in_part(money, chain):
    """Group 1: H001 owed 20,000 and paid it, H002 is owed 30,000 and got 10,000, H003 is
    owed 15,000 (approved, nothing paid yet). Group 2: H101 is owed 8,000 and got 5,000.
    Group 3: H201's statement (+12,000) is still being approved."""
    owes = approve_through(statement_of(money.owes), chain)
    _pay(owes, chain, "20000.00", "collect-h001")
    approve_through(statement_of(money.owed_too), chain)
    owed = approve_through(statement_of(money.owed), chain)
    _pay(owed, chain, "10000.00", "pay-h002")
    elsewhere = approve_through(statement_of(money.elsewhere), chain)
    _pay(elsewhere, chain, "5000.00", "pay-h101")
    third = VillagerGroup.objects.create(
        project=money.project, community=money.group.community, code="G3", name="第三组"
    )
    pending = make_household(third, actor=chain.reviewer, code="H201")
    approve_through(make_statement(pending, "12000.00"), chain, steps=2)
    return money


def _sheet(data: bytes):
    return openpyxl.load_workbook(io.BytesIO(data)).active


def _table(sheet) -> tuple[dict[str, dict], list[dict], dict]:
    """The household rows by code, the group total rows and the project total row, each as
    {header: value} (amounts as Decimal)."""
    names = [cell.value for cell in sheet[HEADER_ROW]]
    assert names == headers()

    def record(row) -> dict:
        values = dict(zip(names, (cell.value for cell in row), strict=True))
        for name in AMOUNTS:
            values[name] = Decimal(str(values[name])).quantize(Decimal("0.01"))
        return values

    households, groups, project = {}, [], None
    rows = list(sheet.iter_rows(min_row=HEADER_ROW + 1))
    for row in rows:
        first = row[0].value
        if first == "小组合计":
            groups.append(record(row))
        elif first == "项目合计":
            project = record(row)
        elif first and first != "合计":
            households[first] = record(row)
    return households, groups, project


def test_one_row_per_household_with_paid_and_outstanding(paid_in_part):
    households, _groups, _project = _table(_sheet(statements_workbook(paid_in_part.project)))
    assert list(households) == ["H001", "H002", "H003", "H101", "H201"]
    h001, h002, h003, h101, h201 = (households[c] for c in households)
    assert h001["户主"] == "王建国"
    assert h001["村民小组"] == "南宫河村 第一组" and h101["村民小组"] == "南宫河村 第二组"
    assert (h001["状态"], h003["状态"], h201["状态"]) == ("已结清", "已审批", "审批中")
    # make_statement's statements are monetised (computed without apartments)
    assert h001["安置方式"] == "货币化安置(房票)"
    # collected from H001 counts negative, like its net
    assert (h001["净额(元)"], h001["已收付(元)"], h001["未收付(元)"]) == (
        Decimal("-20000.00"),
        Decimal("-20000.00"),
        Decimal("0.00"),
    )
    assert (h002["已收付(元)"], h002["未收付(元)"]) == (Decimal("10000.00"), Decimal("20000.00"))
    assert (h003["已收付(元)"], h003["未收付(元)"]) == (Decimal("0.00"), Decimal("15000.00"))
    assert h201["未收付(元)"] == Decimal("0.00")  # not approved yet: nothing outstanding
    assert h101["未收付(元)"] == Decimal("3000.00")
    assert h002["收入合计(元)"] - h002["支出合计(元)"] == h002["净额(元)"]


def test_group_and_project_totals_equal_the_sum_of_the_rows(paid_in_part):
    households, groups, project = _table(_sheet(statements_workbook(paid_in_part.project)))
    assert [g["村民小组"] for g in groups] == [
        "南宫河村 第一组",
        "南宫河村 第二组",
        "南宫河村 第三组",
    ]
    for group in groups:
        members = [h for h in households.values() if h["村民小组"] == group["村民小组"]]
        assert group["户主"] == len(members)  # the count column
        for name in AMOUNTS:
            assert group[name] == sum(h[name] for h in members), (group["村民小组"], name)
    assert project["户主"] == len(households) == 5
    for name in AMOUNTS:
        assert project[name] == sum(h[name] for h in households.values()), name
    # still to pay: 20,000 to H002, 15,000 to H003, 3,000 to H101
    assert project["未收付(元)"] == Decimal("38000.00")


def test_a_head_named_like_a_formula_stays_text(money):
    Member.objects.filter(household=money.owes, relation=Relation.HEAD).update(
        name='=HYPERLINK("http://evil.example","点我")'
    )
    Member.objects.filter(household=money.owed, relation=Relation.HEAD).update(name="@SUM(A1)")
    sheet = _sheet(statements_workbook(money.project))
    households, _groups, _project = _table(sheet)
    assert households["H001"]["户主"] == '\'=HYPERLINK("http://evil.example","点我")'
    assert households["H002"]["户主"] == "'@SUM(A1)"
    assert households["H003"]["户主"] == "王建国"
    assert not [cell for row in sheet.iter_rows() for cell in row if cell.data_type == "f"]


def test_the_export_reads_in_four_queries_however_many_households(
    paid_in_part, django_assert_num_queries
):
    # statements with head and money; groups and their totals; the project's totals
    with django_assert_num_queries(4):
        statements_workbook(paid_in_part.project)


def test_finance_downloads_it_from_the_project_page(client, paid_in_part, chain, outsider):
    project = paid_in_part.project
    client.force_login(chain.cashier)
    page = client.get(reverse("settlement:project-groups", args=[project.code]))
    url = reverse("settlement:statements-xlsx", args=[project.code])
    assert f'href="{url}"' in page.content.decode()
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    assert response["Cache-Control"] == "private, no-store"
    households, _groups, _project = _table(_sheet(b"".join(response.streaming_content)))
    assert len(households) == 5
    assert client.get(reverse("settlement:statements-xlsx", args=["NOPE"])).status_code == 404
    client.force_login(outsider)
    assert client.get(url).status_code == 403


def test_another_projects_statements_cannot_be_exported(client, roles, money):
    from tests.households.factories import ProjectFactory
    from tests.people import grant, make_user

    stranger = make_user("finance_b", "finance", all_projects=False)
    grant(stranger, ProjectFactory(code="OTHER", name="另一个项目"))
    client.force_login(stranger)
    url = reverse("settlement:statements-xlsx", args=[money.project.code])
    assert client.get(url).status_code == 404


def test_the_group_page_the_export_and_the_api_agree_on_a_refund(money, chain):
    """One rule, one sign (issue 12, item 5): H001 owes 20,000, paid 5,000 and was handed
    1,000 back (a refund, recorded outside the payment rule). The group page, the group API
    and the export all say paid −4,000 and outstanding −16,000; before, the page and the API
    summed the amounts whatever their direction (+6,000 paid, 14,000 outstanding)."""
    from django.test import Client
    from rest_framework.test import APIClient

    from settlement.models import Payment, PaymentDirection
    from settlement.selectors.groups import group_settlement
    from settlement.selectors.payments import paid_so_far

    owes = approve_through(statement_of(money.owes), chain)
    _pay(owes, chain, "5000.00", "collect-h001")
    Payment.objects.create(
        statement=owes,
        direction=PaymentDirection.PAY,
        amount=Decimal("1000.00"),
        idempotency_key="refund-h001",
        recorded_by=chain.cashier,
    )
    paid, outstanding = Decimal("-4000.00"), Decimal("-16000.00")

    summary = group_settlement(money.group)
    (row,) = [r for r in summary.households if r.household.pk == money.owes.pk]
    assert (row.paid, row.outstanding) == (paid, outstanding)
    assert (summary.totals.to_collect, summary.totals.collected) == (
        Decimal("20000.00"),
        Decimal("4000.00"),
    )
    assert summary.totals.collect_outstanding == -outstanding

    page = Client()
    page.force_login(chain.cashier)
    html = page.get(f"/staff/settlement/groups/{money.group.pk}/").content.decode()
    shown = html.split(f'<tr id="h{money.owes.pk}">')[1].split("</tr>")[0]
    assert f">{money_text(paid)}</td>" in shown
    assert f">{money_text(outstanding)}</td>" in shown

    api_client = APIClient()
    api_client.force_login(chain.cashier)
    api = api_client.get(f"/api/settlement/groups/{money.group.pk}/").json()
    (entry,) = [h for h in api["households"] if h["household_code"] == money.owes.code]
    assert (entry["paid"], entry["outstanding"]) == (str(paid), str(outstanding))
    assert api["totals"]["collected"] == "4000.00"

    households, groups, _project = _table(_sheet(statements_workbook(money.project)))
    assert (households["H001"]["已收付(元)"], households["H001"]["未收付(元)"]) == (
        paid,
        outstanding,
    )
    (group_row,) = [g for g in groups if g["村民小组"].endswith(money.group.name)]
    assert group_row["已收付(元)"] == summary.totals.paid - summary.totals.collected
    assert group_row["未收付(元)"] == (
        summary.totals.pay_outstanding - summary.totals.collect_outstanding
    )

    # The statement's own page counts in its direction: 4,000 collected, 16,000 to collect.
    owes.refresh_from_db()
    assert paid_so_far(owes) == -paid
