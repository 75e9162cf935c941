"""The public verification of a house ticket (房票查验, no login), under /public/tickets/.

Anyone holding the paper — the holder, a developer's sales office, a bank — types the
ticket number and the verification code printed on it and sees the masked holder, the face
value, the balance, the status and the expiry date. An unknown number and a wrong code get
the same "not found" answer (no enumeration); every look-up counts against the public
lookup limits (per address, and per ticket number across addresses:
`resettlement.public_site.over_lookup_limit`), like the residents' own pages.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from resettlement.masking import Mask, mask
from resettlement.public_site import over_lookup_limit, private, public_page
from tickets.forms.tickets import VerifyForm
from tickets.selectors.tickets import verified_ticket

TEMPLATE = "tickets/public/verify.html"


@never_cache
@require_http_methods(["GET", "POST"])
@public_page
def verify(request: HttpRequest) -> HttpResponse:
    """GET: the form (the number filled in from the certificate's QR code); POST: the
    look-up."""
    if request.method == "GET":
        form = VerifyForm(initial={"number": request.GET.get("number", "")[:40]})
        return private(render(request, TEMPLATE, {"form": form}))
    form = VerifyForm(request.POST)
    if not form.is_valid():
        return private(render(request, TEMPLATE, {"form": form}, status=400))
    number = form.cleaned_data["number"]
    if refused := over_lookup_limit(request, number, back_url=reverse("tickets-public:verify")):
        return refused
    ticket = verified_ticket(number, form.cleaned_data["code"])
    if ticket is None:
        return private(
            render(request, TEMPLATE, {"form": VerifyForm(), "not_found": True}, status=404)
        )
    return private(
        render(
            request,
            TEMPLATE,
            {
                "form": VerifyForm(),
                "ticket": ticket,
                "holder": mask(ticket.holder_name, Mask.NAME),
            },
        )
    )
