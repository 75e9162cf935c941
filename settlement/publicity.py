"""The publicity kinds of settlement (公示: 协议签订情况、补偿款兑付情况 — seed 003's boards).

Registered with `resettlement.publicity_kinds`; the publicity app freezes and masks them.
Agreements appear once signed; compensation rows are the statements approved through the
fund-approval chain (a draft or one still being approved is not yet a sum anyone may be
paid), with what has been paid or collected so far and whether the household is settled.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import OuterRef, Subquery, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from households.selectors.registration import head
from resettlement.money import money_figure, money_text
from resettlement.publicity_kinds import (
    HOUSEHOLD_HEAD_FIRST,
    Column,
    household_cells,
    register,
)
from resettlement.resident_journey import Fact, JourneySection, register_section
from settlement.models import (
    Agreement,
    DefectTicket,
    Handover,
    Payment,
    Statement,
    StatementStatus,
)
from settlement.selectors.payments import paid_so_far


def agreement_rows(project, community=None) -> list[dict[str, Any]]:
    """Every signed resettlement agreement of the project."""
    agreements = (
        Agreement.objects.filter(project=project, signed_on__isnull=False)
        .select_related("household__community", "household__group")
        .annotate(head_name=head(household="household"))
        .order_by("household__community__code", "household__code")
    )
    if community is not None:
        agreements = agreements.filter(household__community=community)
    return [
        household_cells(a.household, head=a.head_name)
        | {
            "number": a.number,
            "signed_on": a.signed_on.isoformat(),
        }
        for a in agreements
    ]


def compensation_rows(project, community=None) -> list[dict[str, Any]]:
    """Each approved (or settled) statement: its net, what was paid or collected, settled."""
    paid = (
        Payment.objects.filter(statement=OuterRef("pk"))
        .values("statement")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    statements = (
        Statement.objects.filter(
            project=project, status__in=[StatementStatus.APPROVED, StatementStatus.SETTLED]
        )
        .select_related("household__community", "household__group")
        .annotate(head_name=head(household="household"), paid_total=Subquery(paid))
        .order_by("household__community__code", "household__code")
    )
    if community is not None:
        statements = statements.filter(household__community=community)
    rows = []
    for s in statements:
        if s.net > 0:
            direction = _("应付 %(a)s") % {"a": money_figure(s.net)}
        elif s.net < 0:
            direction = _("应收 %(a)s") % {"a": money_figure(-s.net)}
        else:
            direction = "0.00"
        rows.append(
            household_cells(s.household, head=s.head_name)
            | {
                "outcome": str(s.get_outcome_display()),
                "net": direction,
                "paid": money_figure(s.paid_total or Decimal("0")),
                "settled": _("已结清") if s.status == StatementStatus.SETTLED else _("未结清"),
            }
        )
    return rows


AGREEMENTS_SIGNED = register(
    code="agreements_signed",
    label=gettext_lazy("协议签订情况公示"),
    columns=(
        *HOUSEHOLD_HEAD_FIRST,
        Column("number", gettext_lazy("协议编号")),
        Column("signed_on", gettext_lazy("签订日期")),
    ),
    build_rows=agreement_rows,
)

COMPENSATION_PAID = register(
    code="compensation_paid",
    label=gettext_lazy("补偿款兑付情况公示"),
    columns=(
        *HOUSEHOLD_HEAD_FIRST,
        Column("outcome", gettext_lazy("安置方式")),
        Column("net", gettext_lazy("结算金额(元)")),
        Column("paid", gettext_lazy("已付/已收(元)")),
        Column("settled", gettext_lazy("是否结清")),
    ),
    build_rows=compensation_rows,
)


# --- The resident's own page (resettlement.resident_journey) -------------------------------


def journey_statement(lookup_code: str) -> JourneySection | None:
    """The statement's summary: outcome, totals, the net either way, what was paid so far."""
    statement = (
        Statement.objects.filter(household__lookup_code=lookup_code)
        .prefetch_related("payments")
        .first()
    )
    if statement is None:
        return None
    if statement.net > 0:
        net = _("应付给本户 %(a)s") % {"a": money_text(statement.net)}
    elif statement.net < 0:
        net = _("本户应交 %(a)s") % {"a": money_text(-statement.net)}
    else:
        net = money_text(Decimal("0"))
    facts = [
        Fact(gettext_lazy("安置方式"), str(statement.get_outcome_display())),
        Fact(gettext_lazy("状态"), str(statement.get_status_display())),
        Fact(gettext_lazy("收入合计"), money_text(statement.income_total)),
        Fact(gettext_lazy("支出合计"), money_text(statement.expenditure_total)),
        Fact(gettext_lazy("结算金额"), net),
    ]
    if statement.status in (StatementStatus.APPROVED, StatementStatus.SETTLED):
        facts.append(Fact(gettext_lazy("已付/已收"), money_text(paid_so_far(statement))))
    return JourneySection(key="statement", title=gettext_lazy("结算单"), facts=facts)


def journey_agreement(lookup_code: str) -> JourneySection | None:
    agreement = Agreement.objects.filter(household__lookup_code=lookup_code).first()
    if agreement is None:
        return None
    signed = agreement.signed_on.isoformat() if agreement.signed_on else _("已出具,待签订")
    return JourneySection(
        key="agreement",
        title=gettext_lazy("安置协议"),
        facts=[
            Fact(gettext_lazy("协议编号"), agreement.number),
            Fact(gettext_lazy("签订日期"), signed),
        ],
    )


def journey_handover(lookup_code: str) -> JourneySection | None:
    handover = Handover.objects.filter(household__lookup_code=lookup_code).first()
    if handover is None:
        return None
    return JourneySection(
        key="handover",
        title=gettext_lazy("交房与入住"),
        facts=[
            Fact(gettext_lazy("交房日期"), handover.handed_over_on.isoformat()),
            Fact(gettext_lazy("钥匙数量"), str(handover.keys)),
            Fact(
                gettext_lazy("入住日期"),
                handover.moved_in_on.isoformat() if handover.moved_in_on else _("尚未入住"),
            ),
        ],
    )


def journey_defects(lookup_code: str) -> JourneySection | None:
    tickets = list(
        DefectTicket.objects.filter(household__lookup_code=lookup_code)
        .select_related("apartment")
        .order_by("-reported_at", "-pk")
    )
    if not tickets:
        return None
    return JourneySection(
        key="defects",
        title=gettext_lazy("报修"),
        columns=(
            gettext_lazy("报修日期"),
            gettext_lazy("房号"),
            gettext_lazy("位置"),
            gettext_lazy("问题描述"),
            gettext_lazy("状态"),
            gettext_lazy("处理答复"),
        ),
        rows=[
            (
                timezone.localdate(t.reported_at).isoformat(),
                t.apartment.code if t.apartment_id else "",
                t.location,
                t.description,
                str(t.get_status_display()),
                t.answer,
            )
            for t in tickets
        ],
        link=reverse("settlement-public:household", args=[lookup_code]),
        link_label=gettext_lazy("报修与售后服务"),
    )


register_section("statement", journey_statement, order=40)
register_section("agreement", journey_agreement, order=50)
register_section("handover", journey_handover, order=60)
register_section("defects", journey_defects, order=70)
