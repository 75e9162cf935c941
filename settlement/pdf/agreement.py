"""The resettlement agreement (安置协议) as an A4 PDF for the household to sign.

The parties (the project's resettlement office and the household, by its head), the
household's members, resettlement population and entitlement area, the outcome — the
apartments it was allocated in the signed lottery, or monetised resettlement (house ticket)
— the statement's net amount when there is a statement, the terms, and boxes for the
signatures. Always rendered in the system's language: it is a legal document, whoever
prints it. Heads and members appear by full name (this is the household's own copy); no ID
number is printed.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from households.models import Household, Member
from resettlement.money import money_figure
from resettlement.pdf import render_pdf
from resettlement.people import issuing_body
from settlement.models import Outcome, Statement

TEMPLATE = "settlement/pdf/agreement.html"


def _money(amount: Decimal) -> str:
    return money_figure(amount)


def agreement_context(
    *,
    household: Household,
    number: str,
    outcome: str,
    apartments: list,
    statement: Statement | None,
    head: str,
    issued_on: dt.date,
) -> dict[str, Any]:
    members = list(Member.objects.filter(household=household).order_by("id"))
    net = statement.net if statement is not None else None
    if net is None:
        net_text = ""
    elif net > 0:
        net_text = _("甲方应向乙方支付 %(a)s 元") % {"a": _money(net)}
    elif net < 0:
        net_text = _("乙方应向甲方缴纳 %(a)s 元") % {"a": _money(-net)}
    else:
        net_text = _("双方互不支付款项(0.00 元)")
    total_area = sum((a.area for a in apartments), Decimal("0"))
    return {
        "household": household,
        "project": household.project,
        "party_a": issuing_body(_("%(project)s安置工作办公室"), household.project.name),
        "number": number,
        "head": head,
        "members": members,
        "member_names": "、".join(m.name for m in members),
        "monetised": outcome == Outcome.MONETISED,
        "outcome_label": Outcome(outcome).label,
        "apartments": apartments,
        "total_area": f"{total_area:.2f}",
        "statement": statement,
        "net_text": net_text,
        "issued_on": issued_on,
    }


def render_agreement(context: dict[str, Any]) -> bytes:
    with translation.override(settings.LANGUAGE_CODE):
        data, _pages = render_pdf(TEMPLATE, context)
    return data
