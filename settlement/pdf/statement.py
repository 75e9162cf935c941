"""The household's settlement statement (安置结算单) as an A4 PDF, for the household to sign.

From the stored statement alone (never recomputed here): the household, its head, how many
members, its apartments (or the monetised outcome), every income and expenditure line with
how its amount was reached in words (`settlement.wording`), the totals, the net to pay or to
collect in figures and in Chinese capitals (大写金额), the approval steps taken so far in the
current round, every earlier round that was sent back (who, when, at which step, why, and the
approvals it superseded), and signature boxes. A draft says on every page that it is not yet
approved. No ID number is printed. Always rendered in the system's language: it is a record
the household signs.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from households.models import Member, Relation
from resettlement.money import money_figure
from resettlement.pdf import render_pdf
from resettlement.people import person_name
from settlement.calculation import amount_in_words
from settlement.models import LineSide, Statement, StatementApproval, StatementStatus
from settlement.selectors.approvals import current_approvals, send_back_history
from settlement.wording import generic_basis, line_basis, line_label, step_label

TEMPLATE = "settlement/pdf/statement.html"


def figure(amount: Decimal) -> str:
    """An amount in figures with thousands separators: 1,234,567.89."""
    return money_figure(amount)


def _when(value: dt.datetime | None) -> str:
    return "" if value is None else f"{timezone.localtime(value):%Y-%m-%d %H:%M}"


def _who(user) -> str:
    return person_name(user)


def inputs_text(inputs: dict[str, Any]) -> str:
    """A line's inputs as people read them: “面积(㎡) 90.00;单价(元/㎡) 3000.00”."""
    return generic_basis(inputs)


def _lines(statement: Statement, side: str) -> list[dict[str, str]]:
    return [
        {
            "position": line.position,
            "label": line_label(line.rule, line.label, line.inputs),
            "basis": line_basis(line.rule, line.inputs),
            "amount": figure(line.amount),
        }
        for line in statement.lines.all()
        if line.side == side
    ]


def _approval(approval: StatementApproval) -> dict[str, Any]:
    return {
        "position": approval.position,
        "label": step_label(approval.label),
        "actor": _who(approval.actor),
        "at": _when(approval.at),
        "comment": approval.comment,
    }


def statement_context(statement: Statement) -> dict[str, Any]:
    household = statement.household
    head = Member.objects.filter(household=household, relation=Relation.HEAD).first()
    net = statement.net
    amount = {"a": figure(abs(net))}
    if net > 0:
        net_text = _("应付安置户:%(a)s 元") % amount
    elif net < 0:
        net_text = _("应向安置户收取:%(a)s 元") % amount
    else:
        net_text = _("收支相抵,无需收付:%(a)s 元") % amount
    send_backs = [
        {
            "round": r.send_back.round,
            "label": step_label(r.send_back.label),
            "actor": _who(r.send_back.actor),
            "at": _when(r.send_back.at),
            "reason": r.send_back.reason,
            "approvals": [_approval(a) for a in r.approvals],
        }
        for r in send_back_history(statement)
    ]
    return {
        "statement": statement,
        "household": household,
        "project": statement.project,
        "head": head.name if head else "",
        "members": Member.objects.filter(household=household).count(),
        "outcome": statement.get_outcome_display(),
        "status": statement.get_status_display(),
        "draft": statement.status == StatementStatus.DRAFT,
        "apartments": statement.inputs.get("apartments", []),
        "entitlement_area": statement.inputs.get("entitlement_area", ""),
        "demolished_area": statement.inputs.get("demolished_area", ""),
        "population": statement.inputs.get("population", ""),
        "income_lines": _lines(statement, LineSide.INCOME),
        "expenditure_lines": _lines(statement, LineSide.EXPENDITURE),
        "income_total": figure(statement.income_total),
        "expenditure_total": figure(statement.expenditure_total),
        "net_text": net_text,
        "net_words": amount_in_words(abs(net)),
        "approval_round": statement.approval_round,
        "approvals": [_approval(a) for a in current_approvals(statement)],
        "send_backs": send_backs,
        "computed_at": _when(statement.computed_at),
        "approved_at": _when(statement.approved_at),
        "printed_at": _when(timezone.now()),
    }


def statement_pdf(statement: Statement) -> bytes:
    """The statement as PDF bytes (see the module docstring)."""
    statement = (
        Statement.objects.select_related("household__group", "household__community", "project")
        .prefetch_related("lines", "approvals__actor", "send_backs__actor")
        .get(pk=statement.pk)
    )
    with translation.override(settings.LANGUAGE_CODE):
        pdf, _pages = render_pdf(TEMPLATE, statement_context(statement))
    return pdf
