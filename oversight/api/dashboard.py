"""/api/oversight/dashboard/?project=<id>: the progress dashboard's figures of one project —
its households at each stage (the project, each community, villager group and working
team), the subsidy card (the stored ledger's totals) and the house-ticket figures (seed 002)
— from the selectors the staff dashboard uses (`oversight.selectors.dashboard`,
`oversight.selectors.ledger.ledger_totals`, `tickets.selectors.figures.ticket_figures`).
Read-only; needs `oversight.view_dashboard` (else 403) and the project (else 404)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from oversight.api._common import REFUSALS, ProjectQuery, holding, money_field, project_of
from oversight.api.ledger import LedgerTotalsSerializer
from oversight.selectors import dashboard as dashboard_selectors
from oversight.selectors.ledger import ledger_totals
from resettlement.api.base import RegistryViewMixin
from tickets.selectors.figures import ticket_figures


class CountsSerializer(serializers.Serializer):
    registered = serializers.IntegerField()
    qualified = serializers.IntegerField()
    published = serializers.IntegerField()
    drawn = serializers.IntegerField()
    signed = serializers.IntegerField()
    settled = serializers.IntegerField()
    handed_over = serializers.IntegerField()
    moved_in = serializers.IntegerField()
    monetised = serializers.IntegerField()
    resolved = serializers.IntegerField(help_text="An apartment drawn, or monetised.")
    monetised_share = serializers.IntegerField(
        help_text="货币化安置率: monetised, in whole % of the resolved households."
    )


class ProgressRowSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    counts = CountsSerializer()


class ProgressSerializer(serializers.Serializer):
    totals = CountsSerializer()
    communities = ProgressRowSerializer(many=True)
    groups = ProgressRowSerializer(many=True)
    teams = ProgressRowSerializer(many=True, help_text='Code "-": no working team.')


class TicketFiguresSerializer(serializers.Serializer):
    households_in_cash = serializers.IntegerField(help_text="Settled without a ticket.")
    households_by_tickets = serializers.IntegerField()
    tickets_issued = serializers.IntegerField()
    tickets_valid = serializers.IntegerField()
    apartments_bought = serializers.IntegerField()
    face_value_total = money_field()
    purchases_total = money_field()
    rewards_total = money_field()
    bought_back_total = money_field()
    forfeited_total = money_field()
    balance_total = money_field(help_text="Still on valid tickets.")


class DashboardSerializer(serializers.Serializer):
    project = serializers.IntegerField(source="project.pk")
    project_code = serializers.CharField(source="project.code")
    progress = ProgressSerializer()
    subsidy = LedgerTotalsSerializer(help_text="The stored ledger's totals (the subsidy card).")
    tickets = TicketFiguresSerializer()


class DashboardView(RegistryViewMixin, APIView):
    """The project's progress, subsidy and house-ticket figures."""

    permission_classes = [holding("oversight.view_dashboard")]

    @extend_schema(
        parameters=[ProjectQuery],
        responses={200: DashboardSerializer, **REFUSALS},
        summary="The progress dashboard's figures of a project",
    )
    def get(self, request: Request) -> Response:
        project = project_of(request)
        data = {
            "project": project,
            "progress": dashboard_selectors.project_progress(project),
            "subsidy": ledger_totals(project),
            "tickets": ticket_figures(project),
        }
        return Response(DashboardSerializer(data).data)
