"""Settlement's publicity kinds (seed 003's boards): agreements signed (协议签订情况) and
compensation paid (补偿款兑付情况), published through the publicity services with heads'
names masked; unsigned agreements and unapproved statements are not listed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from households.models import Member, Relation
from publicity.services import publications
from resettlement import publicity_kinds
from resettlement.masking import Mask, mask
from settlement.models import Payment, PaymentDirection, Statement, StatementStatus
from settlement.services import agreements
from tests.publicity.factories import drafter

pytestmark = pytest.mark.usefixtures("private_media")


def _publish(leader, project, kind, community=None):
    draft = publications.publication_create(
        actor=drafter(), project=project, kind=kind, community=community
    )
    return publications.publication_publish(actor=leader, publication=draft)


def _rows(publication) -> list[dict[str, str]]:
    return [dict(zip(publication.columns, row, strict=True)) for row in publication.rows]


def _heads() -> dict[str, str]:
    return dict(
        Member.objects.filter(relation=Relation.HEAD).values_list("household__code", "name")
    )


def _households(sp):
    return sorted(sp.households, key=lambda h: h.code)


def test_both_kinds_are_registered_with_community_household_and_masked_head():
    for code in ("agreements_signed", "compensation_paid"):
        kind = publicity_kinds.get(code)
        columns = {c.key: c.mask for c in kind.columns}
        assert {"household", "community", "group"} <= set(columns)
        assert columns["head"] is Mask.NAME


def test_agreements_signed_lists_signed_agreements_with_masked_heads(
    settlement_project, clerk, leader
):
    first, second, unsigned = _households(settlement_project)[:3]
    for household, day in ((first, 5), (second, 6)):
        agreement, _pdf = agreements.agreement_issue(actor=clerk, household=household)
        agreements.agreement_sign(
            actor=clerk, agreement=agreement, signed_on=dt.date(2026, 1, day), signer_name="户主"
        )
    agreements.agreement_issue(actor=clerk, household=unsigned)
    publication = _publish(leader, settlement_project.project, "agreements_signed")
    rows = _rows(publication)
    assert publication.columns == ["户编号", "户主", "村/社区", "村民小组", "协议编号", "签订日期"]
    assert [row["户编号"] for row in rows] == [first.code, second.code]
    heads = _heads()
    for row, day in zip(rows, (5, 6), strict=True):
        full = heads[row["户编号"]]
        assert row["户主"] == mask(full, Mask.NAME) and row["户主"] != full
        assert row["协议编号"] == f"{settlement_project.project.code}-AG-{row['户编号']}"
        assert row["签订日期"] == f"2026-01-0{day}"
        assert row["村/社区"] == first.community.name


def _approved(household, *, income, expenditure, status=StatementStatus.APPROVED):
    income, expenditure = Decimal(income), Decimal(expenditure)
    return Statement.objects.create(
        household=household,
        project=household.project,
        status=status,
        income_total=income,
        expenditure_total=expenditure,
        net=income - expenditure,
        computed_at=timezone.now(),
        approved_at=timezone.now(),
        settled_at=timezone.now() if status == StatementStatus.SETTLED else None,
    )


def test_compensation_paid_lists_approved_statements_with_what_was_paid(
    settlement_project, leader, clerk
):
    pays, collects, settled, draft = _households(settlement_project)[:4]
    _approved(pays, income="50000.00", expenditure="20000.00")
    s2 = _approved(collects, income="1000.00", expenditure="31000.50")
    Payment.objects.create(
        statement=s2,
        direction=PaymentDirection.COLLECT,
        amount=Decimal("10000.00"),
        idempotency_key="k-1",
        recorded_by=clerk,
    )
    s3 = _approved(settled, income="8000.00", expenditure="0", status=StatementStatus.SETTLED)
    Payment.objects.create(
        statement=s3,
        direction=PaymentDirection.PAY,
        amount=Decimal("8000.00"),
        idempotency_key="k-2",
        recorded_by=clerk,
    )
    Statement.objects.create(
        household=draft,
        project=draft.project,
        income_total=Decimal("1"),
        expenditure_total=Decimal("0"),
        net=Decimal("1"),
        computed_at=timezone.now(),
    )
    publication = _publish(leader, settlement_project.project, "compensation_paid")
    rows = {row["户编号"]: row for row in _rows(publication)}
    assert set(rows) == {pays.code, collects.code, settled.code}
    assert rows[pays.code]["结算金额(元)"] == "应付 30,000.00"
    assert rows[pays.code]["已付/已收(元)"] == "0.00"
    assert rows[pays.code]["是否结清"] == "未结清"
    assert rows[collects.code]["结算金额(元)"] == "应收 30,000.50"
    assert rows[collects.code]["已付/已收(元)"] == "10,000.00"
    assert rows[settled.code]["已付/已收(元)"] == "8,000.00"
    assert rows[settled.code]["是否结清"] == "已结清"
    heads = _heads()
    for code, row in rows.items():
        assert row["户主"] == mask(heads[code], Mask.NAME) != heads[code]


def test_a_community_publication_holds_only_that_community(settlement_project, clerk, leader):
    for household in settlement_project.households:
        agreement, _pdf = agreements.agreement_issue(actor=clerk, household=household)
        agreements.agreement_sign(
            actor=clerk, agreement=agreement, signed_on=dt.date(2026, 1, 5), signer_name="户主"
        )
    community = settlement_project.lp.communities[1]
    publication = _publish(leader, settlement_project.project, "agreements_signed", community)
    rows = _rows(publication)
    assert rows and {row["村/社区"] for row in rows} == {community.name}
