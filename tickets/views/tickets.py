"""Staff pages of house tickets, mounted at /staff/tickets/: the project's tickets (with
filters and the summary figures), a ticket's page with its purchases, transfers and
buy-back, its certificate, and the forms that issue, use, transfer and buy back (POST only,
each calling one service)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from households.access import projects_q, visible_projects
from resettlement.errors import NotAllowed, RuleViolation
from resettlement.imports.base import ImportRejected
from resettlement.money import money_figure
from resettlement.reauth import recent_authentication_required
from settlement.models import Outcome, Statement, StatementStatus
from tickets.forms.tickets import (
    BuyBackForm,
    ListingsImportForm,
    PurchaseForm,
    StatusFilterForm,
    TransferForm,
)
from tickets.models import HouseTicket, Listing, TicketPolicy
from tickets.pdf.certificate import render_certificate
from tickets.selectors import figures
from tickets.selectors import tickets as selectors
from tickets.services import imports
from tickets.services import tickets as services

view_tickets = permission_required("tickets.view_houseticket", raise_exception=True)


def _refused(request: HttpRequest, exc: RuleViolation) -> None:
    if isinstance(exc, NotAllowed):
        raise PermissionDenied(exc.message) from exc
    messages.error(request, exc.message)


def _form_problems(request: HttpRequest, form) -> None:
    problems = [
        f"{form.fields[name].label or name}:{' '.join(errors)}"
        for name, errors in form.errors.items()
    ]
    messages.error(request, _("未登记:%(p)s") % {"p": ";".join(problems)})


def _ticket(request: HttpRequest, pk: int) -> HouseTicket:
    """The ticket, if its project is visible to the user (404 otherwise, as for none)."""
    return get_object_or_404(
        selectors.ticket_with_history(HouseTicket.objects.filter(projects_q(request.user))),
        pk=pk,
    )


@require_safe
@login_required
@view_tickets
def tickets_home(request: HttpRequest) -> HttpResponse:
    projects = list(visible_projects(request.user).order_by("code"))
    if len(projects) == 1:
        return redirect("tickets:project-tickets", code=projects[0].code)
    return render(request, "tickets/home.html", {"projects": projects})


@require_safe
@login_required
@view_tickets
def project_tickets(request: HttpRequest, code: str) -> HttpResponse:
    project = get_object_or_404(visible_projects(request.user), code=code)
    form = StatusFilterForm(request.GET or None)
    status = form.cleaned_data["status"] if form.is_valid() else ""
    policy = TicketPolicy.objects.filter(project=project).first()
    awaiting = (
        Statement.objects.filter(
            project=project,
            outcome=Outcome.MONETISED,
            status=StatementStatus.APPROVED,
            house_ticket__isnull=True,
        )
        .select_related("household")
        .order_by("household__code")
    )
    return render(
        request,
        "tickets/project.html",
        {
            "project": project,
            "projects": visible_projects(request.user).order_by("code"),
            "policy": policy,
            "form": form,
            "tickets": [
                (t, selectors.holder_shown(request.user, t))
                for t in selectors.project_tickets(project, status=status)
            ],
            "awaiting": awaiting,
            "figures": figures.ticket_figures(project),
        },
    )


@require_safe
@login_required
@view_tickets
def ticket_detail(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = _ticket(request, pk)
    return render(
        request,
        "tickets/ticket.html",
        {
            "ticket": ticket,
            "project": ticket.project,
            "holder": selectors.holder_shown(request.user, ticket),
            "purchases": list(ticket.purchases.all()),
            "transfers": list(ticket.transfers.all()),
            "buy_back": getattr(ticket, "buy_back", None),
            "listings": Listing.objects.filter(project=ticket.project, available__gt=0)
            .select_related("developer")
            .order_by("developer__name", "name"),
            "purchase_form": PurchaseForm(),
            "transfer_form": TransferForm(),
            "buy_back_form": BuyBackForm(),
        },
    )


@require_safe
@login_required
@view_tickets
def ticket_certificate(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = _ticket(request, pk)
    data = render_certificate(ticket, holder=selectors.holder_shown(request.user, ticket))
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{ticket.number}.pdf"'
    return response


@require_POST
@login_required
@view_tickets
@recent_authentication_required("tickets:project-tickets")
def ticket_issue(request: HttpRequest, code: str) -> HttpResponse:
    project = get_object_or_404(visible_projects(request.user), code=code)
    statement = get_object_or_404(
        Statement.objects.select_related("household"),
        project=project,
        pk=request.POST.get("statement") or 0,
    )
    try:
        ticket = services.ticket_issue(actor=request.user, statement=statement)
    except RuleViolation as exc:
        _refused(request, exc)
        return redirect("tickets:project-tickets", code=code)
    messages.success(
        request,
        _("已签发房票 %(n)s,面值 %(a)s 元。")
        % {"n": ticket.number, "a": money_figure(ticket.face_value)},
    )
    return redirect("tickets:ticket-detail", pk=ticket.pk)


@require_POST
@login_required
@view_tickets
@recent_authentication_required("tickets:ticket-detail")
def ticket_purchase(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = _ticket(request, pk)
    form = PurchaseForm(request.POST)
    if not form.is_valid():
        _form_problems(request, form)
        return redirect("tickets:ticket-detail", pk=pk)
    data = form.cleaned_data
    listing = get_object_or_404(Listing, pk=data["listing"])
    try:
        purchase = services.ticket_purchase(
            actor=request.user,
            ticket=ticket,
            listing=listing,
            contract_number=data["contract_number"],
            amount=data["amount"],
            on=data["on"],
        )
    except RuleViolation as exc:
        _refused(request, exc)
    else:
        messages.success(
            request,
            _("已登记购房 %(a)s 元(其中奖励 %(r)s 元)。")
            % {"a": money_figure(purchase.amount), "r": money_figure(purchase.reward)},
        )
    return redirect("tickets:ticket-detail", pk=pk)


@require_POST
@login_required
@view_tickets
@recent_authentication_required("tickets:ticket-detail")
def ticket_transfer(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = _ticket(request, pk)
    form = TransferForm(request.POST)
    if not form.is_valid():
        _form_problems(request, form)
        return redirect("tickets:ticket-detail", pk=pk)
    try:
        services.ticket_transfer(actor=request.user, ticket=ticket, **form.cleaned_data)
    except RuleViolation as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("已登记转让。"))
    return redirect("tickets:ticket-detail", pk=pk)


@require_POST
@login_required
@view_tickets
@recent_authentication_required("tickets:ticket-detail")
def ticket_buy_back(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = _ticket(request, pk)
    form = BuyBackForm(request.POST)
    if not form.is_valid():
        _form_problems(request, form)
        return redirect("tickets:ticket-detail", pk=pk)
    try:
        buy_back = services.ticket_buy_back(actor=request.user, ticket=ticket)
    except RuleViolation as exc:
        _refused(request, exc)
    else:
        messages.success(
            request,
            _("已回购余额 %(b)s 元,支付 %(a)s 元。")
            % {"b": money_figure(buy_back.balance), "a": money_figure(buy_back.amount_paid)},
        )
    return redirect("tickets:ticket-detail", pk=pk)


def _listings_page(request: HttpRequest, project, *, problems=(), status: int = 200):
    return render(
        request,
        "tickets/listings.html",
        {
            "project": project,
            "rows": selectors.project_listings(project),
            "developers": selectors.developers(),
            "import_form": ListingsImportForm(),
            "problems": [str(p) for p in problems],
        },
        status=status,
    )


@require_safe
@login_required
@view_tickets
def project_listings(request: HttpRequest, code: str) -> HttpResponse:
    project = get_object_or_404(visible_projects(request.user), code=code)
    return _listings_page(request, project)


@require_POST
@login_required
@view_tickets
def listings_import(request: HttpRequest, code: str) -> HttpResponse:
    """Upload a listings file (all or nothing): the problems by row and column, or the
    listings page with the rows written."""
    project = get_object_or_404(visible_projects(request.user), code=code)
    form = ListingsImportForm(request.POST, request.FILES)
    if not form.is_valid():
        _form_problems(request, form)
        return redirect("tickets:project-listings", code=code)
    upload = form.cleaned_data["file"]
    try:
        count = imports.listings_import(
            actor=request.user, project=project, data=upload.read(), name=upload.name
        )
    except ImportRejected as exc:
        return _listings_page(request, project, problems=exc.details, status=400)
    except RuleViolation as exc:
        _refused(request, exc)
        return redirect("tickets:project-listings", code=code)
    messages.success(request, _("已导入 %(n)d 个房源。") % {"n": count})
    return redirect("tickets:project-listings", code=code)
