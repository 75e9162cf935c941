"""Reads of house tickets shared by the staff pages, the API, the certificate and the public
verification page (their related rows fetched with them: no query per row)."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import QuerySet

from households.models import Project
from resettlement.masking import Mask, mask
from resettlement.personal_data import sees_full_personal_data
from tickets.models import Developer, HouseTicket, Listing, TicketStatus

ZERO = Decimal("0.00")


def project_tickets(project: Project, *, status: str = "") -> QuerySet[HouseTicket]:
    """The project's tickets by number, optionally of one status."""
    tickets = HouseTicket.objects.filter(project=project).select_related("household")
    if status in TicketStatus.values:
        tickets = tickets.filter(status=status)
    return tickets.order_by("number")


def ticket_with_history(queryset: QuerySet[HouseTicket]) -> QuerySet[HouseTicket]:
    """Tickets with their purchases (developer, listing), transfers and buy-back."""
    return queryset.select_related(
        "project", "project__ticket_policy", "household", "statement", "buy_back"
    ).prefetch_related("purchases__developer", "purchases__listing", "transfers")


def holder_shown(user, ticket: HouseTicket) -> str:
    """The holder's name as `user` may see it (masked unless their role sees personal data
    in full)."""
    if sees_full_personal_data(user):
        return ticket.holder_name
    return mask(ticket.holder_name, Mask.NAME)


def verified_ticket(number: str, code: str) -> HouseTicket | None:
    """The ticket with this number whose verification code is `code`, or None — the same
    None for an unknown number and a wrong code (no enumeration); codes compared in constant
    time."""
    number = (number or "").strip().upper()
    code = "".join((code or "").split()).upper()
    if not number or not code:
        return None
    ticket = (
        HouseTicket.objects.select_related("project", "household")
        .filter(number__iexact=number)
        .first()
    )
    if ticket is None or not hmac.compare_digest(ticket.verification_code, code):
        return None
    return ticket


@dataclass(frozen=True)
class ListingRow:
    listing: Listing
    difference: Decimal  # ticket price − cash price, per ㎡
    ticket_total: Decimal  # area × ticket price
    cash_total: Decimal  # area × cash price


def project_listings(project: Project) -> list[ListingRow]:
    """The project's listed homes with the ticket price and the cash price side by side and
    their difference (seed 002: ticket prices above cash prices)."""
    rows = []
    for listing in (
        Listing.objects.filter(project=project)
        .select_related("developer")
        .order_by("developer__name", "name")
    ):
        rows.append(
            ListingRow(
                listing=listing,
                difference=listing.ticket_price - listing.cash_price,
                ticket_total=(listing.area * listing.ticket_price).quantize(Decimal("0.01")),
                cash_total=(listing.area * listing.cash_price).quantize(Decimal("0.01")),
            )
        )
    return rows


def developers() -> QuerySet[Developer]:
    return Developer.objects.order_by("name")
