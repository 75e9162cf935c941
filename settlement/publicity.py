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
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from households.selectors.registration import head
from resettlement.money import money_figure
from resettlement.publicity_kinds import (
    HOUSEHOLD_HEAD_FIRST,
    Column,
    household_cells,
    register,
)
from settlement.models import Agreement, Payment, Statement, StatementStatus


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
                "paid": money_figure(s.paid_total or Decimal('0')),
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
