"""The house-ticket certificate (房票凭证) as an A4 PDF: the number, the holder (masked unless
the reader's role sees personal data in full), the face value in figures and in capitals,
the balance, the issue and expiry dates, the policy's terms, and a QR code leading to the
public verification page with the verification code printed beside it. Always in the
system's language: it is the official paper."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.http import urlencode

from resettlement.pdf import render_pdf
from resettlement.second_factor import qr_data_uri
from settlement.calculation import amount_in_words
from tickets.models import HouseTicket

TEMPLATE = "tickets/pdf/certificate.html"


def verification_url(ticket: HouseTicket) -> str:
    """The public verification page with the ticket's number filled in (the code is typed
    from the paper: it never travels in a URL)."""
    path = reverse("tickets-public:verify")
    return f"{settings.PUBLIC_BASE_URL}{path}?{urlencode({'number': ticket.number})}"


def certificate_context(ticket: HouseTicket, *, holder: str) -> dict[str, Any]:
    policy = ticket.project.ticket_policy
    url = verification_url(ticket)
    return {
        "ticket": ticket,
        "project": ticket.project,
        "policy": policy,
        "holder": holder,
        "face_in_words": amount_in_words(ticket.face_value),
        "tiers": policy.reward_tiers,
        "verification_url": url,
        "qr": qr_data_uri(url),
    }


def render_certificate(ticket: HouseTicket, *, holder: str) -> bytes:
    with translation.override(settings.LANGUAGE_CODE):
        data, _pages = render_pdf(TEMPLATE, certificate_context(ticket, holder=holder))
    return data
