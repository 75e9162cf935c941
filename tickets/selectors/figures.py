"""The house-ticket figures of a project (seed 002: households settled in cash or by tickets,
tickets issued, apartments bought, the amounts), for the tickets summary page and the
oversight dashboard."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, Sum

from households.models import Project
from settlement.models import Outcome, Statement, StatementStatus
from tickets.models import HouseTicket, TicketBuyBack, TicketPurchase

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class TicketFigures:
    households_in_cash: int  # settled statements without a ticket
    households_by_tickets: int  # households issued a ticket
    tickets_issued: int
    tickets_valid: int
    apartments_bought: int  # purchases recorded
    face_value_total: Decimal
    purchases_total: Decimal
    rewards_total: Decimal
    bought_back_total: Decimal  # paid for balances bought back (on request or at expiry)
    forfeited_total: Decimal
    balance_total: Decimal  # still on valid tickets


def ticket_figures(project: Project) -> TicketFigures:
    """The project's ticket figures, in five queries whatever its size."""
    tickets = HouseTicket.objects.filter(project=project).aggregate(
        n=Count("id"),
        valid=Count("id", filter=Q(status="valid")),
        face=Sum("face_value"),
        balance=Sum("balance"),
    )
    purchases = TicketPurchase.objects.filter(ticket__project=project).aggregate(
        n=Count("id"), amount=Sum("amount"), reward=Sum("reward")
    )
    bought = TicketBuyBack.objects.filter(ticket__project=project).aggregate(
        paid=Sum("amount_paid"), forfeited=Sum("forfeited")
    )
    in_cash = (
        Statement.objects.filter(project=project, status=StatementStatus.SETTLED)
        .filter(house_ticket__isnull=True)
        .count()
    )
    by_tickets = Statement.objects.filter(
        project=project, outcome=Outcome.MONETISED, house_ticket__isnull=False
    ).count()
    return TicketFigures(
        households_in_cash=in_cash,
        households_by_tickets=by_tickets,
        tickets_issued=tickets["n"],
        tickets_valid=tickets["valid"],
        apartments_bought=purchases["n"],
        face_value_total=tickets["face"] or ZERO,
        purchases_total=purchases["amount"] or ZERO,
        rewards_total=purchases["reward"] or ZERO,
        bought_back_total=bought["paid"] or ZERO,
        forfeited_total=bought["forfeited"] or ZERO,
        balance_total=tickets["balance"] or ZERO,
    )
