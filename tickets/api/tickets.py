"""/api/tickets/: house tickets, their purchases, developers and listings (schema at
/api/schema/). Every write calls one function of `tickets.services`, which checks the
caller's permission and the rules; a refusal has the one error shape of
`resettlement.api.exceptions.exception_handler`. The holder's name is masked unless the
caller's role sees personal data in full; ID numbers and verification codes are never shown.

- GET /tickets/ (?project, ?status), GET /tickets/{id}/; POST /tickets/issue/ {statement}
  issues a ticket (201); POST /tickets/{id}/purchase/, /transfer/, /buy-back/.
- GET /purchases/ (?project, ?ticket, ?developer).
- GET/POST /developers/; GET/POST /listings/ (?project, ?developer): the listing's ticket
  and cash prices side by side, with their difference.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from households.access import projects_q, visible_projects
from resettlement.api.base import ErrorSerializer, RegistryViewMixin, parsed
from resettlement.api.filters import ListFilterBackend, QueryFilterSet, id_query
from settlement.models import Statement
from tickets.models import Developer, HouseTicket, Listing, TicketPurchase, TicketStatus
from tickets.selectors.tickets import holder_shown, ticket_with_history
from tickets.services import developers as developer_services
from tickets.services import tickets as ticket_services

REFUSALS = {400: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer}


# -- serializers ----------------------------------------------------------------------------


class PurchaseSerializer(serializers.ModelSerializer):
    ticket_number = serializers.CharField(source="ticket.number")
    developer_name = serializers.CharField(source="developer.name")
    listing_name = serializers.CharField(source="listing.name")

    class Meta:
        model = TicketPurchase
        fields = (
            "id",
            "ticket",
            "ticket_number",
            "developer",
            "developer_name",
            "listing",
            "listing_name",
            "contract_number",
            "amount",
            "face_used",
            "reward",
            "reward_percent",
            "month",
            "purchased_on",
        )


class BuyBackSerializer(serializers.Serializer):
    balance = serializers.DecimalField(max_digits=14, decimal_places=2)
    amount_paid = serializers.DecimalField(max_digits=14, decimal_places=2)
    forfeited = serializers.DecimalField(max_digits=14, decimal_places=2)
    rate = serializers.DecimalField(max_digits=5, decimal_places=2)
    reason = serializers.CharField()
    on = serializers.DateField()


class TicketSerializer(serializers.ModelSerializer):
    household_code = serializers.CharField(source="household.code")
    # Plain text in the schema: the registry's household "status" enum keeps its name.
    status = serializers.CharField(
        help_text="valid (有效), used (已用完), expired (已到期) or bought_back (已回购)."
    )
    holder = serializers.SerializerMethodField(help_text="Masked unless the role sees it all.")
    purchases = PurchaseSerializer(many=True, read_only=True)
    buy_back = serializers.SerializerMethodField()

    class Meta:
        model = HouseTicket
        fields = (
            "id",
            "number",
            "project",
            "household",
            "household_code",
            "statement",
            "holder",
            "face_value",
            "reward_total",
            "balance",
            "issued_on",
            "expires_on",
            "status",
            "transfer_count",
            "purchases",
            "buy_back",
        )

    def get_holder(self, ticket: HouseTicket) -> str:
        return holder_shown(self.context["request"].user, ticket)

    @extend_schema(responses=BuyBackSerializer(allow_null=True))
    def get_buy_back(self, ticket: HouseTicket) -> dict | None:
        buy_back = getattr(ticket, "buy_back", None)
        return BuyBackSerializer(buy_back).data if buy_back is not None else None


class DeveloperSerializer(serializers.ModelSerializer):
    class Meta:
        model = Developer
        fields = ("id", "name", "credit_code", "contact_name", "bank_name")


class ListingSerializer(serializers.ModelSerializer):
    developer_name = serializers.CharField(source="developer.name", read_only=True)
    price_difference = serializers.DecimalField(
        max_digits=12, decimal_places=2, read_only=True, help_text="Ticket − cash price per ㎡."
    )

    class Meta:
        model = Listing
        fields = (
            "id",
            "project",
            "developer",
            "developer_name",
            "name",
            "address",
            "area",
            "ticket_price",
            "cash_price",
            "price_difference",
            "available",
        )


# -- input ----------------------------------------------------------------------------------


class IssueInput(serializers.Serializer):
    statement = serializers.IntegerField(min_value=1)
    issued_on = serializers.DateField(required=False, allow_null=True, default=None)


class PurchaseInput(serializers.Serializer):
    listing = serializers.IntegerField(min_value=1)
    contract_number = serializers.CharField(max_length=64)
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    purchased_on = serializers.DateField(required=False, allow_null=True, default=None)


class TransferInput(serializers.Serializer):
    to_name = serializers.CharField(max_length=50)
    to_id_number = serializers.CharField(max_length=32)
    reason = serializers.CharField()


class DeveloperInput(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    credit_code = serializers.CharField(max_length=32)
    bank_name = serializers.CharField(max_length=100)
    bank_account = serializers.CharField(max_length=40)
    contact_name = serializers.CharField(max_length=50, required=False, default="")
    contact_phone = serializers.CharField(max_length=20, required=False, default="")


class ListingInput(serializers.Serializer):
    project = serializers.IntegerField(min_value=1)
    developer = serializers.IntegerField(min_value=1)
    name = serializers.CharField(max_length=100)
    address = serializers.CharField(max_length=200, required=False, default="")
    area = serializers.DecimalField(max_digits=8, decimal_places=2)
    ticket_price = serializers.DecimalField(max_digits=12, decimal_places=2)
    cash_price = serializers.DecimalField(max_digits=12, decimal_places=2)
    available = serializers.IntegerField(min_value=0, default=1)


# -- filters --------------------------------------------------------------------------------


class TicketFilterSet(QueryFilterSet):
    project = id_query("project_id")
    status = django_filters.ChoiceFilter(choices=TicketStatus.choices)

    class Meta:
        model = HouseTicket
        fields: list[str] = []


class PurchaseFilterSet(QueryFilterSet):
    project = id_query("ticket__project_id")
    ticket = id_query("ticket_id")
    developer = id_query("developer_id")


class ListingFilterSet(QueryFilterSet):
    project = id_query("project_id")
    developer = id_query("developer_id")


# -- viewsets -------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(responses={200: TicketSerializer(many=True), **REFUSALS}),
    retrieve=extend_schema(responses={200: TicketSerializer, **REFUSALS}),
)
class TicketViewSet(
    RegistryViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = TicketSerializer
    filter_backends = [ListFilterBackend]
    filterset_class = TicketFilterSet
    lookup_value_regex = r"\d+"
    service_actions = ("issue", "purchase", "transfer", "buy_back")
    queryset = HouseTicket.objects.none()

    def get_queryset(self) -> QuerySet:
        return ticket_with_history(
            HouseTicket.objects.filter(projects_q(self.request.user))
        ).order_by("number")

    def _answer(self, ticket: HouseTicket, code: int = 200) -> Response:
        fresh = self.get_queryset().get(pk=ticket.pk)
        return Response(self.get_serializer(fresh).data, status=code)

    @extend_schema(request=IssueInput, responses={201: TicketSerializer, **REFUSALS})
    @action(detail=False, methods=["post"])
    def issue(self, request: Request) -> Response:
        data = parsed(IssueInput, request.data)
        statement = get_object_or_404(
            Statement.objects.filter(projects_q(request.user)).select_related("household"),
            pk=data["statement"],
        )
        ticket = ticket_services.ticket_issue(
            actor=request.user, statement=statement, on=data["issued_on"]
        )
        return self._answer(ticket, status.HTTP_201_CREATED)

    @extend_schema(request=PurchaseInput, responses={200: TicketSerializer, **REFUSALS})
    @action(detail=True, methods=["post"])
    def purchase(self, request: Request, pk: Any = None) -> Response:
        ticket = self.get_object()
        data = parsed(PurchaseInput, request.data)
        listing = get_object_or_404(
            Listing.objects.filter(projects_q(request.user)), pk=data["listing"]
        )
        ticket_services.ticket_purchase(
            actor=request.user,
            ticket=ticket,
            listing=listing,
            contract_number=data["contract_number"],
            amount=data["amount"],
            on=data["purchased_on"],
        )
        return self._answer(ticket)

    @extend_schema(request=TransferInput, responses={200: TicketSerializer, **REFUSALS})
    @action(detail=True, methods=["post"])
    def transfer(self, request: Request, pk: Any = None) -> Response:
        ticket = self.get_object()
        data = parsed(TransferInput, request.data)
        ticket_services.ticket_transfer(actor=request.user, ticket=ticket, **data)
        return self._answer(ticket)

    @extend_schema(request=None, responses={200: TicketSerializer, **REFUSALS})
    @action(detail=True, methods=["post"], url_path="buy-back")
    def buy_back(self, request: Request, pk: Any = None) -> Response:
        ticket = self.get_object()
        ticket_services.ticket_buy_back(actor=request.user, ticket=ticket)
        return self._answer(ticket)


@extend_schema_view(
    list=extend_schema(responses={200: PurchaseSerializer(many=True), **REFUSALS}),
    retrieve=extend_schema(responses={200: PurchaseSerializer, **REFUSALS}),
)
class PurchaseViewSet(
    RegistryViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = PurchaseSerializer
    filter_backends = [ListFilterBackend]
    filterset_class = PurchaseFilterSet
    lookup_value_regex = r"\d+"
    queryset = TicketPurchase.objects.none()

    def get_queryset(self) -> QuerySet:
        return (
            TicketPurchase.objects.filter(projects_q(self.request.user, "ticket__project"))
            .select_related("ticket", "developer", "listing")
            .order_by("id")
        )


@extend_schema_view(
    list=extend_schema(responses={200: DeveloperSerializer(many=True), **REFUSALS}),
    retrieve=extend_schema(responses={200: DeveloperSerializer, **REFUSALS}),
    create=extend_schema(request=DeveloperInput, responses={201: DeveloperSerializer, **REFUSALS}),
)
class DeveloperViewSet(
    RegistryViewMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = DeveloperSerializer
    lookup_value_regex = r"\d+"
    queryset = Developer.objects.order_by("name")

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = parsed(DeveloperInput, request.data)
        developer = developer_services.developer_save(actor=request.user, **data)
        return Response(DeveloperSerializer(developer).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(responses={200: ListingSerializer(many=True), **REFUSALS}),
    retrieve=extend_schema(responses={200: ListingSerializer, **REFUSALS}),
    create=extend_schema(request=ListingInput, responses={201: ListingSerializer, **REFUSALS}),
)
class ListingViewSet(
    RegistryViewMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = ListingSerializer
    filter_backends = [ListFilterBackend]
    filterset_class = ListingFilterSet
    lookup_value_regex = r"\d+"
    queryset = Listing.objects.none()

    def get_queryset(self) -> QuerySet:
        return (
            Listing.objects.filter(projects_q(self.request.user))
            .select_related("developer")
            .order_by("developer__name", "name")
        )

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = parsed(ListingInput, request.data)
        project = get_object_or_404(visible_projects(request.user), pk=data.pop("project"))
        developer = get_object_or_404(Developer, pk=data.pop("developer"))
        listing = developer_services.listing_save(
            actor=request.user, project=project, developer=developer, **data
        )
        return Response(ListingSerializer(listing).data, status=status.HTTP_201_CREATED)
